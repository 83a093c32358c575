"""Scalar readouts of time courses: peak, time to peak, AUC, value at t, fold over baseline,
% inhibition.

Every function takes times ``t`` (n_t,) and values ``y`` (..., n_t) — time on the last axis,
any leading (member, observable) axes — and returns an array of shape ``y.shape[:-1]``.
NaN in a time course (a failed solve) gives NaN.

Examples
--------
>>> import numpy as np
>>> t = np.linspace(0.0, 2.0, 201)
>>> y = t * np.exp(-t)            # peaks at t = 1 with value 1/e
>>> round(float(time_to_peak(t, y)), 6), round(float(peak(t, y)), 4)
(1.0, 0.3679)
>>> round(float(auc(t, np.ones_like(t))), 12)
2.0
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "peak",
    "time_to_peak",
    "auc",
    "value_at",
    "final",
    "fold_over_baseline",
    "percent_inhibition",
]


def _nan_rows(y: np.ndarray) -> np.ndarray:
    return np.isnan(y).any(axis=-1)


def peak(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Largest value over time (same unit as ``y``)."""
    y = np.asarray(y, dtype=float)
    out = np.max(np.where(np.isnan(y), -np.inf, y), axis=-1)
    return np.where(_nan_rows(y), np.nan, out)


def time_to_peak(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Time of the largest value (first one on ties), in the unit of ``t``."""
    y = np.asarray(y, dtype=float)
    idx = np.argmax(np.where(np.isnan(y), -np.inf, y), axis=-1)
    return np.where(_nan_rows(y), np.nan, np.asarray(t, dtype=float)[idx])


def auc(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Area under the curve by the trapezoid rule (unit of ``y`` times unit of ``t``)."""
    return np.trapezoid(np.asarray(y, dtype=float), np.asarray(t, dtype=float), axis=-1)


def value_at(t: np.ndarray, y: np.ndarray, when: float) -> np.ndarray:
    """Value at time ``when``, linearly interpolated between the two nearest time points.

    Raises
    ------
    ValueError
        When ``when`` lies outside ``[t[0], t[-1]]``.
    """
    t = np.asarray(t, dtype=float)
    if not t[0] <= when <= t[-1]:
        raise ValueError(f"time {when} outside the simulated span [{t[0]}, {t[-1]}]")
    j = int(np.clip(np.searchsorted(t, when, side="right") - 1, 0, len(t) - 2)) if len(t) > 1 else 0
    y = np.asarray(y, dtype=float)
    if len(t) == 1:
        return y[..., 0]
    w = (when - t[j]) / (t[j + 1] - t[j])
    return (1.0 - w) * y[..., j] + w * y[..., j + 1]


def final(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Value at the last time point."""
    return np.asarray(y, dtype=float)[..., -1]


def fold_over_baseline(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Peak divided by the first value (the pre-stimulus baseline); inf for a zero
    baseline with a positive peak."""
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return peak(t, y) / y[..., 0]


def percent_inhibition(
    treated: np.ndarray, control: np.ndarray, baseline: np.ndarray | float = 0.0
) -> np.ndarray:
    """Inhibition of a stimulated response by a drug, in percent.

    ``100 * (1 - (treated - baseline) / (control - baseline))``: 0 when the drug does
    nothing, 100 when it brings the response back to the unstimulated baseline (the usual
    whole-blood pSTAT assay definition). NaN where the control shows no response.

    Parameters
    ----------
    treated, control : ndarray
        The same readout (e.g. peak pSTAT) with and without the drug.
    baseline : ndarray or float
        The unstimulated value of that readout (e.g. the control's value at t = 0).
    """
    treated, control = np.asarray(treated, dtype=float), np.asarray(control, dtype=float)
    span = control - baseline
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 * (1.0 - (treated - baseline) / span)
    return np.where(span == 0, np.nan, out)

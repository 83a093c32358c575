"""Four-parameter Hill (logistic) fits of dose-response data: EC50 / IC50 with uncertainty.

The model, with the EC50 fitted on a log10 scale (concentrations span decades)::

    y(x) = y0 + (yinf - y0) / (1 + (EC50 / x)**hill),   hill > 0

``y0`` is the response without compound (x = 0 is allowed), ``yinf`` the response at
saturating concentration; an inhibition curve simply has ``yinf < y0`` (its EC50 is the
IC50). Standard errors come from the covariance of the least-squares fit.

Examples
--------
>>> import numpy as np
>>> x = np.logspace(-1, 3, 13)
>>> y = 100 / (1 + (x / 20.0) ** 1.5)       # inhibition, IC50 = 20, slope 1.5
>>> fit = fit_hill(x, y)
>>> round(fit.ec50, 3), round(fit.hill, 3), round(fit.y0, 2), abs(round(fit.yinf, 2))
(20.0, 1.5, 100.0, 0.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.optimize import curve_fit

__all__ = ["HillFit", "hill_curve", "fit_hill"]


def hill_curve(x: np.ndarray, y0: float, yinf: float, log10_ec50: float, hill: float) -> np.ndarray:
    """Evaluate the Hill curve at concentrations ``x`` (same unit as the EC50)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", over="ignore"):
        ratio = 10.0 ** (hill * (log10_ec50 - np.log10(x)))  # (EC50/x)^h; inf at x = 0
    return y0 + (yinf - y0) / (1.0 + ratio)


@dataclass(frozen=True)
class HillFit:
    """Result of :func:`fit_hill`.

    Attributes
    ----------
    y0, yinf : float
        Responses without compound and at saturation.
    ec50 : float
        Half-effect concentration (IC50 for a falling curve), unit of ``x``.
    hill : float
        Hill slope (> 0).
    log10_ec50 : float
    stderr : dict[str, float]
        Standard errors of ``y0``, ``yinf``, ``log10_ec50``, ``hill``.
    ec50_ci : tuple[float, float]
        95 % confidence interval of the EC50 (from the log10 standard error, t-distribution).
    covariance : ndarray, shape (4, 4)
        In the order y0, yinf, log10_ec50, hill.
    rss : float
        Residual sum of squares.
    n : int
        Number of points fitted.
    """

    y0: float
    yinf: float
    ec50: float
    hill: float
    log10_ec50: float
    stderr: dict[str, float]
    ec50_ci: tuple[float, float]
    covariance: np.ndarray
    rss: float
    n: int

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The fitted curve at ``x``."""
        return hill_curve(x, self.y0, self.yinf, self.log10_ec50, self.hill)


def _initial_guess(x: np.ndarray, y: np.ndarray) -> list[float]:
    """Plateaus from the lowest / highest concentrations, EC50 where the data cross the
    midpoint (log-interpolated), slope 1: robust for rising and falling curves."""
    order = np.argsort(x)
    x, y = x[order], y[order]
    k = max(1, len(x) // 5)
    y0, yinf = float(np.median(y[:k])), float(np.median(y[-k:]))
    positive = x > 0
    lx = np.log10(x[positive])
    mid = 0.5 * (y0 + yinf)
    s = np.sign(yinf - y0) or 1.0
    above = np.flatnonzero(s * (y[positive] - mid) >= 0)
    if len(above) and above[0] > 0:
        j = above[0]
        y_lo, y_hi = y[positive][j - 1], y[positive][j]
        w = (mid - y_lo) / (y_hi - y_lo) if y_hi != y_lo else 0.5
        log_ec50 = lx[j - 1] + w * (lx[j] - lx[j - 1])
    else:
        log_ec50 = float(np.median(lx))
    return [y0, yinf, float(log_ec50), 1.0]


def fit_hill(
    x: np.ndarray, y: np.ndarray, *, sigma: np.ndarray | None = None, max_hill: float = 10.0
) -> HillFit:
    """Fit the four-parameter Hill curve to dose-response data.

    Parameters
    ----------
    x : ndarray, shape (n,)
        Concentrations (>= 0; zeros are the no-compound controls).
    y : ndarray, shape (n,)
        Responses. NaN pairs are dropped.
    sigma : ndarray, optional
        Standard deviation of each ``y`` (absolute); without it the residual scatter sets the
        uncertainty.
    max_hill : float
        Upper bound of the slope.

    Returns
    -------
    HillFit

    Raises
    ------
    ValueError
        Fewer than 4 usable points, fewer than 2 distinct positive concentrations, or a
        negative concentration.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    if sigma is not None:
        sigma = np.asarray(sigma, dtype=float)[keep]
    x, y = x[keep], y[keep]
    if np.any(x < 0):
        raise ValueError("concentrations must be >= 0")
    if len(x) < 4 or len(np.unique(x[x > 0])) < 2:
        raise ValueError(f"need >= 4 points over >= 2 positive concentrations, got {len(x)}")
    p0 = _initial_guess(x, y)
    span = float(np.ptp(y)) or 1.0
    lx = np.log10(x[x > 0])
    lower = [-np.inf, -np.inf, lx.min() - 3.0, 1e-2]
    upper = [np.inf, np.inf, lx.max() + 3.0, max_hill]
    p0[2] = float(np.clip(p0[2], lower[2], upper[2]))
    popt, pcov = curve_fit(
        hill_curve,
        x,
        y,
        p0=p0,
        sigma=sigma,
        absolute_sigma=sigma is not None,
        bounds=(lower, upper),
        x_scale=[span, span, 1.0, 1.0],
        max_nfev=10_000,
    )
    se = np.sqrt(np.clip(np.diag(pcov), 0.0, None))
    rss = float(np.sum((hill_curve(x, *popt) - y) ** 2))
    tq = stats.t.ppf(0.975, max(1, len(x) - 4))
    names = ("y0", "yinf", "log10_ec50", "hill")
    return HillFit(
        y0=float(popt[0]),
        yinf=float(popt[1]),
        ec50=float(10.0 ** popt[2]),
        hill=float(popt[3]),
        log10_ec50=float(popt[2]),
        stderr=dict(zip(names, map(float, se), strict=True)),
        ec50_ci=(float(10 ** (popt[2] - tq * se[2])), float(10 ** (popt[2] + tq * se[2]))),
        covariance=pcov,
        rss=rss,
        n=len(x),
    )

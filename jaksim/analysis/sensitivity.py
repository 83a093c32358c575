"""Sensitivity analysis: local normalized sensitivities and global Sobol' indices.

* :func:`local_sensitivity` — ``d ln y / d ln p`` of observables to parameters by central
  finite differences in log space, all perturbed models solved as one ensemble.
* :func:`sobol_indices` — first-order and total Sobol' indices of any vectorized function
  (SALib's Saltelli sampling and Jansen/Saltelli estimators).
* :func:`saltelli_unit_sample` / :func:`sobol_from_unit_sample` — the same split in two, so
  an experiment sweep can run the samples (``[sensitivity]`` in an experiment file).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

__all__ = [
    "local_sensitivity",
    "sobol_indices",
    "saltelli_unit_sample",
    "sobol_from_unit_sample",
]


def _unit_problem(d: int, names: Sequence[str] | None = None) -> dict[str, Any]:
    return {
        "num_vars": d,
        "names": list(names or [f"x{i}" for i in range(d)]),
        "bounds": [[0.0, 1.0]] * d,
    }


def saltelli_unit_sample(
    d: int, n: int, *, second_order: bool = False, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Saltelli's sample on the unit cube, shape (n * (d + 2), d) (``2d + 2`` with
    second order); ``n`` a power of 2. Scrambled with a seed drawn from ``rng``."""
    seed = int((rng or np.random.default_rng()).integers(2**31 - 1))
    return sobol_sample.sample(
        _unit_problem(d), n, calc_second_order=second_order, scramble=True, seed=seed
    )


def sobol_from_unit_sample(
    y: np.ndarray, names: Sequence[str], *, second_order: bool = False
) -> pd.DataFrame:
    """Sobol' indices from model outputs ``y`` (in :func:`saltelli_unit_sample` order).

    Returns
    -------
    DataFrame
        One row per input: ``parameter, S1, S1_conf, ST, ST_conf`` (95 % bootstrap
        half-widths).
    """
    res = sobol_analyze.analyze(
        _unit_problem(len(names), names),
        np.asarray(y, dtype=float),
        calc_second_order=second_order,
        print_to_console=False,
        seed=0,
    )
    return pd.DataFrame(
        {
            "parameter": list(names),
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": res["ST"],
            "ST_conf": res["ST_conf"],
        }
    )


def sobol_indices(
    func: Callable[[np.ndarray], np.ndarray],
    bounds: Mapping[str, tuple[float, float]],
    n: int = 1024,
    *,
    second_order: bool = False,
    seed: int = 0,
) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol' indices of a scalar function.

    Parameters
    ----------
    func : callable
        ``func(X) -> y`` with ``X`` of shape (m, d) and ``y`` of shape (m,).
    bounds : mapping
        Input name -> (low, high); inputs are uniform on these ranges.
    n : int
        Base sample size (power of 2); ``func`` is evaluated ``n * (d + 2)`` times.
    seed : int
        Seed of the scrambled Sobol' sequence.

    Examples
    --------
    >>> t = sobol_indices(lambda X: X[:, 0] + 0.0 * X[:, 1], {"a": (0, 1), "b": (0, 1)}, 256)
    >>> [round(v, 2) for v in t["S1"]]
    [1.0, 0.0]
    """
    names = list(bounds)
    lo = np.array([bounds[k][0] for k in names], dtype=float)
    hi = np.array([bounds[k][1] for k in names], dtype=float)
    u = saltelli_unit_sample(
        len(names), n, second_order=second_order, rng=np.random.default_rng(seed)
    )
    y = np.asarray(func(lo + u * (hi - lo)), dtype=float)
    return sobol_from_unit_sample(y, names, second_order=second_order)


def local_sensitivity(
    model: Any,
    t_eval: np.ndarray,
    parameters: Sequence[str],
    *,
    observables: Sequence[str] | None = None,
    rel_step: float = 1e-3,
    **simulate_kwargs: Any,
) -> xr.DataArray:
    """Normalized local sensitivities ``d ln y(t) / d ln p`` by central differences.

    Each parameter is scaled by ``(1 + h)`` and ``1 / (1 + h)`` (``h = rel_step``); the
    ``2 * len(parameters)`` perturbed models are solved as one ensemble. The result is
    ``(ln y+ - ln y-) / (2 ln(1 + h))``, second-order accurate in ``h``.

    Parameters
    ----------
    model : Model, CompiledModel or str
        Anything :func:`jaksim.simulate_ensemble` accepts.
    t_eval : ndarray, shape (n_t,)
        Output times (model time unit).
    parameters : sequence of str
        Parameter ids (each must have a non-zero value).
    observables : sequence of str, optional
        Species / observable ids; default all outputs.
    rel_step : float
        Relative step ``h``.
    **simulate_kwargs
        Passed on (``protocol``, ``preequilibrate``, ``rtol``, ``atol``...). Use tolerances
        well below ``rel_step`` (e.g. ``rtol=1e-10``) or the differences are solver noise.

    Returns
    -------
    xarray.DataArray
        Dims (parameter, time, observable); NaN where ``y`` is zero or a solve failed.
    """
    from ..compile import compile_model
    from ..simulation import simulate_ensemble

    compiled = model if hasattr(model, "p0") else compile_model(model)
    base = dict(zip(compiled.param_ids, compiled.p0, strict=True))
    k = len(parameters)
    factor = np.array([1.0 + rel_step, 1.0 / (1.0 + rel_step)])
    params = {}
    for i, pid in enumerate(parameters):
        col = np.full(2 * k, base[pid])
        col[2 * i : 2 * i + 2] *= factor
        params[pid] = col
    res = simulate_ensemble(compiled, t_eval, params=params, **simulate_kwargs)
    names = list(res.names)
    obs = list(observables or compiled.output_ids)
    y = np.asarray(res.values)[:, :, [names.index(o) for o in obs]]
    y[np.asarray(res.status) != 0] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        logy = np.log(np.where(y > 0, y, np.nan))
    s = (logy[0::2] - logy[1::2]) / (2.0 * np.log1p(rel_step))
    return xr.DataArray(
        s,
        dims=("parameter", "time", "observable"),
        coords={"parameter": list(parameters), "time": np.asarray(t_eval), "observable": obs},
        name="sensitivity",
    )

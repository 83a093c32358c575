"""Multistart optimisation and profile likelihoods of PEtab objectives.

Starts are a Latin hypercube (or scrambled Sobol) sample of the bounds on the *estimation*
scale (log10 parameters are sampled log-uniformly), seeded. Each start runs scipy's L-BFGS-B
with the exact forward-sensitivity gradient, or ``fides`` (trust-region, optional dependency,
``pip install 'jaksim[fit]'``) when asked for. Starts run in worker processes (``spawn``: numba's
thread pools do not survive ``fork``); each worker loads the problem and its compiled kernels
from the on-disk cache once.

Profiles fix one parameter on a grid walking away from the optimum in both directions and
re-optimise the others (warm-started from the previous grid point) until the objective has
risen by more than the chi-square threshold ``chi2.ppf(0.95, 1) / 2 = 1.92`` or a bound is
reached; the 95 % confidence interval is where the profile crosses that threshold (linear
interpolation between grid points), on the estimation scale and in linear units.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from jaksim.spec.errors import PetabError

from .objective import PetabObjective
from .petab import PetabProblem, load_petab

__all__ = [
    "StartResult",
    "MultistartResult",
    "ProfileResult",
    "sample_starts",
    "minimize",
    "multistart",
    "profile",
]

_BIG = 1e100  # returned instead of inf: L-BFGS-B's line search backtracks from a finite value


@dataclass
class StartResult:
    """One local optimisation (estimation scale)."""

    start: int
    x0: np.ndarray
    x: np.ndarray
    fval: float
    grad_norm: float
    n_iter: int
    n_fev: int
    success: bool
    message: str
    time_s: float


@dataclass
class MultistartResult:
    """All starts, sorted by final objective (best first)."""

    ids: tuple[str, ...]
    starts: list[StartResult] = field(default_factory=list)

    @property
    def best(self) -> StartResult:
        return self.starts[0]

    def to_dataframe(self) -> pd.DataFrame:
        """One row per start: ``start, fval, grad_norm, n_iter, n_fev, success, time_s`` and
        the final parameters (estimation scale) as columns named by parameter id."""
        rows = []
        for s in self.starts:
            row = {k: v for k, v in asdict(s).items() if k not in ("x0", "x")}
            row.update(zip(self.ids, s.x, strict=True))
            rows.append(row)
        return pd.DataFrame(rows)


@dataclass
class ProfileResult:
    """Profile of one parameter.

    Attributes
    ----------
    parameter : str
    values : ndarray (n,)
        Grid of the parameter on its estimation scale (sorted).
    fvals : ndarray (n,)
        Re-optimised objective at each grid value.
    f_opt : float
        Objective at the optimum the profile started from.
    threshold : float
        ``chi2.ppf(level, 1) / 2``.
    ci : tuple of float
        Confidence interval on the estimation scale (``-inf`` / ``inf`` where the profile
        stays below the threshold up to the bound: not identifiable on that side).
    scale : str
    """

    parameter: str
    values: np.ndarray
    fvals: np.ndarray
    f_opt: float
    threshold: float
    ci: tuple[float, float]
    scale: str

    @property
    def ci_linear(self) -> tuple[float, float]:
        """The interval in linear units."""
        f = {"lin": lambda v: v, "log": math.exp, "log10": lambda v: 10.0**v}[self.scale]
        return tuple(f(v) if math.isfinite(v) else v for v in self.ci)

    def to_dataframe(self) -> pd.DataFrame:
        return pd.DataFrame({"value": self.values, "fval": self.fvals,
                             "delta": self.fvals - self.f_opt})  # fmt: skip


def sample_starts(problem: PetabProblem, n: int, *, seed: int = 0,
                  method: str = "lhs") -> np.ndarray:  # fmt: skip
    """Start points ``(n, n_theta)`` uniformly covering the bounds on the estimation scale.

    Parameters
    ----------
    method : {"lhs", "sobol"}
        Latin hypercube or scrambled Sobol sequence (scipy.stats.qmc), seeded by ``seed``.
    """
    from scipy.stats import qmc

    lb, ub = problem.bounds
    if not (np.all(np.isfinite(lb)) and np.all(np.isfinite(ub))):
        bad = [p for p, a, b in zip(problem.estimated_ids, lb, ub, strict=True)
               if not (math.isfinite(a) and math.isfinite(b))]  # fmt: skip
        raise PetabError("start sampling needs finite bounds on the estimation scale: "
                         + ", ".join(bad), file=str(problem.path))  # fmt: skip
    d = len(lb)
    if method == "lhs":
        u = qmc.LatinHypercube(d=d, seed=seed).random(n)
    elif method == "sobol":
        u = qmc.Sobol(d=d, scramble=True, seed=seed).random(n)
    else:
        raise ValueError(f"method must be 'lhs' or 'sobol', got {method!r}")
    return qmc.scale(u, lb, ub)


def _fun(objective: PetabObjective):
    """Objective for scipy: a failed simulation (extreme trial point of a line search) returns
    a finite value above the last good one with a gradient pointing back to it, so the line
    search backtracks by interpolation instead of giving up (inf / nan stop L-BFGS-B)."""
    good: dict[str, object] = {}

    def f(x):
        val, grad = objective.value_and_grad(np.clip(x, objective.lower, objective.upper))
        if math.isfinite(val):
            good.update(x=np.array(x, copy=True), f=val)
            return val, grad
        if not good:
            return _BIG, np.zeros_like(x)
        dx = x - good["x"]
        dist2 = float(dx @ dx) or 1.0
        penalty = 1e3 * (1.0 + abs(good["f"]))
        return good["f"] + penalty, 2.0 * penalty * dx / dist2

    return f


def minimize(objective: PetabObjective, x0: np.ndarray, *, start: int = 0,
             method: str = "lbfgsb", maxiter: int = 500, fixed: dict[int, float] | None = None,
             ) -> StartResult:  # fmt: skip
    """One local optimisation from ``x0`` (estimation scale) within the bounds.

    Parameters
    ----------
    method : {"lbfgsb", "fides"}
    fixed : dict index -> value, optional
        Parameters held at a value (profiles); the others are optimised.
    """
    t0 = time.perf_counter()
    lb, ub = objective.lower, objective.upper
    x0 = np.clip(np.asarray(x0, dtype=float), lb, ub)
    fixed = fixed or {}
    free = np.array([k for k in range(x0.size) if k not in fixed], dtype=int)
    full = x0.copy()
    for k, v in fixed.items():
        full[k] = v
    f = _fun(objective)

    def f_free(z):
        x = full.copy()
        x[free] = z
        val, g = f(x)
        return val, g[free]

    if method == "fides":
        try:
            import fides
        except ImportError:
            raise PetabError(
                "method 'fides' needs the 'fides' package: "
                "pip install 'jaksim[fit]' (or use method='lbfgsb')"
            ) from None

        def fides_fun(z):
            # fides expects (f, g, H); a BFGS Hessian approximation is passed as hessian_update
            val, g = f_free(z)
            return val, g

        import logging

        opt = fides.Optimizer(fides_fun, ub=ub[free], lb=lb[free],
                              hessian_update=fides.hessian_approximation.BFGS(),
                              options={fides.Options.MAXITER: maxiter},
                              verbose=logging.WARNING)  # fmt: skip
        fval, z, grad, _ = opt.minimize(x0[free])
        n_iter, n_fev, success, message = opt.iteration, opt.iteration, True, str(opt.exitflag)
    elif method == "lbfgsb":
        from scipy.optimize import minimize as sp_min

        res = sp_min(f_free, x0[free], jac=True, method="L-BFGS-B",
                     bounds=list(zip(lb[free], ub[free], strict=True)),
                     options={"maxiter": maxiter, "ftol": 1e-12, "gtol": 1e-6})  # fmt: skip
        z, fval, grad = res.x, float(res.fun), res.jac
        n_iter, n_fev, success, message = (
            int(res.nit),
            int(res.nfev),
            bool(res.success),
            str(res.message),
        )
    else:
        raise ValueError(f"method must be 'lbfgsb' or 'fides', got {method!r}")
    x = full.copy()
    x[free] = z
    # gradient norm of the free parameters not pinned at a bound (projected gradient)
    g = np.asarray(grad, dtype=float)
    at_lb, at_ub = np.isclose(z, lb[free]) & (g > 0), np.isclose(z, ub[free]) & (g < 0)
    g = np.where(at_lb | at_ub, 0.0, g)
    return StartResult(start, x0, x, float(fval) if fval < _BIG else math.inf,
                       float(np.linalg.norm(g)), n_iter, n_fev, success, message,
                       time.perf_counter() - t0)  # fmt: skip


def _worker(args) -> StartResult:
    yaml_path, kwargs, x0, start, method, maxiter = args
    objective = PetabObjective(load_petab(yaml_path), n_threads=1, **kwargs)
    return minimize(objective, x0, start=start, method=method, maxiter=maxiter)


def multistart(problem: PetabProblem | str | Path, n_starts: int = 10, *, seed: int = 0,
               workers: int = 1, method: str = "lbfgsb", sampling: str = "lhs",
               maxiter: int = 500, objective: PetabObjective | None = None,
               include_nominal: bool = False, **objective_kwargs) -> MultistartResult:  # fmt: skip
    """Multistart local optimisation.

    Parameters
    ----------
    problem : PetabProblem or path to the YAML
        With ``workers > 1`` the problem must come from a file (workers reload it).
    n_starts, seed, sampling
        Starts from :func:`sample_starts`.
    workers : int
        Worker processes (1: in this process, with the ensemble on all threads).
    include_nominal : bool
        Replace start 0 by the nominal parameter values.

    Starts whose simulation fails (objective inf) are replaced by points of a second seeded
    sample before optimising, so every start begins with a finite objective.
    objective_kwargs
        Passed to :class:`PetabObjective` (``rtol``, ``atol``, ``missing_placeholders``...).

    Returns
    -------
    MultistartResult
        Starts sorted by final objective value.
    """
    prob = problem if isinstance(problem, PetabProblem) else load_petab(problem)
    X0 = sample_starts(prob, n_starts, seed=seed, method=sampling)
    obj = objective or PetabObjective(prob, **objective_kwargs)
    # a start whose simulation fails is replaced by the next point of a second seeded sample
    # (up to 20 per start): an optimiser cannot leave a point without a gradient
    spare = iter(sample_starts(prob, 20 * max(n_starts, 1), seed=seed + 7919, method=sampling))
    for i in range(n_starts):
        for _ in range(20):
            if math.isfinite(obj(X0[i])):
                break
            X0[i] = next(spare)
    if include_nominal and n_starts:
        X0[0] = prob.nominal_theta
    results: list[StartResult]
    if workers <= 1:
        results = [minimize(obj, x0, start=i, method=method, maxiter=maxiter)
                   for i, x0 in enumerate(X0)]  # fmt: skip
    else:
        import multiprocessing

        if not Path(prob.path).is_file():
            raise PetabError("multistart with workers > 1 needs a problem read from a YAML file")
        tasks = [(str(prob.path), objective_kwargs, x0, i, method, maxiter)
                 for i, x0 in enumerate(X0)]  # fmt: skip
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            results = list(pool.map(_worker, tasks))
    results.sort(key=lambda r: (not math.isfinite(r.fval), r.fval))
    return MultistartResult(prob.estimated_ids, results)


def profile(objective: PetabObjective, x_opt: np.ndarray, parameter: str | int, *,
            level: float = 0.95, step: float = 0.05, max_points: int = 40,
            maxiter: int = 200, method: str = "lbfgsb") -> ProfileResult:  # fmt: skip
    """Profile likelihood of one parameter around the optimum ``x_opt``.

    Parameters
    ----------
    parameter : str or int
        Parameter id (or index into ``theta``).
    step : float
        Initial grid step on the estimation scale (log10 units for log10 parameters); it
        doubles while the objective rises by less than a tenth of the threshold per step and
        halves when it rises by more than half of it.
    max_points : int
        Per direction.
    """
    from scipy.stats import chi2

    ids = list(objective.ids)
    k = ids.index(parameter) if isinstance(parameter, str) else int(parameter)
    x_opt = np.asarray(x_opt, dtype=float)
    f_opt = objective(x_opt)
    thr = float(chi2.ppf(level, 1) / 2.0)
    lb, ub = objective.lower[k], objective.upper[k]
    pts: list[tuple[float, float]] = [(x_opt[k], f_opt)]
    for direction in (-1.0, 1.0):
        x, v, h, f_prev = x_opt.copy(), x_opt[k], step, f_opt
        for _ in range(max_points):
            v_new = min(max(v + direction * h, lb), ub)
            if v_new == v:
                break
            r = minimize(objective, x, fixed={k: v_new}, maxiter=maxiter, method=method)
            if not math.isfinite(r.fval):
                h /= 2
                if h < 1e-4:
                    break
                continue
            pts.append((v_new, r.fval))
            if r.fval - f_opt > thr * 1.2:
                break
            rise = abs(r.fval - f_prev)
            x, v, f_prev = r.x, v_new, r.fval
            if rise < 0.1 * thr:
                h *= 2
            elif rise > 0.5 * thr:
                h /= 2
    pts.sort()
    values = np.array([p[0] for p in pts])
    fvals = np.array([p[1] for p in pts])
    ci = _crossings(values, fvals, f_opt + thr, x_opt[k])
    return ProfileResult(ids[k], values, fvals, f_opt, thr, ci, objective.scales[k])


def _crossings(values: np.ndarray, fvals: np.ndarray, level: float, center: float):
    """Where the profile crosses ``level`` left and right of ``center`` (linear interp.)."""
    lo, hi = -math.inf, math.inf
    left = np.flatnonzero(values <= center)[::-1]
    for a, b in zip(left[:-1], left[1:], strict=False):  # walking outwards: a inner, b outer
        if fvals[b] >= level > fvals[a] or fvals[b] >= level and fvals[a] >= level:
            lo = values[a] + (level - fvals[a]) * (values[b] - values[a]) / (fvals[b] - fvals[a])
            break
    right = np.flatnonzero(values >= center)
    for a, b in zip(right[:-1], right[1:], strict=False):
        if fvals[b] >= level > fvals[a] or fvals[b] >= level and fvals[a] >= level:
            hi = values[a] + (level - fvals[a]) * (values[b] - values[a]) / (fvals[b] - fvals[a])
            break
    return (float(lo), float(hi))

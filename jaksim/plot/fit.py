"""Figures of parameter estimation: waterfall of starts, data vs fit, profile likelihoods.

Like every plot function, these take tables (no simulation inside): the starts table of
:meth:`jaksim.fit.optimize.MultistartResult.to_dataframe`, the measurement table with a
``simulation`` column (:meth:`jaksim.fit.objective.PetabObjective.simulation_table`) and the
profile table of :meth:`jaksim.fit.optimize.ProfileResult.to_dataframe`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["plot_waterfall", "plot_fit", "plot_profile"]


def plot_waterfall(starts: pd.DataFrame, *, ax=None, title: str = ""):
    """Final objective of every start, sorted (best first), relative to the best, log axis.

    Parameters
    ----------
    starts : DataFrame
        Needs column ``fval`` (objective, dimensionless).
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    f = np.sort(starts["fval"].to_numpy(float))
    finite = np.isfinite(f)
    best = f[finite][0] if finite.any() else 0.0
    ax.plot(np.arange(1, f.size + 1)[finite], f[finite] - best + 1.0, "o-", ms=4)
    ax.set_yscale("log")
    ax.set_xlabel("start (sorted)")
    ax.set_ylabel("objective - best + 1")
    ax.set_title(title or f"{f.size} starts, best {best:.4g}")
    return ax.figure


def plot_fit(table: pd.DataFrame, *, max_panels: int = 24, title: str = ""):
    """Measurements (dots) and simulation (line) against time, one panel per observable,
    simulation condition and observable-parameter set (the ``max_panels`` with most time
    points).

    Parameters
    ----------
    table : DataFrame
        Columns ``observableId``, ``simulationConditionId``, ``time``, ``measurement``,
        ``simulation`` (model time units; observable units).
    """
    import matplotlib.pyplot as plt

    # measurements of one observable in one condition with different observable parameters
    # (e.g. per-experiment scale factors) are different curves: separate panels
    keys = ["observableId", "simulationConditionId"]
    if "observableParameters" in table.columns:
        table = table.assign(observableParameters=table["observableParameters"].fillna(""))
        keys.append("observableParameters")
    groups = list(table.groupby(keys, sort=False))
    # time courses first: single-time panels (dose-response points) say little on their own
    groups.sort(key=lambda kv: -kv[1]["time"].nunique())
    groups = groups[:max_panels]
    n = len(groups)
    cols = min(4, n) or 1
    rows = math.ceil(n / cols) or 1
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.5 * rows), squeeze=False)
    for ax, (key, g) in zip(axes.flat, groups, strict=False):
        obs, cond = key[0], key[1]
        g = g.sort_values("time")
        ax.plot(g["time"], g["measurement"], "o", ms=3, label="data")
        sim = g.drop_duplicates("time")
        ax.plot(sim["time"], sim["simulation"], "-x", ms=4, label="model")
        ax.set_title(f"{obs}\n{cond}", fontsize=7)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_profile(profile: pd.DataFrame, *, parameter: str, threshold: float,
                 ci: tuple[float, float] | None = None, ax=None):  # fmt: skip
    """Profile likelihood: objective increase against the parameter (estimation scale) with
    the chi-square threshold and the confidence interval.

    Parameters
    ----------
    profile : DataFrame
        Columns ``value`` and ``delta`` (objective minus its optimum).
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 3.5))
    ax.plot(profile["value"], profile["delta"], "o-", ms=3)
    ax.axhline(threshold, color="k", ls="--", lw=1, label=f"threshold {threshold:.2f}")
    if ci is not None:
        for v in ci:
            if math.isfinite(v):
                ax.axvline(v, color="r", ls=":", lw=1)
    ax.set_xlabel(f"{parameter} (estimation scale)")
    ax.set_ylabel("objective - optimum")
    ax.legend(fontsize=8)
    return ax.figure

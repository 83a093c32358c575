"""Figures of experiment results: time courses, dose-response with Hill fits, 2-D heatmaps.

Plot functions take results that already exist (an xarray Dataset from
:func:`jaksim.experiment.open_results`) and draw on a matplotlib ``Axes``; nothing here
simulates. :func:`plot_results` picks the figure from the sweep's shape and saves it (format
from the file extension: PNG, SVG, PDF).
"""

from __future__ import annotations

import json
from pathlib import Path

# No matplotlib.use() here: a library must not switch a notebook user's backend; the CLI
# chooses Agg for itself (jaksim.cli.main).
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullLocator

from ..analysis.grid import as_grid
from ..analysis.hill import fit_hill
from .style import line_cycler, scale

__all__ = ["plot_timecourses", "plot_dose_response", "plot_heatmap", "plot_results"]

MAX_LINES = 50  # more time courses than this are drawn as a median and 5-95 % band


def _new_axes(width: float, height: float):
    """A new figure's axes, grown for large type (:func:`.style.scale`), lines in the
    colour-blind-safe Okabe-Ito cycle whatever the caller's rcParams say."""
    k = scale()
    ax = plt.figure(figsize=(width * k, height * k)).add_subplot()
    ax.set_prop_cycle(line_cycler())
    return ax


def _axes(ds: xr.Dataset) -> list[str]:
    return [str(k) for k in json.loads(ds.attrs.get("axes", "[]"))]


def plot_timecourses(ds: xr.Dataset, observable: str | None = None, ax=None):
    """Time courses of one observable, one line per member (or a band for many members)."""
    ax = ax or _new_axes(6, 4)
    obs = observable or str(ds["observable"].values[0])
    y = ds["timecourse"].sel(observable=obs).values  # (member, time)
    t = ds["time"].values
    axes = _axes(ds)
    if y.shape[0] <= MAX_LINES:
        for i in range(y.shape[0]):
            label = ", ".join(
                f"{k}={ds[k].values[i]:.3g}"
                if np.issubdtype(ds[k].dtype, np.number)
                else f"{k}={ds[k].values[i]}"
                for k in axes
            )
            ax.plot(t, y[i], lw=1.2, label=label or None)
        if axes and y.shape[0] <= 12:
            ax.legend(fontsize="x-small")
    else:
        lo, mid, hi = np.nanpercentile(y, [5, 50, 95], axis=0)
        ax.fill_between(t, lo, hi, alpha=0.3, label="5-95 %")
        ax.plot(t, mid, lw=1.5, label=f"median of {y.shape[0]}")
        ax.legend(fontsize="x-small")
    ax.set_xlabel(f"time ({ds.attrs.get('time_unit', '')})")
    ax.set_ylabel(obs)
    return ax


def plot_dose_response(
    ds: xr.Dataset, axis: str, readout: str, ax=None, fit: bool = True, by: str | None = None
):
    """A readout against one swept concentration (log axis) with fitted Hill curves; one
    series per value of the categorical axis ``by`` (e.g. ``"drug"``)."""
    ax = ax or _new_axes(5, 4)
    x_all = ds[axis].values.astype(float)
    y_all = ds["readouts"].sel(readout=readout).values
    groups = ds[by].values if by else np.full(len(x_all), "")
    for name in dict.fromkeys(groups):
        x, y = x_all[groups == name], y_all[groups == name]
        positive = x > 0
        points = ax.plot(x[positive], y[positive], "o", label=str(name) or "simulated")[0]
        h = None
        if fit and np.count_nonzero(np.isfinite(y) & positive) >= 4:
            try:
                h = fit_hill(x, y)
            except (ValueError, RuntimeError):  # flat or non-sigmoidal: show the points only
                h = None
        if h is not None:
            grid = np.logspace(np.log10(x[positive].min()), np.log10(x[positive].max()), 200)
            ax.plot(
                grid,
                h(grid),
                "-",
                color=points.get_color(),
                label=f"Hill fit: EC50 = {h.ec50:.3g}, n = {h.hill:.2f}",
            )
    ax.set_xscale("log")
    ax.set_xlabel(axis)
    ax.set_ylabel(readout)
    ax.legend(fontsize="x-small")
    return ax


def plot_heatmap(ds: xr.Dataset, x: str, y: str, readout: str, ax=None):
    """A readout over a full 2-D grid sweep of axes ``x`` and ``y``."""
    ax = ax or _new_axes(5.5, 4.5)
    grid = as_grid(ds[["readouts"]].assign_attrs(axes=json.dumps([x, y])))
    z = grid["readouts"].sel(readout=readout).transpose(y, x)
    xs, ys = grid[x].values.astype(float), grid[y].values.astype(float)
    # viridis: perceptually uniform, readable with colour-vision deficiency and in greyscale
    mesh = ax.pcolormesh(xs, ys, z.values, shading="nearest", cmap="viridis")
    for values, setter, axis in ((xs, ax.set_xscale, ax.xaxis), (ys, ax.set_yscale, ax.yaxis)):
        if np.all(values > 0) and values.max() / values.min() >= 10:
            setter("log")
            # label the swept values themselves: log-axis minor labels collide on short decades
            axis.set_major_locator(FixedLocator(values))
            axis.set_major_formatter(FormatStrFormatter("%.3g"))
            axis.set_minor_locator(NullLocator())
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.figure.colorbar(mesh, ax=ax, label=readout)
    return ax


def plot_results(
    ds: xr.Dataset,
    out: str | Path,
    *,
    kind: str = "auto",
    observable: str | None = None,
    readout: str | None = None,
) -> Path:
    """Draw a results directory and save the figure.

    Parameters
    ----------
    ds : xarray.Dataset
        Results of ``jaksim run`` (:func:`jaksim.experiment.open_results`), loaded.
    kind : {"auto", "timecourse", "dose-response", "heatmap"}
        ``auto``: a heatmap for a 2-axis sweep, dose-response for 1 axis, else time courses.
    out : path
        Figure file (``.png``, ``.svg``, ``.pdf``), or a directory to receive ``<kind>.png``.
    observable, readout : str, optional
        What to show (default: the first of each).

    Returns
    -------
    Path
        The figure file.
    """
    axes = [a for a in _axes(ds) if np.issubdtype(ds[a].dtype, np.number)]
    categorical = [a for a in _axes(ds) if a not in axes]
    if kind == "auto":
        kind = {1: "dose-response", 2: "heatmap"}.get(len(axes), "timecourse")
        if ds.sizes["readout"] == 0:
            kind = "timecourse"
    readout = readout or (str(ds["readout"].values[0]) if ds.sizes["readout"] else None)
    if kind == "timecourse":
        ax = plot_timecourses(ds, observable)
    elif kind == "dose-response":
        ax = plot_dose_response(ds, axes[0], readout, by=categorical[0] if categorical else None)
    else:
        ax = plot_heatmap(ds, axes[0], axes[1], readout)
    ax.set_title(ds.attrs.get("experiment", ""))
    path = Path(out) / f"{kind}.png" if Path(out).is_dir() else Path(out)
    ax.figure.tight_layout()
    ax.figure.savefig(path, dpi=150)
    plt.close(ax.figure)
    return path

"""Pharmacology figures: IC50 heatmap, daily-inhibition heatmap and the selectivity demo.

Plot functions take finished tables (no simulation here) and write a PNG/PDF/SVG file.
Labels use plain words: the demo is meant for a classroom. Colour-blind safe: sequential
maps (viridis, single-hue Reds) for values, Okabe-Ito for the drugs' lines, line styles for
pathways; text sizes relative to ``font.size`` so ``figure_style("slide")`` enlarges them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .style import OKABE_ITO, scale

__all__ = ["ic50_heatmap", "daily_heatmap", "selectivity_figure"]

_JAK_WORDS = {"JAK1": "JAK1", "JAK2": "JAK2\n(blood cells)", "JAK3": "JAK3\n(lymphocytes)",
              "TYK2": "TYK2"}  # fmt: skip


def _pyplot():
    # the caller's backend (no matplotlib.use: it would switch a notebook user's backend)
    import matplotlib.pyplot as plt

    return plt


def _label(pathway: str, frame: pd.DataFrame | None = None) -> str:
    """``il13_type2`` -> ``IL13 -> pSTAT6`` when the table has cytokine/readout columns."""
    if frame is not None and {"cytokine", "readout"} <= set(frame.columns):
        row = frame[frame["pathway"] == pathway].iloc[0]
        return f"{row['cytokine']} -> {row['readout'].replace('_total', '')}"
    return pathway


def _matrix(ax, values: np.ndarray, rows, cols, *, fmt, cmap, vmin=None, vmax=None, log=False,
            labels=None):  # fmt: skip
    from matplotlib.colors import LogNorm

    norm = LogNorm(vmin=vmin, vmax=vmax) if log else None
    shown = np.where(np.isfinite(values), values, np.nan)
    im = ax.imshow(shown, cmap=cmap, norm=norm, vmin=None if log else vmin,
                   vmax=None if log else vmax, aspect="auto")  # fmt: skip
    ax.set_xticks(range(len(cols)), cols, rotation=35, ha="right", fontsize="small")
    ax.set_yticks(range(len(rows)), rows, fontsize="small")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            # white on the dark end of the colour map, black elsewhere (readable on a projector)
            rgba = im.cmap(im.norm(shown[i, j])) if np.isfinite(shown[i, j]) else (1, 1, 1, 1)
            dark = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] < 0.5
            text = fmt(values[i, j]) if labels is None else labels[i][j]
            ax.text(j, i, text, ha="center", va="center", fontsize="small",
                    color="white" if dark else "black")  # fmt: skip
    return im


def _fit(text: str, width: int = 44) -> str:
    """Wrap a title or colour-bar label onto lines of ``width`` characters when the type is
    large (slide style): at 18 pt a one-line panel title runs into its neighbour."""
    import textwrap

    return textwrap.fill(text, width) if scale() > 1.1 else text


def _nm(v: float) -> str:
    """A concentration in nM as a short label: 90, 1.2k, 40k."""
    return f"{v:.3g}" if v < 1000 else f"{v / 1000:.2g}k"


def _heatmap(
    grid: pd.DataFrame,
    frame: pd.DataFrame,
    path,
    *,
    width: float,
    colorbar: str,
    title: str,
    **style,
) -> Path:
    """One rows x pathways heatmap figure (``style`` goes to :func:`_matrix`)."""
    plt = _pyplot()
    k = scale()  # larger cells for large type
    fig, ax = plt.subplots(figsize=(k * (width + 0.8 * grid.shape[1]),
                                    k * (1.2 + 0.45 * grid.shape[0])))  # fmt: skip
    im = _matrix(ax, grid.to_numpy(dtype=float), grid.index,
                 [_label(p, frame) for p in grid.columns], **style)  # fmt: skip
    fig.colorbar(im, ax=ax, label=_fit(colorbar, 36))
    ax.set_title(_fit(title, 60))
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return Path(path)


def ic50_heatmap(table: pd.DataFrame, path: str | Path) -> Path:
    """Drug x pathway whole-blood IC50 (nM, log colour); ``-`` where 50 % is not reached."""
    grid = table.pivot(index="drug", columns="pathway", values="ic50_nM")
    vals = grid.to_numpy(dtype=float)
    finite = vals[np.isfinite(vals)]
    return _heatmap(grid, table, path, width=1.0,
                    colorbar="IC50 in whole blood (nM, total drug)",
                    title="Drug concentration that halves the pSTAT signal",
                    fmt=lambda v: "-" if not np.isfinite(v) else f"{v:.3g}", cmap="viridis",
                    vmin=finite.min() if finite.size else 1,
                    vmax=finite.max() if finite.size else 10, log=True)  # fmt: skip


def daily_heatmap(daily: pd.DataFrame, path: str | Path) -> Path:
    """Regimen x pathway mean daily inhibition (%)."""
    d = daily.assign(label=daily["drug"] + " " + daily["regimen"])
    grid = d.pivot(index="label", columns="pathway", values="mean_inhibition") * 100
    labels, title = None, "How much each regimen blocks each pathway, averaged over a day"
    if "mean_inhibition_q05" in d:
        # what is known and what is not: nominal value over its 90 % interval (sampled inputs)
        lo = d.pivot(index="label", columns="pathway", values="mean_inhibition_q05") * 100
        hi = d.pivot(index="label", columns="pathway", values="mean_inhibition_q95") * 100
        labels = [[f"{grid.iat[i, j]:.0f}\n({lo.iat[i, j]:.0f}-{hi.iat[i, j]:.0f})"
                   for j in range(grid.shape[1])] for i in range(grid.shape[0])]  # fmt: skip
        title += " (90 % interval over drug-parameter uncertainty)"
    return _heatmap(grid, daily, path, width=1.5,
                    colorbar="average inhibition over 24 h (%)", title=title,
                    fmt=lambda v: f"{v:.0f}", cmap="Reds", vmin=0, vmax=100,
                    labels=labels)  # fmt: skip


def selectivity_figure(
    *,
    potency: Mapping[str, Mapping[str, float]],
    daily: pd.DataFrame,
    courses: pd.DataFrame,
    responses: Mapping,
    path: str | Path,
) -> Path:
    """The four-panel classroom figure.

    Parameters
    ----------
    potency : {drug: {jak: in-cell IC50 nM}}
    daily : :func:`jaksim.pharmacology.panel.daily_table` output
    courses : :func:`jaksim.pharmacology.panel.time_course_table` output
    responses : {pathway: DoseResponse} for the dose-response panel
    path : output file
    """
    plt = _pyplot()
    k = scale()
    # constrained layout: it makes room for the legend below panel 3 and the colour bars,
    # which tight_layout overlapped at large type
    fig, axes = plt.subplots(2, 2, figsize=(13 * k, 9.5 * k), layout="constrained")
    (a, b), (c, d) = axes

    drugs = list(potency)
    jaks = ["JAK1", "JAK2", "JAK3", "TYK2"]
    vals = np.array([[potency[x][j] for j in jaks] for x in drugs], dtype=float)
    vals = np.where(vals >= 1e8, np.nan, vals)
    im = _matrix(a, vals, drugs, [_JAK_WORDS[j] for j in jaks],
                 fmt=lambda v: "none" if not np.isfinite(v) else _nm(v), cmap="viridis_r",
                 vmin=10, vmax=1e5, log=True)  # fmt: skip
    fig.colorbar(im, ax=a, label=_fit("nM of free drug for half block (lower = stronger)", 30))
    a.set_title(_fit("1. Which JAK enzymes each drug blocks inside cells"))

    dd = daily.assign(label=daily["drug"] + " " + daily["regimen"])
    grid = dd.pivot_table(index="label", columns="pathway", values="mean_inhibition", sort=False)
    im = _matrix(b, grid.to_numpy(float) * 100, grid.index,
                 [_label(p, daily) for p in grid.columns], fmt=lambda v: f"{v:.0f}",
                 cmap="Reds", vmin=0, vmax=100)  # fmt: skip
    fig.colorbar(im, ax=b, label=_fit("% of the signal blocked, averaged over 24 h", 30))
    b.set_title(_fit("2. Signals blocked at the approved dose"))

    styles = ["-", "--", ":", "-."]
    cycle = OKABE_ITO  # not the caller's cycle: matplotlib's default pairs red with green
    regs = list(dict.fromkeys(zip(courses["drug"], courses["regimen"], strict=True)))
    # one colour per drug in panels 3 and 4
    names = [*(r[0] for r in regs), *(x for resp in responses.values() for x in resp.drugs)]
    colour = {x: cycle[i % len(cycle)] for i, x in enumerate(dict.fromkeys(names))}
    for k, path_id in enumerate(dict.fromkeys(courses["pathway"])):
        for drug, reg in regs:
            sel = courses[(courses.pathway == path_id) & (courses.drug == drug)
                          & (courses.regimen == reg)]  # fmt: skip
            c.plot(sel.time_h, 100 * sel.inhibition, styles[k % 4], color=colour[drug],
                   label=f"{drug} {reg}: {_label(path_id, daily)}")  # fmt: skip
    c.set_xlabel("hours after the morning dose (steady state)")
    c.set_ylabel("% of the signal blocked")
    c.set_ylim(0, 100)
    c.set_xlim(0, 24)
    # below the axes: inside, the legend hid the tofacitinib peaks
    large = scale() > 1.1  # slide style: one legend column (two do not fit), below the
    below = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.22), "ncol": 1}  # x label
    c.legend(fontsize="x-small", **(below if large else
             {"ncol": 2, "loc": "upper center", "bbox_to_anchor": (0.5, -0.12)}))  # fmt: skip
    c.set_title(_fit("3. Over one day: wanted (solid) vs unwanted (dashed) blocking"))

    for k, (path_id, resp) in enumerate(responses.items()):
        for i, drug in enumerate(resp.drugs):
            y = resp.inhibition[i] * 100
            d.semilogx(resp.concentrations, y, styles[k % 4], color=colour[drug],
                       label=f"{drug}: {_label(path_id, daily)}")  # fmt: skip
            if y.max() > 50 and np.all(np.diff(y) >= 0):  # monotone: interpolate the IC50
                d.plot([np.interp(50, y, resp.concentrations)], [50], "o", color=colour[drug])
    d.axhline(50, color="grey", lw=0.6)
    d.set_xlabel("drug in blood (nM, total)")
    d.set_ylabel("% of the signal blocked")
    # inside, at large type, the legend would cover the curves
    d.legend(fontsize="x-small" if large else "xx-small",
             **(below if large else {"ncol": 2, "loc": "upper left"}))  # fmt: skip
    d.set_title(_fit("4. Dose-response in blood (dots: half-block concentration, IC50)"))

    fig.suptitle(_fit("JAK inhibitor selectivity: blocking itch/inflammation signals "
                      "(IL-13) vs blood-forming signals (EPO)", 80), fontsize="large")  # fmt: skip
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)

"""Virtual-trial figures: endpoint time courses with population bands per arm, and one
patient's course against the population's bands. Plot functions take finished tables
(:func:`jaksim.clinic.trial.time_course_bands`) and write a PNG/PDF/SVG file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .style import OKABE_ITO

__all__ = ["trial_figure", "patient_figure", "ENDPOINT_LABELS"]

ENDPOINT_LABELS = {
    "easi_pct_change": "EASI, % change from baseline",
    "itch": "peak pruritus NRS (0-10)",
    "hb_change": "haemoglobin change (g/dL)",
    "platelets_change": "platelet change (1e9/L)",
}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def trial_figure(bands: pd.DataFrame, path: str | Path, *, title: str = "") -> Path:
    """2 x 2 panels (EASI, itch, Hb, platelets): per arm the median (line) and the 25-75 %
    (dark) and 5-95 % (light) population bands over weeks."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), sharex=True)
    arms = list(dict.fromkeys(bands["arm"]))
    # Okabe-Ito (colour-blind safe) without the faint yellow; past 7 arms the line style changes
    colours = OKABE_ITO[:7]
    for ax, (ep, label) in zip(axes.ravel(), ENDPOINT_LABELS.items(), strict=True):
        for k, arm in enumerate(arms):
            d = bands[(bands["arm"] == arm) & (bands["endpoint"] == ep)]
            c, ls = colours[k % 7], ("-", "--", ":")[(k // 7) % 3]
            ax.fill_between(d["week"], d["q05"], d["q95"], color=c, alpha=0.08, lw=0)
            ax.fill_between(d["week"], d["q25"], d["q75"], color=c, alpha=0.18, lw=0)
            ax.plot(d["week"], d["q50"], color=c, ls=ls, lw=1.6, label=arm)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("weeks")
    axes[0, 0].legend(fontsize=7, ncol=2)
    fig.suptitle(title or "virtual trial: median, 25-75 % and 5-95 % of virtual patients")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def patient_figure(
    bands: pd.DataFrame, patients: pd.DataFrame, path: str | Path, *, title: str = ""
) -> Path:
    """Case-report patients against their arm's population bands.

    ``patients``: columns patient, arm, endpoint (``easi_pct_change`` or ``itch``), week, value
    (reported observations)."""
    plt = _pyplot()
    eps = ["easi_pct_change", "itch"]
    names = list(dict.fromkeys(patients["patient"]))
    fig, axes = plt.subplots(len(names), 2, figsize=(11, 3.6 * len(names)), squeeze=False)
    for i, name in enumerate(names):
        obs = patients[patients["patient"] == name]
        arm = obs["arm"].iloc[0]
        for j, ep in enumerate(eps):
            ax = axes[i, j]
            d = bands[(bands["arm"] == arm) & (bands["endpoint"] == ep)]
            ax.fill_between(d["week"], d["q05"], d["q95"], color=OKABE_ITO[0], alpha=0.12, lw=0,
                            label="virtual patients 5-95 %")  # fmt: skip
            ax.fill_between(d["week"], d["q25"], d["q75"], color=OKABE_ITO[0], alpha=0.25, lw=0,
                            label="25-75 %")  # fmt: skip
            ax.plot(d["week"], d["q50"], color=OKABE_ITO[0], label="median")
            o = obs[obs["endpoint"] == ep]
            ax.plot(o["week"], o["value"], "o-", color=OKABE_ITO[1], label=f"patient {name}")
            ax.set_title(f"patient {name}: {arm}", fontsize=9)
            ax.set_ylabel(ENDPOINT_LABELS[ep])
            ax.set_xlabel("weeks")
            ax.grid(alpha=0.3)
        axes[i, 0].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

"""The pharmacology validation figure: every published comparison, passed or not, and its role.

Takes the finished table of :func:`jaksim.pharmacology.validation.run_validation` (no
simulation here). Okabe-Ito colours (colour-blind safe) and a text mark per row, so the figure
also reads in greyscale and on a projector.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["validation_figure"]

# Okabe & Ito 2008 palette: bluish green, vermillion, blue, grey
_PASS, _FAIL, _ROLE, _GREY = "#009E73", "#D55E00", "#0072B2", "#999999"


def validation_figure(table: pd.DataFrame, path: str | Path, *, title: str = "") -> Path:
    """One row per check: pass/fail mark, claim, model vs published, role (prediction or
    consistency check). Written to ``path`` (png, pdf or svg)."""
    import matplotlib.pyplot as plt  # the backend is the caller's (no matplotlib.use here)

    n = len(table)
    fig, ax = plt.subplots(figsize=(16, 0.62 * n + 1.6))
    ax.set_xlim(0, 1)
    ax.set_ylim(n - 0.5, -1.2)
    ax.axis("off")
    heads = [(0.01, "result"), (0.085, "published comparison"), (0.47, "model"),
             (0.765, "published"), (0.94, "role")]  # fmt: skip
    for x, h in heads:
        ax.text(x, -0.9, h, fontsize=12, fontweight="bold", va="center")
    for i, row in enumerate(table.itertuples()):
        colour = _PASS if row.passed else _FAIL
        known = not row.passed and bool(getattr(row, "known_miss", ""))
        ax.text(0.01, i, "PASS" if row.passed else ("MISS*" if known else "MISS"), fontsize=12,
                fontweight="bold", color=colour, va="center")  # fmt: skip
        ax.text(0.085, i, _wrap(row.claim, 62), fontsize=10.5, va="center")
        ax.text(0.47, i, _wrap(row.model, 44), fontsize=10, va="center")
        ax.text(0.765, i, _wrap(row.published, 25), fontsize=10, va="center", color="#333333")
        ax.text(0.94, i, row.role, fontsize=10.5, va="center",
                color=_ROLE if row.role == "prediction" else _GREY, style="italic")  # fmt: skip
        if i % 2:
            ax.axhspan(i - 0.5, i + 0.5, color="#f2f2f2", zorder=-1)
    passed = int(table["passed"].sum())
    pred = table[table["role"] == "prediction"]
    ax.set_title(title or f"jaksim pharmacology validation: {passed} of {n} comparisons pass "
                 f"({int(pred['passed'].sum())} of {len(pred)} predictions; MISS* = known miss, "
                 "diagnosis in validation.csv)", fontsize=14, loc="left")  # fmt: skip
    out = Path(path)
    fig.savefig(out, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return out


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width)[:3])

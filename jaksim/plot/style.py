"""Figure styles for jaksim figures: the colour-blind-safe palette and a large-type "slide" style.

Every jaksim plot function draws its categorical lines in the Okabe-Ito palette (Okabe & Ito
2008, "Color Universal Design"), which stays distinguishable with the common colour-vision
deficiencies and in greyscale when combined with line styles; sequential maps are viridis /
cividis / single-hue ones. Plot functions size their text relative to ``font.size`` (``"small"``,
``"large"``...), so one rcParams change rescales every figure:

>>> from jaksim.plot.style import figure_style
>>> with figure_style("slide"):      # doctest: +SKIP
...     save_network(model, "net.png")

``"slide"`` is for a projector at the back of a classroom: 18 pt text, thick lines and markers.
The CLI exposes it as ``--style slide`` (``jaksim info --graph``, ``jaksim plot``,
``jaksim demo selectivity``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["OKABE_ITO", "STYLES", "figure_style", "style_rc", "line_cycler", "scale"]

#: Okabe-Ito colours in the order lines get them. Black and yellow last: black reads as an
#: axis or reference line, and yellow is faint on a white background and on projectors.
OKABE_ITO = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)

STYLES = ("default", "slide")


def line_cycler():
    """Okabe-Ito colours, then the same colours dashed, dotted, dash-dotted: beyond 8 lines
    the line style, not a ninth colour, tells them apart (32 distinct lines)."""
    from cycler import cycler

    return cycler(linestyle=["-", "--", ":", "-."]) * cycler(color=list(OKABE_ITO))


def style_rc(name: str = "default") -> dict:
    """The rcParams of style ``name`` (see :data:`STYLES`).

    Raises
    ------
    ValueError
        Unknown style name.
    """
    if name not in STYLES:
        raise ValueError(f"unknown figure style {name!r}; expected one of {STYLES}")
    rc: dict = {"axes.prop_cycle": line_cycler(), "image.cmap": "viridis"}
    if name == "slide":
        rc.update(
            {
                "font.size": 18,
                "axes.titlesize": 20,
                "axes.labelsize": 18,
                "xtick.labelsize": 16,
                "ytick.labelsize": 16,
                "legend.fontsize": 15,
                "figure.titlesize": 22,
                "lines.linewidth": 3.0,
                "lines.markersize": 9,
                "axes.linewidth": 1.5,
                "xtick.major.width": 1.5,
                "ytick.major.width": 1.5,
                "xtick.major.size": 6,
                "ytick.major.size": 6,
                "savefig.dpi": 150,
            }
        )
    return rc


@contextmanager
def figure_style(name: str = "default") -> Iterator[None]:
    """Apply style ``name`` to the figures drawn and saved inside the ``with`` block; the
    previous rcParams come back afterwards (a notebook user's settings are not changed)."""
    import matplotlib as mpl

    with mpl.rc_context(style_rc(name)):
        yield


def scale() -> float:
    """Factor (1 - 1.4) by which plot functions with fixed figure sizes grow them for the
    current text size: the square root of font.size / 10 pt, so large type still fits but
    stays larger relative to the figure (growing by the full ratio would undo the style)."""
    import matplotlib as mpl

    size = float(mpl.rcParams["font.size"])
    return min(max((size / 10.0) ** 0.5, 1.0), 1.4)

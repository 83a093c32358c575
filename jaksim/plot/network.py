"""Species-reaction graph of a model, drawn with matplotlib only.

Layout (simple and deterministic, readable for ~30-80 species):

* each compartment is a vertical band (columns in model order), labelled at the top;
* species are boxes; their row is their distance (in reaction steps) from the model's source
  species, the ones no reaction produces, so a cascade reads from top to bottom;
* each reaction is a small dot placed between its reactants and products, with plain lines
  from the reactants and arrows to the products; modifiers join the dot with dashed lines.

Readable on a projector: text sizes are relative to ``font.size`` (so
:func:`jaksim.plot.style.figure_style` ``("slide")`` enlarges them), box slots are as wide as
the longest species name at that size, modifier edges are Okabe-Ito vermillion and dashed (not
colour alone), and a legend explains the edge kinds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from pathlib import Path

from ..spec.model import Model
from .style import OKABE_ITO, scale

__all__ = ["network_layout", "draw_network", "save_network"]

_BAND_COLORS = ("#eef3fb", "#fbf3e8", "#eef8ee", "#f6eef8", "#f8f8ea")
_MODIFIER = OKABE_ITO[1]  # vermillion; dashed too, so it does not rest on colour alone
_EDGE = "0.3"
_SPECIES_SIZE = "medium"  # relative to font.size: 10 pt by default, 18 pt in the slide style


def _ranks(model: Model) -> dict[str, int]:
    """Rows: breadth-first distance (reactant or modifier -> product) from the sources: inputs,
    boundary species and species no reaction produces."""
    produced = {sid for r in model.reactions for sid, _ in r.products}
    ids = model.species_ids()
    sources = {i.target for i in model.inputs} | {s.id for s in model.species if s.boundary}
    roots = [s for s in ids if s in sources or s not in produced] or list(ids[:1])
    uses: dict[str, list] = {s: [] for s in ids}
    for r in model.reactions:
        for sid in {*(a for a, _ in r.reactants), *r.modifiers}:
            uses.setdefault(sid, []).append(r)
    rank = dict.fromkeys(roots, 0)
    queue = deque(roots)
    while queue:
        s = queue.popleft()
        for r in uses.get(s, ()):
            for sid, _ in r.products:
                if sid not in rank:
                    rank[sid] = rank[s] + 1
                    queue.append(sid)
    deepest = max(rank.values(), default=0)
    return {s: rank.get(s, deepest + 1) for s in ids}  # unreachable species go last


def network_layout(
    model: Model, *, max_per_line: int = 8
) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float, float]]]:
    """Positions for :func:`draw_network`.

    Parameters
    ----------
    model : Model
    max_per_line : int
        Species of one rank and compartment beyond this wrap onto further lines.

    Returns
    -------
    species_xy : dict species id -> (x, y)
        Box centres; one unit of x is one box slot, one unit of y is one line (y <= 0).
    bands : dict compartment id -> (x_left, x_right, y_bottom)
    """
    ranks = _ranks(model)
    compartments = [c.id for c in model.compartments] or [""]
    slots: dict[tuple[str, int], list[str]] = {}
    for s in model.species:
        comp = s.compartment if s.compartment in compartments else compartments[0]
        slots.setdefault((comp, ranks[s.id]), []).append(s.id)
    # each rank takes as many lines as its widest (wrapped) compartment row needs
    lines = {rank: 1 for rank in ranks.values()}
    for (_, rank), ids in slots.items():
        lines[rank] = max(lines[rank], -(-len(ids) // max_per_line))
    top, y = {}, 0.0
    for rank in sorted(lines):
        top[rank], y = y, y - lines[rank]
    bands: dict[str, tuple[float, float, float]] = {}
    left = 0.0
    for comp in compartments:
        width = max((len(ids) for (c, _), ids in slots.items() if c == comp), default=1)
        width = min(width, max_per_line)
        bands[comp] = (left, left + width, y + 0.3)
        left += width + 0.4
    upstream: dict[str, list[str]] = {}
    for r in model.reactions:
        for p, _ in r.products:
            upstream.setdefault(p, []).extend([*(a for a, _ in r.reactants), *r.modifiers])
    xy: dict[str, tuple[float, float]] = {}
    for (comp, rank), ids in sorted(slots.items(), key=lambda item: item[0][1]):
        x0, x1, _ = bands[comp]

        def barycentre(sid: str, order=ids, x0=x0) -> float:
            # mean x of the already placed species it is made from: fewer crossing edges
            xs = [xy[u][0] for u in upstream.get(sid, ()) if u in xy]
            return sum(xs) / len(xs) if xs else x0 + order.index(sid)

        ordered = sorted(ids, key=barycentre)
        for start in range(0, len(ordered), max_per_line):
            line = ordered[start : start + max_per_line]
            offset = (x1 - x0 - len(line)) / 2  # centre short rows in the band
            for k, sid in enumerate(line):
                # alternate a small vertical shift so neighbouring long labels do not touch
                y = top[rank] - start // max_per_line - 0.12 * (k % 2)
                xy[sid] = (x0 + offset + k + 0.5, y)
    return xy, bands


def _reaction_xy(
    r, xy: Mapping[str, tuple[float, float]], taken: set[tuple[float, float]]
) -> tuple[float, float] | None:
    """Dot position: the centroid of the reaction's species, moved off dots already placed."""
    pts = [xy[s] for s, _ in (*r.reactants, *r.products) if s in xy]
    if not pts:
        return None
    x = sum(p[0] for p in pts) / len(pts)
    y = sum(p[1] for p in pts) / len(pts)
    if len(pts) == 1:  # synthesis / degradation: put the dot beside its species
        x, y = x + 0.35, y - 0.35
    while (round(x, 2), round(y, 2)) in taken:  # e.g. import and export between one pair
        y -= 0.22
    taken.add((round(x, 2), round(y, 2)))
    return x, y


def _edge(ax, start, box, *, head: bool, ls: str = "-", color: str = _EDGE) -> None:
    """Line or arrow from a reaction dot to a species box, clipped at the box outline."""
    ax.annotate(
        "",
        xy=box.get_position(),
        xytext=start,
        arrowprops={
            "arrowstyle": "-|>" if head else "-",
            "color": color,
            "lw": 1.0 * scale(),
            "ls": ls,
            "shrinkA": 0,
            "shrinkB": 1,
            "patchB": box.get_bbox_patch(),
            "mutation_scale": 14 * scale(),
        },
        zorder=5,  # above the boxes, so heads clipped at a box outline stay visible
    )


def draw_network(model: Model, ax=None, *, reaction_labels: bool = False):
    """Draw the species-reaction graph.

    Parameters
    ----------
    model : Model
    ax : matplotlib Axes, optional
        Drawn into a new figure (sized to the model) when omitted.
    reaction_labels : bool
        Write reaction ids next to their dots (cluttered beyond ~30 reactions).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    xy, bands = network_layout(model)
    width = max((b[1] for b in bands.values()), default=1.0)
    depth = -min((b[2] for b in bands.values()), default=-1.0)
    if ax is None:
        # one x unit is one box slot: as wide as the longest name at the current text size
        # (~0.6 em per character), so names do not run into their neighbours at any size
        points = FontProperties(size=_SPECIES_SIZE).get_size_in_points()
        longest = max((len(sid) for sid in xy), default=4)
        slot = max(1.6, 0.45 + 0.62 * longest * points / 72)
        line = max(1.1, 5 * points / 72)  # a row: the box height plus room for the edges
        # a bare Figure (no pyplot): no GUI backend, nothing left open in pyplot's registry
        fig = Figure(figsize=(min(slot * (width + 0.4), 60), min(line * (depth + 1.4), 60)))
        # axes fill the figure, so one slot is `slot` inches; title and legend sit outside
        # and savefig(bbox_inches="tight") takes them in
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    else:
        fig = ax.figure
    for k, (comp, (x0, x1, y0)) in enumerate(bands.items()):
        color = _BAND_COLORS[k % len(_BAND_COLORS)]
        ax.add_patch(Rectangle((x0, y0), x1 - x0, 0.5 - y0 + 0.3, color=color, zorder=0))
        ax.text((x0 + x1) / 2, 0.65, comp, ha="center", va="bottom", weight="bold",
                fontsize="x-large")  # fmt: skip
    boxes = {
        sid: ax.text(
            x,
            y,
            sid,
            ha="center",
            va="center",
            fontsize=_SPECIES_SIZE,
            zorder=4,
            bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "0.2", "lw": 0.8 * scale()},
        )
        for sid, (x, y) in xy.items()
    }
    taken: set[tuple[float, float]] = set()
    for r in model.reactions:
        rxy = _reaction_xy(r, xy, taken)
        if rxy is None:
            continue
        # reversible reactions get heads at both ends
        for sid, _ in r.reactants:
            if sid in boxes:
                _edge(ax, rxy, boxes[sid], head=r.reversible)
        for sid, _ in r.products:
            if sid in boxes:
                _edge(ax, rxy, boxes[sid], head=True)
        for sid in r.modifiers:
            if sid in boxes:
                _edge(ax, rxy, boxes[sid], head=False, ls="--", color=_MODIFIER)
        ax.plot(*rxy, "o", color="black", ms=4 * scale(), zorder=2)
        if reaction_labels:
            ax.text(rxy[0] + 0.05, rxy[1] + 0.05, r.id, fontsize="x-small", color="0.3", zorder=3)
    ax.set_xlim(-0.2, width + 0.2)
    ax.set_ylim(-depth - 0.1, 1.3)
    ax.set_axis_off()
    ax.set_title(model.name or model.id, fontsize="xx-large", pad=12)
    key = [
        Line2D([], [], color="black", marker="o", ls="", ms=6, label="reaction"),
        Line2D([], [], color=_EDGE, lw=1.5, label="reactant - reaction"),
        Line2D([], [], color=_EDGE, lw=1.5, marker=">", label="reaction -> product"),
        Line2D([], [], color=_MODIFIER, lw=1.5, ls="--", label="modifier (enzyme, inhibitor)"),
    ]
    # below the drawing, in one row: inside it would cover species boxes
    ax.legend(handles=key, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4,
              frameon=False, fontsize="large")  # fmt: skip
    return fig


def save_network(model: Model, path: str | Path, *, reaction_labels: bool = False) -> Path:
    """Draw the graph into ``path`` (format from the suffix, e.g. ``.png``, ``.svg``)."""
    # 150 dpi: a full-width projector image for the usual 15-25 inch wide graphs
    draw_network(model, reaction_labels=reaction_labels).savefig(path, dpi=150, bbox_inches="tight")
    return Path(path)

"""Species-reaction graph of a model, drawn with matplotlib only.

Layout (simple and deterministic, readable for ~30-80 species):

* each compartment is a vertical band (columns in model order), labelled at the top;
* species are boxes; their row is their distance (in reaction steps) from the model's source
  species, the ones no reaction produces, so a cascade reads from top to bottom;
* each reaction is a small dot placed between its reactants and products, with plain lines
  from the reactants and arrows to the products; modifiers join the dot with dashed lines.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from pathlib import Path

from ..spec.model import Model

__all__ = ["network_layout", "draw_network", "save_network"]

_BAND_COLORS = ("#eef3fb", "#fbf3e8", "#eef8ee", "#f6eef8", "#f8f8ea")


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


def _edge(ax, start, box, *, head: bool, ls: str = "-", color: str = "0.35") -> None:
    """Line or arrow from a reaction dot to a species box, clipped at the box outline."""
    ax.annotate(
        "",
        xy=box.get_position(),
        xytext=start,
        arrowprops={
            "arrowstyle": "-|>" if head else "-",
            "color": color,
            "lw": 0.8,
            "ls": ls,
            "shrinkA": 0,
            "shrinkB": 1,
            "patchB": box.get_bbox_patch(),
            "mutation_scale": 12,
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
    from matplotlib.patches import Rectangle

    xy, bands = network_layout(model)
    width = max((b[1] for b in bands.values()), default=1.0)
    depth = -min((b[2] for b in bands.values()), default=-1.0)
    if ax is None:
        # a bare Figure (no pyplot): no GUI backend, nothing left open in pyplot's registry
        fig = Figure(figsize=(min(4 + 1.6 * width, 40), min(2 + 1.1 * depth, 40)))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    for k, (comp, (x0, x1, y0)) in enumerate(bands.items()):
        color = _BAND_COLORS[k % len(_BAND_COLORS)]
        ax.add_patch(Rectangle((x0, y0), x1 - x0, 0.5 - y0 + 0.3, color=color, zorder=0))
        ax.text((x0 + x1) / 2, 0.65, comp, ha="center", va="bottom", weight="bold", fontsize=10)
    boxes = {
        sid: ax.text(
            x,
            y,
            sid,
            ha="center",
            va="center",
            fontsize=8,
            zorder=4,
            bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "0.2", "lw": 0.8},
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
                _edge(ax, rxy, boxes[sid], head=False, ls="--", color="tab:red")
        ax.plot(*rxy, "o", color="black", ms=3, zorder=2)
        if reaction_labels:
            ax.text(rxy[0] + 0.05, rxy[1] + 0.05, r.id, fontsize=6, color="0.3", zorder=3)
    ax.set_xlim(-0.2, width + 0.2)
    ax.set_ylim(-depth - 0.1, 1.1)
    ax.set_axis_off()
    ax.set_title(model.name or model.id)
    return fig


def save_network(model: Model, path: str | Path, *, reaction_labels: bool = False) -> Path:
    """Draw the graph into ``path`` (format from the suffix, e.g. ``.png``, ``.svg``)."""
    draw_network(model, reaction_labels=reaction_labels).savefig(path, dpi=120, bbox_inches="tight")
    return Path(path)

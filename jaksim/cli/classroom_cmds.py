"""``jaksim classroom`` (the offline selectivity explorer as one HTML file) and ``jaksim
explore`` (the live Bokeh app for the teacher's laptop)."""

from __future__ import annotations

import argparse
import time

__all__ = ["register"]


def _classroom(args: argparse.Namespace) -> int:
    import numpy as np

    from ..pharmacology.classroom import DEFAULT_PATHWAYS, classroom_data
    from ..plot.classroom import write_classroom_page

    start = time.perf_counter()
    decades = np.log10(args.max_conc / args.min_conc)
    conc = np.geomspace(args.min_conc, args.max_conc, int(round(decades * args.per_decade)) + 1)
    pathways = args.pathways.split(",") if args.pathways else list(DEFAULT_PATHWAYS)
    drugs = args.drugs.split(",") if args.drugs else None
    data = classroom_data(pathways, drugs, conc, exchange=args.exchange)
    out = write_classroom_page(data, args.out)
    size = out.stat().st_size
    print(
        f"page: {out} ({size / 1e6:.2f} MB; {len(data['drugs'])} drugs x "
        f"{len(data['pathways'])} pathways x {conc.size} concentrations; "
        f"{time.perf_counter() - start:.0f} s). Open it in a browser; it needs no network."
    )
    return 0


def _explore(args: argparse.Namespace) -> int:
    try:
        import bokeh  # noqa: F401
    except ImportError:
        print("jaksim explore needs bokeh: pip install bokeh")
        return 1
    from ..explore import EXPLORE_PATHWAYS, serve

    pathways = args.pathways.split(",") if args.pathways else EXPLORE_PATHWAYS
    try:
        serve(port=args.port, show=not args.no_show, pathways=pathways)
    except KeyboardInterrupt:
        pass
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``classroom`` and ``explore`` commands."""
    from ..pharmacology.apply import DEFAULT_EXCHANGE, EXCHANGE

    p = sub.add_parser(
        "classroom",
        help="write the classroom selectivity explorer: one self-contained, offline HTML page",
    )
    p.add_argument("--out", default="selectivity.html", help="HTML file to write")
    p.add_argument("--pathways", help="comma-separated pathway models (default: 16 pathways)")
    p.add_argument("--drugs", help="comma-separated kinase inhibitors (default: the library's)")
    p.add_argument(
        "--per-decade",
        type=float,
        default=10.0,
        help="concentrations per decade of the dose-response grid (default 10)",
    )
    p.add_argument("--min-conc", type=float, default=0.1, help="lowest concentration, nM")
    p.add_argument("--max-conc", type=float, default=1e6, help="highest concentration, nM")
    p.add_argument(
        "--exchange",
        choices=sorted(EXCHANGE),
        default=DEFAULT_EXCHANGE,
        help="drug exchange limit of the pathway models (docs/pharmacology.md)",
    )
    p.set_defaults(func=_classroom)

    p = sub.add_parser(
        "explore",
        help="live Bokeh app: change biology, what-if potencies, dose and missed doses "
        "(needs bokeh)",
    )
    p.add_argument("--port", type=int, default=5006, help="local port (default 5006)")
    p.add_argument("--pathways", help="comma-separated pathway models (default: 5)")
    p.add_argument("--no-show", action="store_true", help="do not open a browser tab")
    p.set_defaults(func=_explore)

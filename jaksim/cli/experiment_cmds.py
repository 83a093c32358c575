"""``jaksim check``, ``jaksim run`` and ``jaksim plot``: experiment files and their results."""

from __future__ import annotations

import argparse
from pathlib import Path

from .outputs import add_style_option

__all__ = ["register"]


def _check(args: argparse.Namespace) -> int:
    from ..experiment import get_kind, load_config

    loaded = load_config(args.file)
    kind = get_kind(loaded.kind)
    n = kind.check(loaded) if kind.check is not None else None
    cfg = loaded.config
    size = f", {n} member{'s' if n != 1 else ''}" if isinstance(n, int) else ""
    print(f"{args.file}: ok ({cfg.experiment.kind} experiment {cfg.experiment.name!r}{size})")
    return 0


def _run(args: argparse.Namespace) -> int:
    from ..experiment import run_experiment

    out = run_experiment(
        args.file,
        out=args.out,
        resume=args.resume,
        restart=args.restart,
        workers=args.workers,
        scheduler=args.scheduler,
        quiet=args.quiet,
        connect_timeout=args.connect_timeout,
        chunk_timeout=args.chunk_timeout,
        worker_timeout=args.worker_timeout,
    )
    if not args.quiet:
        print(f"results: {out}")
    return 0


def _plot(args: argparse.Namespace) -> int:
    from ..experiment.store import open_results
    from ..plot.results import plot_results

    with open_results(args.results) as lazy:  # plots show at most the first 10,000 members
        ds = lazy.isel(member=slice(0, 10_000)).load()
    figure = plot_results(
        ds,
        args.out or args.results,
        kind=args.kind,
        observable=args.observable,
        readout=args.readout,
    )
    print(f"figure: {figure}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``check``, ``run`` and ``plot`` commands."""
    p = sub.add_parser("check", help="validate an experiment file (and its model references)")
    p.add_argument("file", help="experiment .toml file or shipped experiment name")
    p.set_defaults(func=_check)

    p = sub.add_parser("run", help="run an experiment file (simulations, sweeps, assays)")
    p.add_argument("file", help="experiment .toml file or shipped experiment name")
    p.add_argument("--out", type=Path, help="results directory (default: the file's output)")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run, keeping its finished chunks (damaged or missing "
        "chunk files are recomputed)",
    )
    p.add_argument(
        "--restart",
        action="store_true",
        help="discard the results already in the folder and run afresh, also when --resume "
        "finds that the experiment file or the model changed",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="solver threads (local) or worker processes (local Dask cluster)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        help="Dask scheduler address, e.g. tcp://host:8786 (distributed run)",
    )
    p.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for the Dask scheduler to answer (default: 10)",
    )
    p.add_argument(
        "--chunk-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop (resumable) when no chunk finishes for this long (default: no limit)",
    )
    p.add_argument(
        "--worker-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="stop (resumable) when the Dask scheduler has no worker or cannot be reached "
        "for this long (default: 60)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)

    p = sub.add_parser("plot", help="plot a results directory")
    p.add_argument("results", type=Path, help="results directory written by `jaksim run`")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="figure file; format from the extension (.png, .svg, .pdf)",
    )
    p.add_argument(
        "--kind",
        choices=("auto", "timecourse", "dose-response", "heatmap"),
        default="auto",
        help="figure type (auto: from the sweep's shape)",
    )
    p.add_argument("--observable", default=None, help="observable to show (default: first)")
    p.add_argument(
        "--readout",
        default=None,
        help="readout for dose-response / heatmap, e.g. pSTAT3_total:peak",
    )
    add_style_option(p)
    p.set_defaults(func=_plot)

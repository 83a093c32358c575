"""``jaksim import-sbml``, ``jaksim export-sbml`` and ``jaksim sbml-suite``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .outputs import prepare_out, writing

__all__ = ["register"]


def register(subparsers) -> None:
    """Add the SBML sub-commands."""
    p = subparsers.add_parser("import-sbml", help="convert an SBML file to a jaksim TOML model")
    p.add_argument("sbml", help="SBML file (L2V4, L3V1, L3V2 core)")
    p.add_argument("--out", metavar="FILE.toml", help="output file (default: <sbml stem>.toml)")
    p.set_defaults(func=cmd_import)

    p = subparsers.add_parser("export-sbml", help="write a model as SBML Level 3 Version 2")
    p.add_argument("model", help="shipped model name, .toml or SBML file")
    p.add_argument("out", help="output SBML file")
    p.set_defaults(func=cmd_export)

    p = subparsers.add_parser("sbml-suite", help="run SBML Test Suite semantic cases")
    p.add_argument("cases_dir", metavar="DIR", help="folder of case folders (00001, 00002, ...)")
    p.add_argument("--cases", help="comma-separated case numbers, e.g. 1,2,1120")
    p.add_argument("--tags", help="comma-separated tags: run only cases having one of them")
    p.add_argument("--quiet", action="store_true", help="print only failures and the summary")
    p.set_defaults(func=cmd_suite)


def cmd_import(args: argparse.Namespace) -> int:
    from ..io.sbml_import import load_sbml
    from ..io.toml_writer import write_model_toml

    out = Path(args.out) if args.out else Path(args.sbml).with_suffix(".toml")
    model = load_sbml(args.sbml)
    prepare_out(str(out), "--out")
    with writing(str(out), "--out"):
        write_model_toml(model, out)
    print(f"wrote {out} ({len(model.species)} species, {len(model.reactions)} reactions, "
          f"{len(model.events)} events)")  # fmt: skip
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from ..io.registry import load_model
    from ..io.sbml_export import write_sbml

    model = load_model(args.model)
    prepare_out(args.out, "OUT")
    with writing(args.out, "OUT"):
        path = write_sbml(model, args.out)
    print(f"wrote {path} (SBML L3V2, {len(model.species)} species, "
          f"{len(model.reactions)} reactions)")  # fmt: skip
    return 0


def _split(text: str | None) -> list[str] | None:
    return [x.strip() for x in text.split(",") if x.strip()] if text else None


def cmd_suite(args: argparse.Namespace) -> int:
    from ..sbml_suite import run_suite

    root = Path(args.cases_dir)
    if not root.is_dir():
        print(f"jaksim: error: {root}: not a folder of SBML Test Suite cases", file=sys.stderr)
        return 2

    def show(result) -> None:
        if args.quiet and result.status != "failed":
            return
        reason = f" ({result.reason})" if result.reason else ""
        print(f"{result.case} {result.status}{reason}", flush=True)

    summary = run_suite(root, _split(args.cases), _split(args.tags), progress=show)
    print()
    print(summary.table())
    print()
    print(summary.last_line())
    return 1 if summary.counts["failed"] else 0

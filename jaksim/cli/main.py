"""The ``jaksim`` command. Each command group lives in its own module exposing
``register(subparsers)``; that function adds its sub-command(s) with ``set_defaults(func=...)``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from importlib import import_module

from .._version import __version__
from ..spec.errors import JaksimError

# Command modules, in the order their commands appear in --help.
COMMAND_MODULES = (
    "jaksim.cli.model_cmds",  # models, info, simulate
    "jaksim.cli.experiment_cmds",  # check, run, plot
    "jaksim.cli.pharmacology_cmds",  # demo, drugs, validate
    "jaksim.cli.classroom_cmds",  # classroom, explore
    "jaksim.cli.sbml_cmds",  # import-sbml, export-sbml, sbml-suite
    "jaksim.cli.fit_cmds",  # fit, profile
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jaksim",
        description="Simulate JAK/STAT signalling and JAK-inhibitor pharmacology.",
    )
    parser.add_argument("--version", action="version", version=f"jaksim {__version__}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log what jaksim does (fallbacks, member failures, cache use)",
    )
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback of an error (for bug reports)")  # fmt: skip
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:  # a command group not built yet
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # the command writes figure files only: a display-free backend unless the user chose one
    os.environ.setdefault("MPLBACKEND", "Agg")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="jaksim: %(levelname)s: %(message)s",
    )
    try:
        style = getattr(args, "style", None)
        if style is None:
            return int(args.func(args) or 0)
        from ..plot.style import figure_style

        with figure_style(style):
            return int(args.func(args) or 0)
    except JaksimError as err:
        if args.debug:
            raise
        print(f"jaksim: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("jaksim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` & co.: stop quietly, like other tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())

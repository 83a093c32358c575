"""The ``jaksim`` command. Each command group lives in its own module exposing
``register(subparsers)``; that function adds its sub-command(s) with ``set_defaults(func=...)``.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module

from .._version import __version__
from ..spec.errors import JaksimError

# Command modules, in the order their commands appear in --help.
COMMAND_MODULES = (
    "jaksim.cli.model_cmds",  # models, info, simulate
    "jaksim.cli.experiment_cmds",  # check, run, plot
    "jaksim.cli.pharmacology_cmds",  # demo, drugs
    "jaksim.cli.sbml_cmds",  # import-sbml, export-sbml, sbml-suite
    "jaksim.cli.fit_cmds",  # fit, profile
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jaksim",
        description="Simulate JAK/STAT signalling and JAK-inhibitor pharmacology.",
    )
    parser.add_argument("--version", action="version", version=f"jaksim {__version__}")
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
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except JaksimError as err:
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

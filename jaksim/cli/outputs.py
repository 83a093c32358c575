"""Output paths of the commands: checked before the work starts, write errors made readable."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..io.paths import prepare_output
from ..spec.errors import RunError

__all__ = ["prepare_out", "writing", "add_style_option"]


def add_style_option(parser) -> None:
    """``--style {default,slide}`` for a command that draws figures; ``main`` applies it
    around the whole command (:func:`jaksim.plot.style.figure_style`), so every figure the
    command saves gets it, however deep the plot call sits."""
    from ..plot.style import STYLES  # no matplotlib import: STYLES is a plain tuple

    parser.add_argument(
        "--style",
        choices=STYLES,
        default=None,
        help="figure style: slide = large type and thick lines for a projector "
        "(colours are Okabe-Ito, colour-blind safe, in every style)",
    )


def prepare_out(path: str, flag: str) -> None:
    """Check an output path before the work starts; create missing folders and say so."""
    created = prepare_output(path, arg=flag)
    if created is not None:
        print(f"created folder {created}")


@contextmanager
def writing(path: str, flag: str) -> Iterator[None]:
    """Turn an OSError while writing ``path`` (disk full, removed folder) into a RunError."""
    try:
        yield
    except OSError as err:
        raise RunError(f"cannot write: {err.strerror or err}", file=str(path), field=flag) from None

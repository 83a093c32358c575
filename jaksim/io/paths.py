"""Checks on paths given by the user: input files that must be readable text, output paths
that must be writable. Each problem becomes a :class:`~jaksim.spec.errors.JaksimError` naming
the path and the argument, raised *before* any work is done (a long simulation should not end
in "cannot write the result").
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..spec.errors import JaksimError, RunError

__all__ = ["prepare_output", "read_text_file"]


def read_text_file(path: str | Path, error: type[JaksimError], what: str = "file") -> str:
    """Read a UTF-8 text file; a folder, a missing / unreadable or binary file raises ``error``.

    Parameters
    ----------
    path : str or Path
        The file.
    error : type of JaksimError
        Raised with ``file=path`` (e.g. ModelError for model files, ConfigError for
        experiment files).
    what : str
        What the file should be, for the message ("model file", "experiment file").
    """
    path = Path(path)
    if path.is_dir():
        raise error(f"is a folder, not a {what}", file=str(path))
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise error("file not found", file=str(path)) from None
    except OSError as err:
        raise error(f"cannot read {what}: {err.strerror or err}", file=str(path)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise error(
            f"not a text file: byte {err.start} is not valid UTF-8 (a {what} is UTF-8 TOML "
            "text; is this a binary or compressed file?)",
            file=str(path),
        ) from None


def _first_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def prepare_output(
    path: str | Path,
    *,
    arg: str = "--out",
    folder: bool = False,
    error: type[JaksimError] = RunError,
) -> Path | None:
    """Make sure ``path`` can be written, creating missing parent folders.

    Parameters
    ----------
    path : str or Path
        An output file, or with ``folder=True`` an output folder (which may exist; the writer
        creates it otherwise).
    arg : str
        The argument or key the path came from (``--out``, ``OUT``, ``[experiment] output``).
    folder : bool
        ``path`` is a results folder rather than a file.
    error : type of JaksimError
        Raised, with ``file=path`` and ``field=arg``.

    Returns
    -------
    Path or None
        The folder that had to be created (with its missing parents; callers say so), or
        None.

    Raises
    ------
    JaksimError
        ``path`` is a folder where a file is expected (or a file where a folder is), a parent
        is a regular file, or the folder cannot be created or written into.
    """
    path = Path(path)

    def fail(message: str) -> JaksimError:
        return error(message, file=str(path), field=arg)

    if folder and path.exists() and not path.is_dir():
        raise fail("is not a folder: give a (new or empty) folder for the results")
    if not folder and path.is_dir():
        raise fail("is a folder: give a file name")
    parent = path if folder and path.is_dir() else path.parent
    existing = _first_existing(parent)
    if not existing.is_dir():
        raise fail(f"{existing} is not a folder, so nothing can be written under it")
    created = None
    if existing != parent:
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise fail(f"cannot create folder {parent}: {err.strerror or err}") from None
        created = parent
    if not os.access(parent, os.W_OK):
        raise fail(f"folder {parent} is not writable")
    try:  # permission bits do not tell everything (root, read-only mounts, /proc)
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as err:
        raise fail(f"cannot write into folder {parent}: {err.strerror or err}") from None
    return created

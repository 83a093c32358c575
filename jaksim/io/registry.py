"""Find models: file paths, SBML files and the models shipped with jaksim (by name).

Shipped files live in the repository's top-level ``models/`` and ``experiments/`` folders; a
wheel carries them as ``jaksim/_data/models`` and ``jaksim/_data/experiments`` (pyproject's
``force-include``). Files under ``models/modules/`` are template modules and TOML files without
a ``[model]`` table (e.g. the drug library) are data, not models: neither is listed.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from ..spec.errors import ModelError, did_you_mean
from ..spec.model import Model
from .toml_model import load_model_file, read_toml

__all__ = ["shipped_root", "shipped_path", "list_models", "load_model"]

_KINDS = ("models", "experiments")
_SBML_SUFFIXES = (".xml", ".sbml")


def shipped_root(kind: str = "models") -> Path:
    """Folder of shipped ``kind`` files: the wheel's ``jaksim/_data/<kind>`` or the repo's."""
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    installed = Path(str(files("jaksim"))) / "_data" / kind
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / kind


def _shipped_files(kind: str) -> dict[str, list[Path]]:
    root = shipped_root(kind)
    found: dict[str, list[Path]] = {}
    for path in sorted(root.rglob("*.toml")) if root.is_dir() else ():
        if kind == "models" and "modules" in path.relative_to(root).parts[:-1]:
            continue
        found.setdefault(path.stem, []).append(path)
    return found


def shipped_path(kind: str, name: str) -> Path:
    """Path of the shipped ``kind`` file named ``name`` (file stem, searched recursively).

    ``name`` may also be relative to the folder (``"pathways/il6"``).

    Raises
    ------
    ModelError
        Unknown name (with "did you mean") or a name found twice.
    """
    root = shipped_root(kind)
    direct = root / (name if name.endswith(".toml") else f"{name}.toml")
    if "/" in name and direct.is_file():
        return direct
    found = _shipped_files(kind)
    stem = Path(name).stem
    if stem not in found:
        raise ModelError(
            f"no shipped {kind[:-1]} named {name!r}{did_you_mean(stem, found)}; "
            f"`jaksim {kind}` lists them" + (f" (searched {root})" if not found else "")
        )
    if len(found[stem]) > 1:
        paths = ", ".join(str(p.relative_to(root)) for p in found[stem])
        raise ModelError(f"{name!r} is ambiguous: {paths}; give the relative path")
    return found[stem][0]


def list_models() -> list[tuple[str, str, Path]]:
    """Shipped models as ``(name, description, path)``, sorted by name."""
    out = []
    for name, paths in sorted(_shipped_files("models").items()):
        for path in paths:
            head = read_toml(path).get("model")
            if isinstance(head, dict):
                out.append((name, str(head.get("description", "")), path))
    return out


def load_model(name_or_path: str | Path | Model, *, require_sources: bool = True) -> Model:
    """Load a model from a TOML file, an SBML file or a shipped model name.

    Parameters
    ----------
    name_or_path : str, Path or Model
        ``"model.toml"``, ``"model.xml"`` / ``".sbml"`` (imported with
        :func:`jaksim.io.sbml_import.load_sbml`), or the name of a shipped model
        (``"il6"``). A Model is returned unchanged.
    require_sources : bool
        For TOML files: refuse parameters without ``source`` or ``assumed``.

    Raises
    ------
    ModelError
        Unknown name (with "did you mean" over shipped names) or a bad file.
    """
    if isinstance(name_or_path, Model):
        return name_or_path
    path = Path(name_or_path)
    if path.is_dir():
        raise ModelError(
            "is a folder, not a model file: give a .toml or SBML file or a shipped model name",
            file=str(path),
        )
    if path.suffix.lower() in _SBML_SUFFIXES:
        from .sbml_import import load_sbml  # libsbml loads only when needed

        if not path.is_file():
            raise ModelError("file not found", file=str(path))
        return load_sbml(path)
    if path.suffix.lower() == ".toml" or path.is_file():
        return load_model_file(path, require_sources=require_sources)
    return load_model_file(
        shipped_path("models", str(name_or_path)), require_sources=require_sources
    )

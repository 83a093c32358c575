"""Registry of experiment kinds (``[experiment] kind = "..."``).

A kind is a name, the pydantic schema of its own table (the table named after the kind, e.g.
``[ic50_assay]``; ``None`` when the kind has none) and a runner. ``"simulation"`` (the default)
is registered by :mod:`jaksim.experiment.runner`; the pharmacology kinds by
``jaksim.experiment.kinds_pharmacology``. Both modules are imported on first lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from pydantic import BaseModel

__all__ = ["ExperimentKind", "register_kind", "get_kind", "kind_names"]

# Modules that register kinds when imported (a missing one is skipped: not built yet).
_KIND_MODULES = (
    "jaksim.experiment.runner",
    "jaksim.experiment.kinds_pharmacology",
    "jaksim.experiment.kinds_clinic",
)


@dataclass(frozen=True)
class ExperimentKind:
    """One experiment kind.

    Attributes
    ----------
    name : str
        Value of ``[experiment] kind``; also the name of the kind's own table.
    section_schema : type[BaseModel] or None
        Schema of that table.
    runner : callable
        ``runner(loaded: LoadedConfig, options: RunOptions) -> pathlib.Path`` (the output
        directory).
    check : callable or None
        ``check(loaded) -> None``: reference checks for ``jaksim check`` (raise ConfigError).
    """

    name: str
    section_schema: type[BaseModel] | None
    runner: Callable[..., Any]
    check: Callable[..., None] | None = None


_KINDS: dict[str, ExperimentKind] = {}
_loaded = False


def register_kind(
    name: str,
    section_schema: type[BaseModel] | None,
    runner: Callable[..., Any],
    check: Callable[..., None] | None = None,
) -> ExperimentKind:
    """Register (or replace) an experiment kind and return it."""
    kind = ExperimentKind(name, section_schema, runner, check)
    _KINDS[name] = kind
    return kind


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in _KIND_MODULES:
        try:
            import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def kind_names() -> tuple[str, ...]:
    _load_builtin()
    return tuple(sorted(_KINDS))


def get_kind(name: str) -> ExperimentKind | None:
    """The registered kind ``name``, or None."""
    _load_builtin()
    return _KINDS.get(name)

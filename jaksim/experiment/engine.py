"""The simulation engine as seen by sweep tasks, and the per-process model cache.

Tasks carry plain data (:class:`ModelRef`, arrays, protocol changes); a worker turns the
reference into a compiled model once (:func:`compiled`) and keeps it for its later chunks, so
no compiled object ever crosses a process or machine boundary. :class:`Engine` bundles the
four functions a task needs; the default one is jaksim's, and tests can substitute a stand-in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ModelRef", "Engine", "default_engine", "load_reference", "compiled"]


@dataclass(frozen=True)
class ModelRef:
    """Where a model comes from: a shipped name or a file, plus a drug (pharmacology).

    Attributes
    ----------
    ref : str
        Shipped model name, or absolute path of a ``.toml`` / SBML file.
    drug : str or None
        Drug added by ``jaksim.pharmacology.with_drug`` (adds parameter ``drug_conc``).
    regimen : str or None
        Dosing regimen passed to ``with_drug`` (drug concentration driven by PK).
    """

    ref: str
    drug: str | None = None
    regimen: str | None = None

    def without_drug(self) -> ModelRef:
        return ModelRef(self.ref)


def load_reference(ref: ModelRef) -> Any:
    """Load the :class:`~jaksim.spec.model.Model` that ``ref`` names."""
    from ..io.registry import load_model

    model = load_model(ref.ref)
    if ref.drug is not None:
        from ..pharmacology import with_drug

        model = with_drug(model, ref.drug, regimen=ref.regimen)
    return model


def _protocol(changes: list[tuple[float, str, str, Any]]) -> Any:
    from ..simulation import Change, Protocol

    return Protocol(changes=tuple(Change(t, target, op, value) for t, target, op, value in changes))


def _dosing(drug: str, regimen: str, days: float, model: Any) -> list[tuple[float, str, str, Any]]:
    from ..pharmacology import dosing_protocol

    proto = dosing_protocol(drug, regimen, days=days, model=model)
    return [(c.time, c.target, c.op, c.value) for c in proto.changes]


def _ensemble(*args: Any, **kwargs: Any) -> Any:
    from ..simulation import simulate_ensemble

    return simulate_ensemble(*args, **kwargs)


def _compile(model: Any) -> Any:
    from ..compile import compile_model

    return compile_model(model)


@dataclass(frozen=True)
class Engine:
    """Functions a sweep task calls; all must be module-level (picklable by reference).

    Attributes
    ----------
    load : ModelRef -> Model
    compile : Model -> compiled model (anything ``ensemble`` accepts)
    ensemble : the :func:`jaksim.simulation.simulate_ensemble` signature
    protocol : list of ``(time, target, op, value)`` -> protocol object for ``ensemble``
    dosing : ``(drug, regimen, days, model)`` -> list of ``(time, target, op, value)``
    """

    load: Callable[[ModelRef], Any] = load_reference
    compile: Callable[[Any], Any] = _compile
    ensemble: Callable[..., Any] = _ensemble
    protocol: Callable[[list], Any] = _protocol
    dosing: Callable[[str, str, float, Any], list] = _dosing


def default_engine() -> Engine:
    return Engine()


_CACHE: dict[tuple[Engine, ModelRef], Any] = {}


def compiled(engine: Engine, ref: ModelRef) -> Any:
    """The compiled model for ``ref``, built once per process (kernels come from the
    on-disk cache after the first build on a machine)."""
    key = (engine, ref)
    if key not in _CACHE:
        _CACHE[key] = engine.compile(engine.load(ref))
    return _CACHE[key]


def resolve_ref(ref: str, base_dir: Path) -> str:
    """A model reference with a file suffix becomes an absolute path (relative to the
    experiment file's directory); a bare name is a shipped model."""
    if Path(ref).suffix.lower() in (".toml", ".xml", ".sbml"):
        path = Path(ref)
        return str(path if path.is_absolute() else (base_dir / path).resolve())
    return ref

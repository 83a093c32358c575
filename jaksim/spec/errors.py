"""Exception hierarchy. Every message names where the problem is: file, field, value, fix."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "JaksimError",
    "ModelError",
    "ExpressionError",
    "UnitError",
    "ConfigError",
    "PharmacologyError",
    "SimulationError",
    "SteadyStateError",
    "RunError",
    "PetabError",
    "did_you_mean",
]


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest candidate, or ``""``."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class JaksimError(Exception):
    """Base class of jaksim's errors.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    file : str, optional
        The file the problem is in.
    field : str, optional
        The key path / component inside the file, e.g. ``reactions[3].rate`` or
        ``reaction 'bind'``.
    """

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None):
        self.message = message
        self.file = file
        self.field = field
        super().__init__(self._format())

    def _format(self) -> str:
        prefix = ""
        if self.file:
            prefix += f"{self.file}: "
        if self.field:
            prefix += f"{self.field}: "
        return prefix + self.message

    def located(self, *, file: str | None = None, field: str | None = None) -> JaksimError:
        """Return a copy of this error with file/field filled in where still unknown."""
        return type(self)(self.message, file=self.file or file, field=self.field or field)


class ModelError(JaksimError):
    """A malformed or inconsistent model."""


class ExpressionError(ModelError):
    """An expression that cannot be parsed or names an unknown symbol."""


class UnitError(ModelError):
    """A unit that cannot be parsed or is dimensionally inconsistent."""


class ConfigError(JaksimError):
    """A malformed experiment configuration."""


class SimulationError(JaksimError):
    """A solve that failed (step size underflow, too many steps, non-finite values)."""


class SteadyStateError(SimulationError):
    """No steady state found by Newton iteration or by integration."""


class PharmacologyError(JaksimError, ValueError):
    """A drug, regimen or drug-model combination that cannot be applied (also a ValueError,
    which callers of the pharmacology API caught before this class existed)."""


class RunError(JaksimError):
    """A run that cannot start or go on: its results folder is locked by another run, the
    Dask scheduler is unreachable, no chunk finishes, or every member failed."""


class PetabError(JaksimError):
    """A PEtab problem that cannot be read or uses features jaksim does not support."""

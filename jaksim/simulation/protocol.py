"""Protocols: timed, piecewise-constant changes of species and parameters.

A protocol is data. The solvers stop exactly at every change time and restart there (a change
is a discontinuity). Values at a change time are reported *after* the change.

Examples
--------
>>> p = Protocol((Change(0.0, "IL6", "set", 1.0), Change(3600.0, "IL6", "set", 0.0)))
>>> p.times
(0.0, 3600.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..solve.ensemble import ADD_PARAM, ADD_STATE, SET_PARAM, SET_STATE
from ..spec.errors import did_you_mean

__all__ = ["Change", "Protocol"]

_OPS = ("set", "add")


@dataclass(frozen=True)
class Change:
    """At ``time``, set ``target`` to ``value`` (``op="set"``) or add ``value`` to it (``"add"``).

    ``target`` is a species (state) or parameter id. ``value`` is in the target's units; in an
    ensemble it may be an array with one value per member.
    """

    time: float
    target: str
    op: str = "set"
    value: float | np.ndarray = 0.0

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(
                f"Change of {self.target!r} at t={self.time}: op must be 'set' or 'add', "
                f"got {self.op!r}{did_you_mean(str(self.op), _OPS)}"
            )
        if not math.isfinite(float(self.time)):
            raise ValueError(f"Change of {self.target!r}: time must be finite, got {self.time}")
        object.__setattr__(self, "time", float(self.time))


@dataclass(frozen=True)
class Protocol:
    """An ordered collection of :class:`Change` (sorted by time; ties keep their order)."""

    changes: tuple[Change, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        changes = tuple(sorted(self.changes, key=lambda c: c.time))
        for c in changes:
            if not isinstance(c, Change):
                raise TypeError(f"Protocol.changes must hold Change objects, got {c!r}")
        object.__setattr__(self, "changes", changes)

    @classmethod
    def from_inputs(cls, inputs: Iterable) -> Protocol:
        """Protocol from a model's :class:`~jaksim.spec.model.Input` entries."""
        return cls(
            tuple(
                Change(float(t), inp.target, inp.op, float(v))
                for inp in inputs
                for t, v in inp.changes
            )
        )

    @classmethod
    def of_model(cls, compiled) -> Protocol:
        """The default protocol of a (compiled) model: its ``inputs``."""
        model = getattr(compiled, "model", None)
        inputs = getattr(model, "inputs", None) if model is not None else None
        if inputs is None:
            inputs = getattr(compiled, "inputs", ())
        return cls.from_inputs(inputs)

    def __add__(self, other: Protocol) -> Protocol:
        return Protocol(self.changes + other.changes)

    def __len__(self) -> int:
        return len(self.changes)

    @property
    def times(self) -> tuple[float, ...]:
        """Distinct change times, increasing."""
        return tuple(sorted({c.time for c in self.changes}))

    def encode(
        self, state_ids: Sequence[str], param_ids: Sequence[str], n_members: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Arrays for the solver kernels: ``(time, kind, index, value (n_members, n_c))``.

        Raises
        ------
        KeyError
            A target that is neither a state nor a parameter id.
        ValueError
            A per-member value array whose length is not ``n_members``.
        """
        s_index = {s: i for i, s in enumerate(state_ids)}
        p_index = {s: i for i, s in enumerate(param_ids)}
        n_c = len(self.changes)
        time = np.empty(n_c)
        kind = np.empty(n_c, dtype=np.int64)
        index = np.empty(n_c, dtype=np.int64)
        value = np.empty((n_members, n_c))
        for j, c in enumerate(self.changes):
            time[j] = c.time
            if c.target in s_index:
                kind[j] = SET_STATE if c.op == "set" else ADD_STATE
                index[j] = s_index[c.target]
            elif c.target in p_index:
                kind[j] = SET_PARAM if c.op == "set" else ADD_PARAM
                index[j] = p_index[c.target]
            else:
                known = [*state_ids, *param_ids]
                raise KeyError(
                    f"protocol change at t={c.time}: unknown target {c.target!r}"
                    f"{did_you_mean(c.target, known)}; targets must be species or parameter ids"
                )
            v = np.asarray(c.value, dtype=float)
            if v.ndim == 0:
                value[:, j] = float(v)
            elif v.shape == (n_members,):
                value[:, j] = v
            else:
                raise ValueError(
                    f"protocol change of {c.target!r} at t={c.time}: value has shape {v.shape}, "
                    f"expected a scalar or ({n_members},) (one value per member)"
                )
        return time, kind, index, value

    def member_count(self) -> int | None:
        """Length of the per-member value arrays, or None if all values are scalars."""
        sizes = {np.asarray(c.value).size for c in self.changes if np.ndim(c.value) > 0}
        if len(sizes) > 1:
            raise ValueError(f"protocol value arrays have different lengths {sorted(sizes)}")
        return sizes.pop() if sizes else None

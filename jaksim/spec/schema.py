"""Closed schema for component tables: plain dicts (as read from TOML) -> spec dataclasses.

Every component kind has a fixed set of keys with types; an unknown key is an error with
"did you mean" and the key path (``reactions[3].kff``), a wrong type names what was expected.
Values keep the units they were written in; :mod:`jaksim.spec.builder` converts them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .errors import ModelError, did_you_mean
from .model import (
    Assignment,
    Compartment,
    Event,
    EventAssignment,
    InitialAssignment,
    Input,
    Parameter,
    RateRule,
    Reaction,
    Species,
)

__all__ = ["KINDS", "Components", "check_keys", "component_from_table", "mass_action_rate"]

# Python type(s) accepted for each declared key type
_NUMBER = "number"
_STR = "string"
_BOOL = "boolean"
_STR_LIST = "list of strings"
_STOICH = "list of species or table {species = stoichiometry}"
_BOUNDS = "[lower, upper]"
_CHANGES = "list of [time, value] pairs"
_TABLES = "list of tables"

# fmt: off
_SCHEMA: dict[str, dict[str, str]] = {
    "compartments": {
        "id": _STR, "size": _NUMBER, "units": _STR, "name": _STR, "constant": _BOOL,
        "spatial_dimensions": _NUMBER, "source": _STR, "assumed": _STR,
    },
    "species": {
        "id": _STR, "compartment": _STR, "initial": _NUMBER, "units": _STR, "name": _STR,
        "boundary": _BOOL, "constant": _BOOL, "amount": _BOOL, "conversion_factor": _STR,
        "source": _STR, "assumed": _STR, "description": _STR,
    },
    "parameters": {
        "id": _STR, "value": _NUMBER, "units": _STR, "name": _STR, "source": _STR,
        "assumed": _STR, "bounds": _BOUNDS, "constant": _BOOL, "description": _STR,
    },
    "reactions": {
        "id": _STR, "reactants": _STOICH, "products": _STOICH, "rate": _STR, "kf": _STR,
        "kr": _STR, "modifiers": _STR_LIST, "reversible": _BOOL, "compartment": _STR,
        "name": _STR, "description": _STR, "local_parameters": _TABLES,
    },
    "assignments": {
        "id": _STR, "expression": _STR, "units": _STR, "name": _STR, "description": _STR,
    },
    "rate_rules": {"variable": _STR, "expression": _STR},
    "initial_assignments": {"variable": _STR, "expression": _STR},
    "events": {
        "id": _STR, "trigger": _STR, "assignments": _TABLES, "delay": _STR, "priority": _STR,
        "persistent": _BOOL, "initial_value": _BOOL, "use_values_from_trigger_time": _BOOL,
    },
    "inputs": {
        "target": _STR, "changes": _CHANGES, "op": _STR, "units": _STR, "description": _STR,
    },
}
# fmt: on
_REQUIRED = {
    "compartments": ("id",),
    "species": ("id", "compartment"),
    "parameters": ("id", "value", "units"),
    "reactions": ("id",),
    "assignments": ("id", "expression"),
    "rate_rules": ("variable", "expression"),
    "initial_assignments": ("variable", "expression"),
    "events": ("id", "trigger", "assignments"),
    "inputs": ("target", "changes"),
}
_EVENT_ASSIGNMENT = {"variable": _STR, "expression": _STR}

#: Component kinds in the order they appear in a Model.
KINDS = tuple(_SCHEMA)


def check_keys(
    table: Mapping[str, Any], allowed: Sequence[str], *, where: str, file: str | None
) -> None:
    """Raise ModelError for the first key of ``table`` not in ``allowed`` (with did-you-mean)."""
    if not isinstance(table, Mapping):
        raise ModelError(f"expected a table, got {_type_name(table)}", file=file, field=where)
    for key in table:
        if key not in allowed:
            raise ModelError(
                f"unknown key {key!r}{did_you_mean(key, allowed)}; allowed: " + ", ".join(allowed),
                file=file,
                field=f"{where}.{key}" if where else key,
            )


def _type_name(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list"}
    if isinstance(value, Mapping):
        return "table"
    return f"{names.get(type(value), type(value).__name__)} {value!r}"


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _check_type(value: Any, kind: str, path: str, file: str | None) -> None:
    ok = {
        _NUMBER: _is_number(value),
        _STR: isinstance(value, str),
        _BOOL: isinstance(value, bool),
        _STR_LIST: isinstance(value, list) and all(isinstance(v, str) for v in value),
        _STOICH: isinstance(value, list | Mapping),
        _BOUNDS: isinstance(value, list | tuple)
        and len(value) == 2
        and all(_is_number(v) for v in value),
        _CHANGES: isinstance(value, list | tuple)
        and all(
            isinstance(c, list | tuple) and len(c) == 2 and all(_is_number(v) for v in c)
            for c in value
        ),
        _TABLES: isinstance(value, list | tuple) and all(isinstance(v, Mapping) for v in value),
    }[kind]
    if not ok:
        raise ModelError(f"expected {kind}, got {_type_name(value)}", file=file, field=path)


def _stoichiometry(value: Any, path: str, file: str | None) -> tuple[tuple[str, float], ...]:
    """``["A", "B"]`` or ``{A = 1, B = 2}`` -> ``(("A", 1.0), ("B", 2.0))``; repeats add up."""
    out: dict[str, float] = {}
    if isinstance(value, Mapping):
        for sid, n in value.items():
            if not _is_number(n) or not n > 0:
                raise ModelError(
                    f"stoichiometry of {sid!r} must be a number > 0, got {_type_name(n)}",
                    file=file,
                    field=f"{path}.{sid}",
                )
            out[sid] = out.get(sid, 0.0) + float(n)
    else:
        for i, sid in enumerate(value):
            if not isinstance(sid, str):
                raise ModelError(
                    f"expected a species id, got {_type_name(sid)} (write stoichiometries as "
                    "a table: {A = 2})",
                    file=file,
                    field=f"{path}[{i}]",
                )
            out[sid] = out.get(sid, 0.0) + 1.0
    return tuple(out.items())


#: Word characters only (an identifier or a plain number): safe next to ``*`` unbracketed.
_ATOM = re.compile(r"[A-Za-z0-9_.]+\Z")


def mass_action_rate(
    kf: str,
    reactants: Sequence[tuple[str, float]],
    kr: str | None = None,
    products: Sequence[tuple[str, float]] = (),
) -> str:
    """Mass-action rate text: ``kf*A*B^2 - kr*C``.

    ``kf`` / ``kr`` may be expressions; anything but a bare identifier or number is
    parenthesised, so that e.g. ``kf = "k1 > 0.05"`` gives ``(k1 > 0.05)*A`` rather than
    ``k1 > 0.05*A`` (a comparison, a power or a ``piecewise`` binds differently from ``*``).
    """

    def term(k: str, side: Sequence[tuple[str, float]]) -> str:
        k = k.strip()
        k = k if _ATOM.match(k) else f"({k})"
        factors = [k] + [sid if n == 1 else f"{sid}^{n:g}" for sid, n in side]
        return "*".join(factors)

    rate = term(kf, reactants)
    return f"{rate} - {term(kr, products)}" if kr else rate


def _checked(kind: str, table: Mapping[str, Any], where: str, file: str | None) -> dict:
    schema = _SCHEMA[kind]
    check_keys(table, tuple(schema), where=where, file=file)
    for key in _REQUIRED[kind]:
        if key not in table:
            raise ModelError(f"missing required key {key!r}", file=file, field=where)
    for key, value in table.items():
        _check_type(value, schema[key], f"{where}.{key}", file)
    return dict(table)


def component_from_table(
    kind: str,
    table: Mapping[str, Any],
    *,
    where: str,
    file: str | None = None,
    defaults: Mapping[str, str] | None = None,
) -> tuple[Any, tuple[str, str | None] | None]:
    """Convert one table to its spec dataclass.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    table : mapping
        The component's keys as written in the model file.
    where : str
        Key path used in error messages, e.g. ``"reactions[3]"``.
    file : str, optional
        File named in error messages.
    defaults : mapping, optional
        ``{"concentration": ..., "substance": ..., "volume": ...}``: units for species
        (concentration or amount) and compartments that omit ``units``.

    Returns
    -------
    component, mass_action
        ``mass_action`` is ``(kf, kr)`` for a reaction written with the shorthand, else None.
    """
    d = _checked(kind, table, where, file)
    defaults = defaults or {}
    if kind == "compartments":
        d.setdefault("units", defaults.get("volume", "pL"))
        return Compartment(**d), None
    if kind == "species":
        unit = "substance" if d.get("amount") else "concentration"
        d.setdefault("units", defaults.get(unit, "nM*pL" if d.get("amount") else "nM"))
        return Species(**d), None
    if kind == "parameters":
        if "bounds" in d:
            d["bounds"] = (float(d["bounds"][0]), float(d["bounds"][1]))
        return Parameter(**d), None
    if kind == "reactions":
        return _reaction(d, where, file)
    if kind == "assignments":
        return Assignment(**d), None
    if kind == "rate_rules":
        return RateRule(**d), None
    if kind == "initial_assignments":
        return InitialAssignment(**d), None
    if kind == "events":
        assigns = []
        for i, a in enumerate(d.pop("assignments")):
            path = f"{where}.assignments[{i}]"
            check_keys(a, tuple(_EVENT_ASSIGNMENT), where=path, file=file)
            for key in _EVENT_ASSIGNMENT:
                if key not in a:
                    raise ModelError(f"missing required key {key!r}", file=file, field=path)
                _check_type(a[key], _STR, f"{path}.{key}", file)
            assigns.append(EventAssignment(a["variable"], a["expression"]))
        return Event(assignments=tuple(assigns), **d), None
    if kind == "inputs":
        d["changes"] = tuple((float(t), float(v)) for t, v in d["changes"])
        bad = [t for t, _ in d["changes"] if not math.isfinite(t)]
        if bad:  # a NaN time sorts nowhere and an infinite one never comes
            raise ModelError(
                f"change times must be finite numbers, got {bad[0]!r}",
                file=file,
                field=f"{where}.changes",
            )
        return Input(**d), None
    raise ModelError(f"unknown component kind {kind!r}{did_you_mean(kind, KINDS)}", file=file)


def _reaction(d: dict, where: str, file: str | None) -> tuple[Reaction, tuple | None]:
    reactants = _stoichiometry(d.pop("reactants", []), f"{where}.reactants", file)
    products = _stoichiometry(d.pop("products", []), f"{where}.products", file)
    kf, kr = d.pop("kf", None), d.pop("kr", None)
    if "rate" in d and (kf or kr):
        raise ModelError("give either 'rate' or 'kf'/'kr', not both", file=file, field=where)
    if kr and not kf:
        raise ModelError("'kr' needs 'kf'", file=file, field=f"{where}.kr")
    mass_action = None
    if kf:
        d["rate"] = mass_action_rate(kf, reactants, kr, products)
        d.setdefault("reversible", kr is not None)
        mass_action = (kf, kr)
    elif "rate" not in d:
        raise ModelError(
            "missing rate law: give 'rate' (an expression) or mass-action 'kf' (and 'kr')",
            file=file,
            field=where,
        )
    local = tuple(
        component_from_table("parameters", p, where=f"{where}.local_parameters[{i}]", file=file)[0]
        for i, p in enumerate(d.pop("local_parameters", []))
    )
    d["modifiers"] = tuple(d.get("modifiers", ()))
    if d.get("compartment") == "":  # explicit "no compartment": rate in amount/time
        d["compartment"] = None
    return (
        Reaction(reactants=reactants, products=products, local_parameters=local, **d),
        mass_action,
    )


@dataclass(frozen=True)
class Components:
    """A bag of model components (what a template instantiation or a model body produces).

    Attributes are tuples of spec dataclasses per kind (see :data:`KINDS`);
    ``mass_action`` maps a reaction id to its ``(kf, kr)`` shorthand, used for unit checks;
    ``auto_compartment`` holds the ids of reactions written without ``compartment``, which
    :func:`jaksim.spec.builder.build_model` places in their first reactant's (else first
    product's) compartment.
    """

    compartments: tuple[Compartment, ...] = ()
    species: tuple[Species, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    reactions: tuple[Reaction, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    rate_rules: tuple[RateRule, ...] = ()
    initial_assignments: tuple[InitialAssignment, ...] = ()
    events: tuple[Event, ...] = ()
    inputs: tuple[Input, ...] = ()
    mass_action: Mapping[str, tuple[str, str | None]] = field(default_factory=dict)
    auto_compartment: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "mass_action", MappingProxyType(dict(self.mass_action)))
        object.__setattr__(self, "auto_compartment", frozenset(self.auto_compartment))

    @classmethod
    def from_tables(
        cls,
        tables: Mapping[str, Sequence[tuple[str, Mapping[str, Any]]]],
        *,
        file: str | None = None,
        defaults: Mapping[str, str] | None = None,
    ) -> Components:
        """Build from ``{kind: [(where, table), ...]}``."""
        out: dict[str, list] = {k: [] for k in KINDS}
        mass_action: dict[str, tuple[str, str | None]] = {}
        auto: set[str] = set()
        for kind, entries in tables.items():
            for where, table in entries:
                comp, ma = component_from_table(
                    kind, table, where=where, file=file, defaults=defaults
                )
                out[kind].append(comp)
                if ma is not None:
                    mass_action[comp.id] = ma
                if kind == "reactions" and "compartment" not in table:
                    auto.add(comp.id)
        return cls(
            **{k: tuple(v) for k, v in out.items()}, mass_action=mass_action, auto_compartment=auto
        )

"""Assemble a :class:`~jaksim.spec.model.Model` from components: units, defaults, checks.

This is the one pipeline both the TOML loader and Python code go through:

1. reactions written without a compartment (``Components.auto_compartment``) get their first
   reactant's (else first product's); a Reaction with ``compartment=None`` otherwise keeps it
   (rate in amount/time);
2. every value is converted to the model's units (``time_unit``, ``concentration_unit``,
   ``volume_unit``); the unit text becomes the model-unit form (``"1/(nM*s)"``) and the
   original value and unit are kept in ``Model.metadata["original.<kind>.<id>"]``;
3. mass-action rate constants are checked dimensionally (see :func:`check_mass_action`);
4. :func:`jaksim.spec.validate.validate_model` runs.

>>> from jaksim.spec.templates import Template
>>> t = Template.define("deg", ["X"],
...     compartments=[{"id": "cyt", "size": 1.0, "units": "pL", "assumed": "demo"}],
...     species=[{"id": "{X}", "compartment": "cyt", "initial": 1.0, "units": "uM"}],
...     parameters=[{"id": "kdeg_{X}", "value": 1.0, "units": "1/min", "assumed": "demo"}],
...     reactions=[{"id": "deg_{X}", "reactants": ["{X}"], "kf": "kdeg_{X}"}])
>>> m = build_model("demo", t.instantiate(X="A"))
>>> m.get_species("A").initial, m.get_parameter("kdeg_A").units
(1000.0, '1/s')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from .errors import ExpressionError, ModelError, UnitError
from .expr import BinOp, Expr, Num, Sym, check_symbols, parse
from .model import Compartment, Input, Model, Parameter, Reaction, Species
from .schema import Components
from .units import ModelUnits, Unit, convert, format_dimension, parse_unit

__all__ = ["build_model", "check_mass_action"]

_CONC = (1.0, -3.0, 0.0, 0.0)
_AMOUNT = (1.0, 0.0, 0.0, 0.0)
_VOLUME = (0.0, 3.0, 0.0, 0.0)
_TIME = (0.0, 0.0, 1.0, 0.0)


def _unit(text: str, file: str | None, field: str) -> Unit:
    try:
        return parse_unit(text)
    except UnitError as err:
        raise err.located(file=file, field=field) from None


def _record(meta: dict, key: str, value: float, text: str, new_value: float, new_text: str):
    if text != new_text or value != new_value:
        meta[key] = f"{value!r} {text}"


def _convert_parameter(
    p: Parameter, mu: ModelUnits, meta: dict, file: str | None, where: str, require_units: bool
) -> Parameter:
    if not p.units and not require_units:
        return p
    unit = _unit(p.units, file, f"{where}.units")
    value, text = mu.to_model(p.value, unit)
    factor = value / p.value if p.value else mu.to_model(1.0, unit)[0]
    bounds = None if p.bounds is None else (p.bounds[0] * factor, p.bounds[1] * factor)
    _record(meta, f"original.parameter.{p.id}", p.value, p.units, value, text)
    return replace(p, value=value, units=text, bounds=bounds)


def _convert_compartment(
    c: Compartment, mu: ModelUnits, meta: dict, file: str | None, require_units: bool
) -> Compartment:
    if c.spatial_dimensions != 3 or not (c.units or require_units):
        return c  # areas / lines (SBML only) and unit-less sizes are kept as written
    unit = _unit(c.units, file, f"compartment {c.id!r}.units")
    if unit.dimension != _VOLUME:
        raise UnitError(
            f"size unit {c.units!r} is not a volume ({format_dimension(unit.dimension)})",
            file=file,
            field=f"compartment {c.id!r}.units",
        )
    size, text = mu.to_model(c.size, unit)
    _record(meta, f"original.compartment.{c.id}", c.size, c.units, size, text)
    return replace(c, size=size, units=text)


def _convert_species(
    s: Species,
    sizes: Mapping[str, float],
    mu: ModelUnits,
    meta: dict,
    file: str | None,
    require_units: bool,
) -> Species:
    if not s.units and not require_units:
        return s
    field = f"species {s.id!r}.units"
    unit = _unit(s.units, file, field)
    if s.amount and unit.dimension == _AMOUNT:
        value, text = mu.to_model(s.initial, unit)
    elif not s.amount and unit.dimension == _CONC:
        value, text = mu.to_model(s.initial, unit)
    elif not s.amount and unit.dimension == _AMOUNT and s.compartment in sizes:
        # an amount (e.g. molecules per cell) of a concentration species: divide by the volume
        amount, _ = mu.to_model(s.initial, unit)
        value, text = amount / sizes[s.compartment], mu.concentration
    else:
        want = "an amount" if s.amount else "a concentration (or an amount per compartment)"
        raise UnitError(
            f"initial-value unit {s.units!r} ({format_dimension(unit.dimension)}) is not {want}",
            file=file,
            field=field,
        )
    _record(meta, f"original.species.{s.id}", s.initial, s.units, value, text)
    return replace(s, initial=value, units=text)


def _convert_input(inp: Input, target_units: Mapping[str, str], file: str | None) -> Input:
    if not inp.units or inp.target not in target_units:
        return inp  # values already in the target's units (validation reports unknown targets)
    field = f"input {inp.target!r}.units"
    unit, dst = _unit(inp.units, file, field), target_units[inp.target]
    try:
        changes = tuple((t, convert(v, unit, dst)) for t, v in inp.changes)
    except UnitError as err:
        raise err.located(file=file, field=field) from None
    return replace(inp, changes=changes, units=dst)


def _default_compartment(r: Reaction, where: Mapping[str, str], auto: frozenset) -> Reaction:
    if r.compartment is not None or r.id not in auto:
        return r
    for sid, _ in (*r.reactants, *r.products):
        if sid in where:
            return replace(r, compartment=where[sid])
    return r


def _symbol_dims(
    species: Mapping[str, Species],
    parameters: Mapping[str, Parameter],
    compartments: Mapping[str, Compartment],
) -> dict[str, tuple[float, ...]]:
    dims: dict[str, tuple[float, ...]] = {}
    for c in compartments.values():
        if c.spatial_dimensions == 3:
            dims[c.id] = _VOLUME
    for p in parameters.values():
        if p.units:  # unit-less parameters (allowed with require_units=False) stay unchecked
            dims[p.id] = parse_unit(p.units).dimension
    for s in species.values():
        dims[s.id] = _AMOUNT if s.amount else _CONC
    return dims


def _product_dims(expr: Expr, dims: Mapping[str, tuple[float, ...]]) -> tuple[float, ...] | None:
    """Dimension of a product of symbols and numbers (``k*act_JAK1``), else None (unchecked)."""
    total = [0.0, 0.0, 0.0, 0.0]
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, BinOp) and node.op == "*":
            stack += [node.left, node.right]
        elif isinstance(node, Sym) and node.name in dims:
            total = [a + b for a, b in zip(total, dims[node.name], strict=True)]
        elif not isinstance(node, Num):
            return None
    return tuple(total)


def check_mass_action(
    reactions: tuple[Reaction, ...],
    mass_action: Mapping[str, tuple[str, str | None]],
    dims: Mapping[str, tuple[float, ...]],
    mu: ModelUnits,
    *,
    other_symbols: Iterable[str] = (),
    file: str | None = None,
) -> None:
    """Check the dimensions of mass-action rate constants.

    A reaction with a compartment has a rate in concentration/time, so for reactants with
    total order ``n`` (all concentrations) ``kf`` must have dimension
    ``concentration^(1-n)/time``; ``kr`` likewise with the products. Amount species count as
    amounts, compartment-less reactions have rates in amount/time. Only constants that are
    products of symbols and numbers (``kon``, ``kcat*act_JAK1``) are checked; general
    expression rate laws are not unit-checked.

    Raises
    ------
    UnitError
        Naming the reaction and field, with the expected and the actual unit.
    ExpressionError
        A constant that does not parse or names an unknown symbol (``other_symbols``, e.g.
        assignment ids and unit-less parameters, are known but not unit-checked).
    """
    known = {*dims, *other_symbols}
    for r in reactions:
        if r.id not in mass_action:
            continue
        rate_dim = _CONC if r.compartment else _AMOUNT
        for key, const, side in (
            ("kf", mass_action[r.id][0], r.reactants),
            ("kr", mass_action[r.id][1], r.products),
        ):
            if const is None:
                continue
            field = f"reaction {r.id!r}.{key}"
            try:
                expr = parse(const, context=field)
                check_symbols(expr, known, context=field, file=file)
            except ExpressionError as err:
                raise err.located(file=file) from None
            got = _product_dims(expr, dims)
            if got is None or any(sid not in dims for sid, _ in side):
                continue
            want = [a - b for a, b in zip(rate_dim, _TIME, strict=True)]
            for sid, n in side:
                want = [w - n * d for w, d in zip(want, dims[sid], strict=True)]
            want = tuple(w + 0.0 for w in want)
            if got != want:
                order = sum(n for _, n in side)
                raise UnitError(
                    f"mass-action constant {const!r} has units {mu.text_for(got)!r} but a "
                    f"reaction of order {order:g} needs {mu.text_for(want)!r} "
                    f"({format_dimension(want)})",
                    file=file,
                    field=field,
                )


def _check_unique_ids(components: Components, file: str | None) -> None:
    """Refuse one id used by two components before unit checks run: otherwise the unit
    lookups below (keyed by id) report a misleading unit mismatch instead of the duplicate.
    The full id checks (syntax, assignment targets) are in :mod:`jaksim.spec.validate`."""
    seen: dict[str, str] = {}
    groups = (
        ("compartment", components.compartments),
        ("species", components.species),
        ("parameter", components.parameters),
        ("reaction", components.reactions),
    )
    for kind, items in groups:
        for item in items:
            if item.id in seen:
                raise ModelError(
                    f"duplicate id {item.id!r} (also a {seen[item.id]}): every compartment, "
                    "species, parameter and reaction needs its own id",
                    file=file,
                    field=f"{kind} {item.id!r}",
                )
            seen[item.id] = kind


def build_model(
    id: str,
    components: Components,
    *,
    name: str = "",
    description: str = "",
    time_unit: str = "s",
    concentration_unit: str = "nM",
    volume_unit: str = "pL",
    source_file: str = "",
    metadata: Mapping[str, str] | None = None,
    validate: bool = True,
    require_sources: bool = True,
    require_units: bool = True,
) -> Model:
    """Build a validated :class:`Model` in the given units from components.

    Parameters
    ----------
    id : str
        Model identifier.
    components : Components
        From :meth:`Template.instantiate`, :func:`merge_components` or
        :meth:`Components.from_tables`; values in the units they were written in.
    time_unit, concentration_unit, volume_unit : str
        The model's unit system; every value is converted to it.
    source_file : str
        Recorded in ``Model.source_file`` and used in error messages.
    validate, require_sources, require_units : bool
        Run :func:`jaksim.spec.validate.validate_model` with these options. With
        ``require_units=False`` (models imported from unit-less SBML) values with empty
        ``units`` are kept as they are, in the model's units.

    Raises
    ------
    UnitError, ModelError
        Naming ``source_file``, the component and the field.
    """
    file = source_file or None
    _check_unique_ids(components, file)
    try:
        mu = ModelUnits(time_unit, concentration_unit, volume_unit)
    except UnitError as err:
        raise err.located(file=file) from None
    meta: dict[str, Any] = dict(metadata or {})
    strict = require_units
    compartments = tuple(
        _convert_compartment(c, mu, meta, file, strict) for c in components.compartments
    )
    sizes = {c.id: c.size for c in compartments}
    species = tuple(_convert_species(s, sizes, mu, meta, file, strict) for s in components.species)
    parameters = tuple(
        _convert_parameter(p, mu, meta, file, f"parameter {p.id!r}", strict)
        for p in components.parameters
    )
    located = {s.id: s.compartment for s in species}
    reactions = tuple(
        replace(
            _default_compartment(r, located, components.auto_compartment),
            local_parameters=tuple(
                _convert_parameter(p, mu, meta, file, f"reaction {r.id!r}.{p.id}", strict)
                for p in r.local_parameters
            ),
        )
        for r in components.reactions
    )
    units_of = {p.id: p.units for p in parameters} | {s.id: s.units for s in species}
    inputs = tuple(_convert_input(i, units_of, file) for i in components.inputs)
    by_id = {s.id: s for s in species}, {p.id: p for p in parameters}
    dims = _symbol_dims(*by_id, {c.id: c for c in compartments})
    check_mass_action(
        reactions,
        components.mass_action,
        dims,
        mu,
        other_symbols=[*(a.id for a in components.assignments), *(p.id for p in parameters)],
        file=file,
    )
    model = Model(
        id=id,
        name=name,
        description=description,
        time_unit=time_unit,
        concentration_unit=concentration_unit,
        volume_unit=volume_unit,
        compartments=compartments,
        species=species,
        parameters=parameters,
        reactions=reactions,
        assignments=components.assignments,
        rate_rules=components.rate_rules,
        initial_assignments=components.initial_assignments,
        events=components.events,
        inputs=inputs,
        source_file=source_file,
        metadata=meta,
    )
    if validate:
        from .validate import validate_model

        validate_model(
            model, file=file, require_sources=require_sources, require_units=require_units
        )
    return model

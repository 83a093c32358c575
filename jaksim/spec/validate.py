"""Semantic checks of a :class:`~jaksim.spec.model.Model` (whatever file or code it came from).

:func:`validate_model` collects every problem it finds (up to :data:`MAX_REPORTED`) and raises
one :class:`~jaksim.spec.errors.ModelError`; a single problem is raised as its own error
(with its specific type, file and field).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from .errors import ExpressionError, JaksimError, ModelError, UnitError, did_you_mean
from .expr import Expr, check_symbols, parse
from .graph import depth_first_order
from .model import Model
from .units import parse_unit

__all__ = ["validate_model", "MAX_REPORTED"]

#: At most this many problems are listed in one error.
MAX_REPORTED = 20

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class _Collector:
    def __init__(self, file: str | None):
        self.file = file
        self.errors: list[JaksimError] = []

    def add(self, message: str, field: str, kind: type[ModelError] = ModelError) -> None:
        self.errors.append(kind(message, file=self.file, field=field))

    def expr(self, text: str, field: str, known: Iterable[str]) -> Expr | None:
        """Parse and symbol-check one expression; record the error and return None on failure."""
        try:
            expr = parse(text, context=field)
            check_symbols(expr, known, context=field, file=self.file)
            return expr
        except ExpressionError as err:
            self.errors.append(err.located(file=self.file, field=field))
            return None

    def raise_if_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            shown = self.errors[:MAX_REPORTED]
            lines = [f"  - {e.field + ': ' if e.field else ''}{e.message}" for e in shown]
            more = len(self.errors) - len(shown)
            tail = f"\n  ... and {more} more" if more > 0 else ""
            raise ModelError(
                f"{len(self.errors)} problems:\n" + "\n".join(lines) + tail, file=self.file
            )


def validate_model(
    model: Model,
    *,
    file: str | None = None,
    require_sources: bool = True,
    require_units: bool = True,
) -> None:
    """Check a model's consistency.

    Checks: identifier syntax; duplicate ids across compartments, species, parameters,
    reactions, assignments and events (an assignment may target a non-constant parameter,
    species or compartment); unknown species / compartments / modifiers; stoichiometries that
    are not numbers > 0; negative initial values; compartment sizes <= 0; missing or
    unparsable units; parameters with neither ``source`` nor ``assumed`` (when
    ``require_sources``); bounds that do not contain the value; unparsable expressions and
    unknown symbols (with "did you mean"); cycles among assignments; input and rule targets.

    Parameters
    ----------
    model : Model
    file : str, optional
        File named in the errors (default ``model.source_file``).
    require_sources : bool
        Refuse parameters that carry neither a source nor an ``assumed`` reason.
    require_units : bool
        Refuse empty ``units`` of compartments, species and parameters (False for models
        imported from SBML files that declare no units).

    Raises
    ------
    ModelError
        One problem as its own error (``ExpressionError``, ``UnitError``...), several as one
        ModelError listing them.
    """
    c = _Collector(file or model.source_file or None)
    _check_ids(model, c)
    _check_values(model, c, require_sources, require_units)
    _check_reactions(model, c)
    _check_rules(model, c)
    c.raise_if_any()


def _check_ids(model: Model, c: _Collector) -> None:
    seen: dict[str, str] = {}
    non_constant = {p.id for p in model.parameters if not p.constant}
    non_constant |= {s.id for s in model.species if not s.constant}
    non_constant |= {x.id for x in model.compartments if not x.constant}
    groups = (
        ("compartment", model.compartments),
        ("species", model.species),
        ("parameter", model.parameters),
        ("reaction", model.reactions),
        ("assignment", model.assignments),
        ("event", model.events),
    )
    for kind, items in groups:
        for item in items:
            field = f"{kind} {item.id!r}"
            if not isinstance(item.id, str) or not _IDENT.match(item.id):
                c.add(f"invalid id {item.id!r}: use letters, digits and _", field)
                continue
            if item.id in seen:
                if kind == "assignment" and item.id in non_constant:
                    continue  # an assignment rule for a variable symbol
                c.add(f"duplicate id {item.id!r} (also a {seen[item.id]})", field)
            seen[item.id] = kind


def _units(c: _Collector, text: str, field: str, required: bool) -> None:
    if not text:
        if required:
            c.add("missing units", field, UnitError)
        return
    try:
        parse_unit(text)
    except UnitError as err:
        c.add(err.message, field, UnitError)


def _set_elsewhere(model: Model) -> set[str]:
    """Symbols whose value rules, initial assignments or events provide (may be NaN here)."""
    return {
        *(a.id for a in model.assignments),
        *(r.variable for r in (*model.rate_rules, *model.initial_assignments)),
        *(ea.variable for ev in model.events for ea in ev.assignments),
    }


def _check_values(model: Model, c: _Collector, require_sources: bool, require_units: bool) -> None:
    provided = _set_elsewhere(model)

    def missing(sid: str, value: float, field: str) -> bool:
        """NaN means "set elsewhere" (SBML import); report it when nothing does."""
        if math.isnan(value) and sid not in provided:
            c.add("no value (NaN) and no rule, initial assignment or event sets it", field)
        return math.isnan(value)

    for x in model.compartments:
        if not missing(x.id, x.size, f"compartment {x.id!r}.size") and not x.size > 0:
            c.add(f"size must be > 0, got {x.size!r}", f"compartment {x.id!r}.size")
        _units(c, x.units, f"compartment {x.id!r}.units", require_units)
    cids = [x.id for x in model.compartments]
    for s in model.species:
        if s.compartment not in cids:
            c.add(
                f"unknown compartment {s.compartment!r}{did_you_mean(s.compartment, cids)}",
                f"species {s.id!r}.compartment",
            )
        if not missing(s.id, s.initial, f"species {s.id!r}.initial") and not s.initial >= 0:
            c.add(f"initial value must be >= 0, got {s.initial!r}", f"species {s.id!r}.initial")
        _units(c, s.units, f"species {s.id!r}.units", require_units)
    params = [*model.parameters, *(p for r in model.reactions for p in r.local_parameters)]
    for p in params:
        field = f"parameter {p.id!r}"
        _units(c, p.units, f"{field}.units", require_units)
        if not missing(p.id, p.value, f"{field}.value") and not math.isfinite(p.value):
            c.add(f"value must be finite, got {p.value!r}", f"{field}.value")
        if require_sources and not (p.source.strip() or p.assumed.strip()):
            c.add(
                "no 'source' (paper, table) and no 'assumed' reason; every parameter needs one",
                field,
            )
        if p.bounds is not None:
            lo, hi = p.bounds
            if not lo <= p.value <= hi:
                c.add(f"value {p.value!r} outside bounds [{lo!r}, {hi!r}]", f"{field}.bounds")


def _symbols(model: Model) -> set[str]:
    return {
        *model.species_ids(),
        *model.parameter_ids(),
        *(x.id for x in model.compartments),
        *(a.id for a in model.assignments),
    }


def _check_reactions(model: Model, c: _Collector) -> None:
    species = model.species_ids()
    cids = [x.id for x in model.compartments]
    known = _symbols(model)
    for r in model.reactions:
        field = f"reaction {r.id!r}"
        for side in ("reactants", "products"):
            for sid, n in getattr(r, side):
                if sid not in species:
                    c.add(f"unknown species {sid!r}{did_you_mean(sid, species)}", f"{field}.{side}")
                if isinstance(n, bool) or not isinstance(n, int | float) or not n > 0:
                    c.add(
                        f"stoichiometry of {sid!r} must be a number > 0, got {n!r}",
                        f"{field}.{side}",
                    )
        for sid in r.modifiers:
            if sid not in species:
                c.add(f"unknown species {sid!r}{did_you_mean(sid, species)}", f"{field}.modifiers")
        if r.compartment is not None and r.compartment not in cids:
            c.add(
                f"unknown compartment {r.compartment!r}{did_you_mean(r.compartment, cids)}",
                f"{field}.compartment",
            )
        c.expr(r.rate, f"{field}.rate", known | {p.id for p in r.local_parameters})


def _check_rules(model: Model, c: _Collector) -> None:
    known = _symbols(model)
    variables = known - {a.id for a in model.assignments}
    deps: dict[str, set[str]] = {}
    assignment_ids = {a.id for a in model.assignments}
    for a in model.assignments:
        expr = c.expr(a.expression, f"assignment {a.id!r}.expression", known)
        if expr is not None:
            deps[a.id] = set(expr.symbols()) & assignment_ids
    _check_cycles(deps, c)
    rules = (("rate_rule", model.rate_rules), ("initial_assignment", model.initial_assignments))
    for kind, items in rules:
        for rule in items:
            field = f"{kind} {rule.variable!r}"
            if rule.variable not in variables:
                c.add(
                    f"unknown variable {rule.variable!r}{did_you_mean(rule.variable, variables)}",
                    f"{field}.variable",
                )
            c.expr(rule.expression, f"{field}.expression", known)
    for ev in model.events:
        field = f"event {ev.id!r}"
        c.expr(ev.trigger, f"{field}.trigger", known)
        for key in ("delay", "priority"):
            if getattr(ev, key) is not None:
                c.expr(getattr(ev, key), f"{field}.{key}", known)
        for i, ea in enumerate(ev.assignments):
            if ea.variable not in variables:
                c.add(
                    f"unknown variable {ea.variable!r}{did_you_mean(ea.variable, variables)}",
                    f"{field}.assignments[{i}].variable",
                )
            c.expr(ea.expression, f"{field}.assignments[{i}].expression", known)
    targets = {*model.species_ids(), *model.parameter_ids()}
    for i, inp in enumerate(model.inputs):
        field = f"inputs[{i}]"
        if inp.target not in targets:
            c.add(f"unknown target {inp.target!r}{did_you_mean(inp.target, targets)}", field)
        if inp.op not in ("set", "add"):
            c.add(f"op must be 'set' or 'add', got {inp.op!r}", f"{field}.op")
        times = [t for t, _ in inp.changes]
        if times != sorted(times):
            c.add(f"change times must be increasing, got {times}", f"{field}.changes")


def _check_cycles(deps: dict[str, set[str]], c: _Collector) -> None:
    """Report the first cycle among assignments (each rule reads the others' current values)."""
    _, cycle = depth_first_order(sorted(deps), lambda node: sorted(deps.get(node, ())))
    if cycle is not None:
        c.add(f"assignment cycle: {' -> '.join(cycle)}", f"assignment {cycle[-1]!r}")

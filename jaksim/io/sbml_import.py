"""SBML (L2V4, L3V1, L3V2 core) -> :class:`jaksim.spec.model.Model`.

Semantics kept exactly, or refused: every construct jaksim cannot simulate faithfully is
collected and reported at once in an :class:`UnsupportedSBML` error (one message listing each
construct with the ids it occurs in), never approximated.

Mapping
-------
* Kinetic laws are in amount/time (``Reaction.compartment = None``); local parameters stay
  local (``Reaction.local_parameters``).
* A species keeps SBML's meaning of its symbol: ``hasOnlySubstanceUnits`` -> ``amount=True``.
  A concentration species in a compartment whose size changes is stored as an amount (so that
  reactions conserve mass while the volume changes) and every reference to it in math is
  rewritten to ``amount / size``; ``metadata["sbml_amount_species"]`` lists these.
* Ids that collide with jaksim's reserved words (``t``, ``time``, ``pi``, ``and`` ...) get a
  trailing underscore; ``metadata["sbml_renamed"]`` records ``new=old`` pairs.
* Events that are exactly timed, piecewise-constant changes (what jaksim's exporter writes for
  a model's ``inputs``) become :class:`~jaksim.spec.model.Input` entries, so the model runs on
  the compiled solver path; ``metadata["sbml_events_as_inputs"]`` lists their ids (see
  :meth:`_Importer.events_as_inputs` for the exact conditions).
* Function definitions are inlined; species-reference ids used in math become constant
  parameters; initial assignments to stoichiometries are evaluated at import when they only
  depend on constants.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import libsbml

from jaksim.io.sbml_fast import fast_equilibrium
from jaksim.io.sbml_math import UnsupportedMath, ast_to_expr
from jaksim.io.sbml_reactions import ReactionImport, Scope
from jaksim.io.sbml_units import model_units, unit_string
from jaksim.spec.errors import ModelError
from jaksim.spec.expr import CONSTANTS, BinOp, Expr, Num, Sym, substitute, to_text
from jaksim.spec.model import (
    AlgebraicRule,
    Assignment,
    Compartment,
    DelayedValue,
    Event,
    EventAssignment,
    InitialAssignment,
    Input,
    Model,
    Parameter,
    RateRule,
    Species,
)

__all__ = ["UnsupportedSBML", "load_sbml", "read_sbml_string"]

_RESERVED = frozenset({"t", "time", "and", "or", "not", *CONSTANTS})


class UnsupportedSBML(ModelError):
    """The SBML file uses constructs jaksim does not simulate.

    ``constructs`` maps each construct (e.g. ``"algebraic rule"``) to the ids it occurs in.
    """

    def __init__(self, constructs: dict[str, list[str]], *, file: str | None = None):
        self.constructs = {k: list(v) for k, v in constructs.items()}
        parts = [f"{name} ({', '.join(ids)})" for name, ids in sorted(self.constructs.items())]
        super().__init__("unsupported SBML: " + "; ".join(parts), file=file)

    def located(self, *, file: str | None = None, field: str | None = None) -> UnsupportedSBML:
        return UnsupportedSBML(self.constructs, file=self.file or file)


def load_sbml(path: str | Path) -> Model:
    """Read an SBML file into a jaksim :class:`Model`.

    Raises
    ------
    ModelError
        If libsbml reports errors reading the file.
    UnsupportedSBML
        Listing every unsupported construct and where it occurs.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError("SBML file not found", file=str(path))
    doc = libsbml.readSBMLFromFile(str(path))
    return _Importer(doc, str(path)).run()


def read_sbml_string(text: str, source: str = "<string>") -> Model:
    """Like :func:`load_sbml` for SBML held in a string; ``source`` names it in errors."""
    return _Importer(libsbml.readSBMLFromString(text), source).run()


@dataclass
class _Importer(ReactionImport):
    doc: libsbml.SBMLDocument
    source: str
    unsupported: dict[str, list[str]] = field(default_factory=dict)
    math_names: set[str] = field(default_factory=set)  # every SBML id some math refers to
    pending: list[libsbml.Species] = field(default_factory=list)  # initial value via a formula
    var_stoich: dict[str, float] = field(default_factory=dict)  # variable stoichiometries
    stoich_math: dict[str, libsbml.ASTNode] = field(default_factory=dict)  # L2, with an id
    algebraic_vars: set[str] = field(default_factory=set)  # SBML ids set by algebraic rules
    fast_ids: set[str] = field(default_factory=set)  # (jaksim ids of) fast reactions
    delays: dict[tuple[str, str], DelayedValue] = field(default_factory=dict)  # by (x, tau)

    @property
    def provenance(self) -> str:
        """``source`` of imported values: the SBML file they were read from."""
        return f"SBML file {Path(self.source).name}"

    def refuse(self, construct: str, where: str) -> None:
        self.unsupported.setdefault(construct, []).append(where)

    # -- entry -----------------------------------------------------------------------------
    def run(self) -> Model:
        self.check_document()
        m = self.doc.getModel()
        self.m = m
        self.functions = {
            f.getId(): f.getMath() for f in m.getListOfFunctionDefinitions() if f.isSetMath()
        }
        self.rename = self.reserved_renames()
        # SBML L3V2 allows math-less rules and assignments: they have no effect
        self.rule_targets = {
            r.getVariable() for r in m.getListOfRules() if not r.isAlgebraic() and r.isSetMath()
        }
        self.ia_targets = {
            ia.getSymbol(): ia for ia in m.getListOfInitialAssignments() if ia.isSetMath()
        }
        self.event_targets = {
            ea.getVariable()
            for e in m.getListOfEvents()
            for ea in e.getListOfEventAssignments()
            if ea.isSetMath()
        }
        self.varying_comps = {c.getId() for c in m.getListOfCompartments() if not c.getConstant()}
        # concentration species in a varying compartment are stored as amounts
        self.as_amount = {
            s.getId(): s.getCompartment()
            for s in m.getListOfSpecies()
            if s.getCompartment() in self.varying_comps and not s.getHasOnlySubstanceUnits()
        }
        self.reaction_ids = {r.getId() for r in m.getListOfReactions()}
        for el in m.getListOfAllElements():
            if hasattr(el, "isSetMath") and el.isSetMath():
                _collect_names(el.getMath(), self.math_names)
        self.stoich = self.species_reference_values()
        self.algebraic = self.algebraic_rules()
        units = model_units(m)
        compartments = tuple(self.compartment(c, units) for c in m.getListOfCompartments())
        species = tuple(self.species(s, units) for s in m.getListOfSpecies())
        parameters = [self.parameter(p) for p in m.getListOfParameters()]
        parameters += [
            Parameter(
                self.sid(sid),
                value,
                source=self.provenance,
                description="SBML species-reference stoichiometry",
            )  # fmt: skip
            for sid, value in self.stoich.items()
            if sid in self.math_names
        ]
        reactions = tuple(part for r in m.getListOfReactions() for part in self.reaction(r))
        parameters += [
            Parameter(self.sid(sid), value, constant=False, source=self.provenance,
                      description="SBML species-reference stoichiometry (variable)")
            for sid, value in self.var_stoich.items()
            if sid not in self.stoich_math
        ]  # fmt: skip
        assignments, rate_rules = self.rules()
        assignments += [
            Assignment(self.sid(sid), to_text(self.expr(node, f"stoichiometryMath of {sid}")))
            for sid, node in self.stoich_math.items()
        ]
        initial = self.initial_assignments()
        inputs, converted = self.events_as_inputs()
        events = tuple(
            ev
            for i, e in enumerate(m.getListOfEvents())
            if not converted and (ev := self.event(i, e)) is not None
        )
        parameters += [
            Parameter(d.id, math.nan, constant=False, source=self.provenance,
                      description=f"SBML delay({d.expression}, {d.delay})")
            for d in self.delays.values()
        ]  # fmt: skip
        algebraic = [AlgebraicRule(self.sid(var), to_text(g)) for var, g in self.algebraic]
        if self.fast_ids:
            fast = fast_equilibrium(
                species, reactions, self.fast_ids,
                varying_compartments={self.sid(c) for c in self.varying_comps},
                constants={p.id: p.value for p in parameters if p.constant},
                values={p.id: p.value for p in parameters}
                | {c.id: c.size for c in compartments},
                fresh_id=self.fresh_id, provenance=self.provenance,
            )  # fmt: skip
            for reason in fast.refused:
                self.refuse(reason, ", ".join(sorted(self.fast_ids)))
            species = fast.species
            parameters += fast.parameters
            rate_rules += fast.rate_rules
            initial += fast.initial
            algebraic += fast.algebraic
        if self.unsupported:
            raise UnsupportedSBML(self.unsupported, file=self.source)
        metadata = {"sbml_level": f"{self.doc.getLevel()}.{self.doc.getVersion()}"}
        if self.rename:
            metadata["sbml_renamed"] = ",".join(f"{n}={o}" for o, n in self.rename.items())
        if converted:
            metadata["sbml_events_as_inputs"] = ",".join(converted)
        if self.as_amount:
            metadata["sbml_amount_species"] = ",".join(self.sid(s) for s in self.as_amount)
        return Model(
            id=self.sid(m.getId()) if m.isSetId() else Path(self.source).stem,
            name=m.getName(),
            time_unit=units.time,
            concentration_unit=units.concentration,
            volume_unit=units.volume,
            compartments=compartments,
            species=species,
            parameters=tuple(parameters),
            reactions=reactions,
            assignments=tuple(assignments),
            rate_rules=tuple(rate_rules),
            initial_assignments=tuple(initial),
            events=events,
            inputs=inputs,
            algebraic_rules=tuple(algebraic),
            delays=tuple(self.delays.values()),
            source_file=self.source,
            metadata=metadata,
        )

    def check_document(self) -> None:
        if self.doc.isPackageEnabled("comp"):
            self.flatten()
        errors = [
            self.doc.getError(i)
            for i in range(self.doc.getNumErrors())
            if self.doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
        ]
        if errors or self.doc.getModel() is None:
            detail = "; ".join(f"line {e.getLine()}: {e.getMessage().strip()}" for e in errors[:5])
            raise ModelError(f"not valid SBML: {detail or 'no model element'}", file=self.source)
        for i in range(self.doc.getNumPlugins()):
            name = self.doc.getPlugin(i).getPackageName()
            required = self.doc.getLevel() >= 3 and self.doc.getPackageRequired(name)
            if required and name != "l3v2extendedmath":
                self.refuse(f"SBML package '{name}'", "document")
        if self.doc.getNumUnknownPackages():
            self.refuse("unknown SBML package", "document")

    def flatten(self) -> None:
        """Hierarchical models (comp package): flatten with libsbml's converter."""
        props = libsbml.ConversionProperties()
        props.addOption("flatten comp", True)
        props.addOption("leave_ports", False)
        if self.doc.convert(props) != libsbml.LIBSBML_OPERATION_SUCCESS:
            errors = [
                self.doc.getError(i).getMessage().strip()
                for i in range(self.doc.getNumErrors())
                if self.doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
            ]
            if any("external model" in e for e in errors):
                raise UnsupportedSBML({"comp external model file not found": ["document"]},
                                      file=self.source)  # fmt: skip
            raise ModelError(
                "hierarchical (comp) model could not be flattened: " + "; ".join(errors[:3]),
                file=self.source,
            )

    # -- identifiers and math --------------------------------------------------------------
    def reserved_renames(self) -> dict[str, str]:
        ids = {e.getId() for e in self.m.getListOfAllElements() if e.isSetIdAttribute()}
        ids.discard("")
        ids.add(self.m.getId())
        out = {}
        for old in sorted(ids & _RESERVED):
            new = old + "_"
            while new in ids:
                new += "_"
            out[old] = new
            ids.add(new)
        return out

    def fresh_id(self, base: str) -> str:
        """An id no SBML element has (and that jaksim's ``reaction__local`` names cannot be)."""
        taken = {e.getId() for e in self.m.getListOfAllElements() if e.isSetIdAttribute()}
        new = base
        while new in taken or new in self.rename.values():
            new += "_"
        return new

    def sid(self, sbml_id: str) -> str:
        return self.rename.get(sbml_id, sbml_id)

    def expr(self, math: libsbml.ASTNode | None, where: str, scope: Scope | None = None) -> Expr:
        """Convert math, recording unsupported constructs under ``where``."""
        scope = scope or Scope(where=where)
        if math is None:
            self.refuse("missing math", where)
            return Sym("nan")
        try:
            return ast_to_expr(
                math, self.functions, lambda n: self.symbol(n, scope),
                lambda n: self.rate_of(n, scope),
                lambda x, tau, before: self.delayed(x, tau, before, scope),
            )  # fmt: skip
        except UnsupportedMath as exc:
            self.refuse(str(exc.args[0]), where)
            return Sym("nan")

    def symbol(self, name: str, scope: Scope) -> Expr:
        if name in scope.locals_:
            return Sym(self.sid(name))
        if name in self.reaction_ids:  # a reaction id in math stands for its rate
            return self.reaction_rate(name)
        if name in self.as_amount:  # stored amount -> the concentration SBML means
            return BinOp("/", Sym(self.sid(name)), Sym(self.sid(self.as_amount[name])))
        return Sym(self.sid(name))

    def delayed(self, x: Expr, tau: Expr, before: Expr, scope: Scope) -> Expr:
        """SBML ``delay(x, tau)``: a parameter the event driver sets from the history.

        ``before`` is ``x`` as it is before the start: states keep their initial values
        there, except that the initial assignment of a non-constant element that uses time
        is evaluated at the past time (suite case 00940).
        """
        local = {self.sid(n) for n in scope.locals_}
        if (x.symbols() | tau.symbols()) & local:
            if scope.values is None:
                raise UnsupportedMath("csymbol delay of a reaction's local parameter")
            # local parameters are constants: their past value is their value
            consts = {n: Num(v) for n, v in scope.values.items()}
            x, tau, before = (substitute(e, consts) for e in (x, tau, before))
        timed = {}
        for name in sorted(before.symbols()):
            sbml = next((k for k, v in self.rename.items() if v == name), name)
            ia = self.ia_targets.get(sbml)
            el = self.m.getElementBySId(sbml)
            varies = el is not None and hasattr(el, "getConstant") and not el.getConstant()
            if (
                varies
                and ia is not None
                and sbml not in self.rule_targets
                and _uses_time_ast(ia.getMath())
            ):  # a constant keeps its t0 value (suite 01174)
                timed[name] = self.to_stored(sbml, self.expr(ia.getMath(), f"initial {sbml}"))
        before = substitute(before, timed)
        key = (to_text(x), to_text(tau))
        if key not in self.delays:
            pid = self.fresh_id(f"delay_{len(self.delays) + 1}")
            self.delays[key] = DelayedValue(pid, key[0], key[1], to_text(before))
        return Sym(self.delays[key].id)

    def to_stored(self, target: str, value: Expr) -> Expr:
        """A value SBML assigns to ``target`` in the form jaksim stores it."""
        if target in self.as_amount:
            return BinOp("*", value, Sym(self.sid(self.as_amount[target])))
        return value

    # -- components ------------------------------------------------------------------------
    def compartment(self, c: libsbml.Compartment, units) -> Compartment:
        cid = c.getId()
        size = c.getSize() if c.isSetSize() else math.nan
        if math.isnan(size) and c.getSpatialDimensionsAsDouble() == 0:
            size = 1.0  # a 0-D compartment has no size; SBML math cannot use it meaningfully
        if math.isnan(size) and not self.assigned(cid):
            self.refuse("compartment without size", cid)
        return Compartment(
            id=self.sid(cid),
            size=size,
            units=units.volume,
            name=c.getName(),
            constant=c.getConstant(),
            spatial_dimensions=float(c.getSpatialDimensionsAsDouble()),
        )

    def assigned(self, sid: str) -> bool:
        return sid in self.ia_targets or sid in self.rule_targets or sid in self.algebraic_vars

    def compartment_size(self, cid: str) -> float:
        c = self.m.getCompartment(cid)
        assigned = self.m.getAssignmentRule(cid) is not None
        if cid in self.ia_targets or assigned or not c.isSetSize():
            return math.nan
        return c.getSize()

    def species(self, s: libsbml.Species, units) -> Species:
        sid, cid = s.getId(), s.getCompartment()
        stored_amount = s.getHasOnlySubstanceUnits() or sid in self.as_amount
        size = self.compartment_size(cid)
        if s.isSetInitialAmount():
            value = s.getInitialAmount() if stored_amount else s.getInitialAmount() / size
        elif s.isSetInitialConcentration():
            value = (
                s.getInitialConcentration() * size if stored_amount else s.getInitialConcentration()
            )
        else:
            value = math.nan
        if math.isnan(value) and not self.assigned(sid):
            # SBML gives the initial amount in a compartment whose size is computed
            self.pending.append(s)
        factor = s.getConversionFactor() if s.isSetConversionFactor() else None
        if factor is None and self.m.isSetConversionFactor():
            factor = self.m.getConversionFactor()
        return Species(
            id=self.sid(sid),
            compartment=self.sid(cid),
            initial=value,
            units=units.substance if stored_amount else units.concentration,
            name=s.getName(),
            boundary=s.getBoundaryCondition(),
            constant=s.getConstant(),
            amount=stored_amount,
            conversion_factor=self.sid(factor) if factor else None,
        )

    def parameter(self, p: libsbml.Parameter) -> Parameter:
        value = p.getValue() if p.isSetValue() else math.nan
        if (
            math.isnan(value)
            and not self.assigned(p.getId())
            and p.getId() not in self.event_targets
        ):
            self.refuse("parameter without value", p.getId())
        notes = _note_fields(p)
        return Parameter(
            id=self.sid(p.getId()),
            value=value,
            units=unit_string(self.m, p.getUnits()) if p.isSetUnits() else "",
            name=p.getName(),
            constant=p.getConstant(),
            # jaksim's exporter writes "source: ..." / "assumed: ..." notes; keep them
            source=notes.get("source", "" if "assumed" in notes else self.provenance),
            assumed=notes.get("assumed", ""),
            description=notes.get("description", ""),
        )

    # -- rules, initial assignments, events ------------------------------------------------
    def rules(self) -> tuple[list[Assignment], list[RateRule]]:
        assignments, rate_rules = [], []
        for rule in self.m.getListOfRules():
            var = rule.getVariable() if not rule.isAlgebraic() else ""
            if rule.isAlgebraic() or not rule.isSetMath():
                continue
            value = self.expr(rule.getMath(), f"rule for {var}")
            if rule.isAssignment():
                assignments.append(Assignment(self.sid(var), to_text(self.to_stored(var, value))))
            else:
                if var in self.as_amount:
                    value = self.amount_rate(var, value)
                rate_rules.append(RateRule(self.sid(var), to_text(value)))
        return assignments, rate_rules

    def algebraic_rules(self) -> list[tuple[str, Expr]]:
        """Each algebraic rule ``0 = g`` as ``(SBML id of the variable it determines, g)``.

        SBML does not say which variable an algebraic rule determines: it is whatever the
        other rules, reactions and constant flags leave free. The rules are matched to those
        free variables (a bipartite matching, augmenting paths) among the symbols each rule
        uses; variables without an initial value are preferred (they can only be set by a
        rule), event targets are tried last. No complete matching: refused (overdetermined
        or not a DAE of index 1).
        """
        m = self.m
        rules = [r for r in m.getListOfRules() if r.isAlgebraic() and r.isSetMath()]
        if not rules:
            return []
        reacting = {
            ref.getSpecies()
            for r in m.getListOfReactions()
            for group in (r.getListOfReactants(), r.getListOfProducts())
            for ref in group
        }
        free: dict[str, tuple[int, int]] = {}  # jaksim id -> (preference rank, file order)
        for order, el in enumerate(
            (*m.getListOfSpecies(), *m.getListOfParameters(), *m.getListOfCompartments())
        ):
            sid = el.getId()
            if el.getConstant() or sid in self.rule_targets:
                continue
            if (
                isinstance(el, libsbml.Species)
                and sid in reacting
                and not (el.getBoundaryCondition())
            ):
                continue  # reactions determine it
            if isinstance(el, libsbml.Species):
                has_value = el.isSetInitialAmount() or el.isSetInitialConcentration()
            elif isinstance(el, libsbml.Parameter):
                has_value = el.isSetValue()
            else:
                has_value = el.isSetSize()
            rank = 2 if sid in self.event_targets else (0 if not has_value else 1)
            free[self.sid(sid)] = (rank, order)
        back = {self.sid(k): k for k in (e.getId() for e in m.getListOfAllElements()
                                         if e.isSetIdAttribute())}  # fmt: skip
        exprs = [self.expr(r.getMath(), f"algebraic rule #{i + 1}") for i, r in enumerate(rules)]
        options = [sorted(e.symbols() & free.keys(), key=free.__getitem__) for e in exprs]
        owner: dict[str, int] = {}

        def augment(i: int, seen: set[str]) -> bool:
            for v in options[i]:
                if v in seen:
                    continue
                seen.add(v)
                if v not in owner or augment(owner[v], seen):
                    owner[v] = i
                    return True
            return False

        unmatched = [f"rule #{i + 1}" for i in range(len(rules)) if not augment(i, set())]
        if unmatched:
            reason = "algebraic rule without a variable it could determine"
            self.refuse(reason, ", ".join(unmatched))
            return []
        var_of = {i: v for v, i in owner.items()}
        out = []
        for i, e in enumerate(exprs):
            sbml_id = back.get(var_of[i], var_of[i])
            self.algebraic_vars.add(sbml_id)
            out.append((sbml_id, e))
        return out

    def initial_assignments(self) -> list[InitialAssignment]:
        out = []
        for sym, ia in self.ia_targets.items():
            if sym in self.stoich or not ia.isSetMath():
                continue  # evaluated into the stoichiometry / no effect
            value = self.expr(ia.getMath(), f"initial assignment to {sym}")
            out.append(InitialAssignment(self.sid(sym), to_text(self.to_stored(sym, value))))
        for s in self.pending:
            sid, cid = s.getId(), s.getCompartment()
            stored_amount = s.getHasOnlySubstanceUnits() or sid in self.as_amount
            if s.isSetInitialAmount() and not stored_amount:
                text = f"{s.getInitialAmount()!r} / {self.sid(cid)}"
            elif s.isSetInitialConcentration() and stored_amount:
                text = f"{s.getInitialConcentration()!r} * {self.sid(cid)}"
            else:
                self.refuse("species without initial value", sid)
                continue
            out.append(InitialAssignment(self.sid(sid), text))
        return out

    def events_as_inputs(self) -> tuple[tuple[Input, ...], list[str]]:
        """The model's events as ``(inputs, converted event ids)``, or ``((), [])``.

        Converted only when *every* event is a timed constant assignment (a model with one
        other event runs through the event driver anyway, and mixing both would make the
        order of simultaneous changes matter): trigger ``time >= T`` / ``time > T`` (either
        side) with ``T`` a number or an unchanged constant parameter, no delay, every
        assignment a number ("set") to a species, parameter or compartment that no rule
        assigns, no two events setting one variable at the same ``T``. SBML time starts at 0:
        ``T > 0`` fires at ``T``; ``T = 0`` only for ``time >= 0`` with ``initialValue`` false
        (with true the trigger is already true at the start and never fires); ``T < 0`` is
        left as an event. A concentration species stored as an amount (variable-size
        compartment) is left as an event: its amount depends on the size at execution.
        """
        changes: dict[str, dict[float, float]] = {}
        descriptions: dict[str, str] = {}
        ids = []
        for i, e in enumerate(self.m.getListOfEvents()):
            trig = e.getTrigger()
            if trig is None or not trig.isSetMath():
                continue  # never fires
            when = self.trigger_time(trig.getMath())
            if when is None or _has_math(e.getDelay()):
                return (), []
            time, strict = when
            initial_value = trig.getInitialValue() if trig.isSetInitialValue() else True
            if not (time > 0 or (time == 0 and not strict and not initial_value)):
                return (), []
            for ea in e.getListOfEventAssignments():
                var = ea.getVariable()
                if not ea.isSetMath():
                    continue
                value = _number(ea.getMath())
                target = changes.setdefault(var, {})
                if value is None or time in target or not self.input_target(var):
                    return (), []
                target[time] = value
                descriptions.setdefault(var, _note_fields(e).get("description", ""))
            ids.append(self.sid(e.getId()) if e.isSetId() else f"event_{i + 1}")
        inputs = tuple(
            Input(self.sid(var), tuple(sorted(by_time.items())), description=descriptions[var])
            for var, by_time in changes.items()
        )
        return inputs, ids

    def trigger_time(self, node: libsbml.ASTNode) -> tuple[float, bool] | None:
        """``(T, strict)`` of a trigger ``time >= T`` (``strict``: ``>``), else None."""
        if node.getType() == libsbml.AST_FUNCTION_PIECEWISE and node.getNumChildren() == 3:
            # piecewise(1, cond, 0): a boolean as a number (jaksim's exporter writes these)
            true, false = _number(node.getChild(0)), _number(node.getChild(2))
            if true is None or true == 0 or false != 0:
                return None
            node = node.getChild(1)
        flipped = {
            libsbml.AST_RELATIONAL_LEQ: (False, 1),
            libsbml.AST_RELATIONAL_LT: (True, 1),
            libsbml.AST_RELATIONAL_GEQ: (False, 0),
            libsbml.AST_RELATIONAL_GT: (True, 0),
        }
        if node.getType() not in flipped or node.getNumChildren() != 2:
            return None
        strict, time_side = flipped[node.getType()]
        if node.getChild(time_side).getType() != libsbml.AST_NAME_TIME:
            return None
        other = node.getChild(1 - time_side)
        value = _number(other)
        if value is None and other.getType() == libsbml.AST_NAME:
            p = self.m.getParameter(other.getName())
            unchanged = p is not None and p.getConstant() and p.isSetValue()
            if unchanged and not self.assigned(p.getId()) and p.getId() not in self.event_targets:
                value = p.getValue()
        if value is None or not math.isfinite(value):
            return None
        return value, strict

    def input_target(self, var: str) -> bool:
        """Whether an Input can set ``var`` exactly as an SBML event assignment does."""
        el = self.m.getElementBySId(var)
        is_value = isinstance(el, libsbml.Species | libsbml.Parameter | libsbml.Compartment)
        return is_value and var not in self.rule_targets and var not in self.as_amount

    def event(self, index: int, e: libsbml.Event) -> Event | None:
        eid = e.getId() if e.isSetId() else f"event_{index + 1}"
        where = f"event {eid}"
        trig = e.getTrigger()
        if trig is None or not trig.isSetMath():
            return None  # never fires
        trigger = to_text(self.expr(trig.getMath(), where))
        assigns = []
        for ea in e.getListOfEventAssignments():
            var = ea.getVariable()
            if not ea.isSetMath():
                continue
            # a stored amount = assigned concentration * size *at execution*; the kernels
            # compute values once (at trigger time when delayed with trigger-time values)
            delayed = _has_math(e.getDelay()) and e.getUseValuesFromTriggerTime()
            same_event = var in self.as_amount and any(
                x.getVariable() == self.as_amount[var] for x in e.getListOfEventAssignments()
            )
            if var in self.as_amount and (delayed or same_event):
                self.refuse("event assigning a concentration in a variable-size compartment "
                            "whose size may differ at execution", eid)  # fmt: skip
            value = self.expr(ea.getMath(), where)
            assigns.append(EventAssignment(self.sid(var), to_text(self.to_stored(var, value))))
        delay = e.getDelay()
        priority = e.getPriority()
        return Event(
            id=self.sid(eid),
            trigger=trigger,
            assignments=tuple(assigns),
            delay=to_text(self.expr(delay.getMath(), where)) if _has_math(delay) else None,
            priority=to_text(self.expr(priority.getMath(), where)) if _has_math(priority) else None,
            persistent=trig.getPersistent() if trig.isSetPersistent() else True,
            initial_value=trig.getInitialValue() if trig.isSetInitialValue() else True,
            use_values_from_trigger_time=e.getUseValuesFromTriggerTime(),
        )


def _note_fields(element: libsbml.SBase) -> dict[str, str]:
    """``key: value`` paragraphs of an element's XHTML notes (as jaksim's exporter writes)."""
    if not element.isSetNotes():
        return {}
    text = libsbml.XMLNode.convertXMLNodeToString(element.getNotes())
    fields = {}
    for para in re.findall(r"<p>(.*?)</p>", text, flags=re.S):
        key, sep, value = html.unescape(para).partition(": ")
        if sep and key in ("source", "assumed", "description"):
            fields[key] = value.strip()
    return fields


def _number(node: libsbml.ASTNode) -> float | None:
    """The value of a numeric literal (optionally negated), else None."""
    if node.getType() == libsbml.AST_MINUS and node.getNumChildren() == 1:
        inner = _number(node.getChild(0))
        return None if inner is None else -inner
    if node.isNumber() and not node.isConstant():  # literals only, not true / pi / e
        return float(node.getValue())
    return None


def _uses_time_ast(node: libsbml.ASTNode) -> bool:
    if node.getType() == libsbml.AST_NAME_TIME:
        return True
    return any(_uses_time_ast(node.getChild(i)) for i in range(node.getNumChildren()))


def _has_math(element: libsbml.SBase | None) -> bool:
    return element is not None and element.isSetMath()


def _collect_names(node: libsbml.ASTNode, out: set[str]) -> None:
    if node.getType() == libsbml.AST_NAME:
        out.add(node.getName())
    for i in range(node.getNumChildren()):
        _collect_names(node.getChild(i), out)

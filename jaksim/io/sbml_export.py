""":class:`jaksim.spec.model.Model` -> SBML Level 3 Version 2 (core).

The written file passes libsbml's consistency checks without errors (:func:`check_sbml`) and
simulates like the jaksim model (``tests/test_sbml_roundtrip.py`` and the libRoadRunner
cross-checks compare trajectories):

* a reaction with a ``compartment`` has its concentration rate multiplied by that
  compartment's size (SBML kinetic laws are amount/time);
* ``amount`` species are ``hasOnlySubstanceUnits``; initial values are initial
  concentrations or amounts accordingly;
* observables (assignments to new ids) become non-constant parameters with assignment rules;
* the model's ``inputs`` (timed set/add changes) become events triggered at ``time >= t``;
* unit strings become unit definitions; parameter sources / ``assumed`` reasons and
  descriptions go into XHTML notes.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import libsbml

from jaksim.io.sbml_math import expr_to_ast
from jaksim.io.sbml_units import add_unit_definition
from jaksim.io.toml_writer import refuse_dae
from jaksim.spec import expr as ex
from jaksim.spec.errors import ModelError
from jaksim.spec.model import Event, EventAssignment, Model

__all__ = ["model_to_sbml", "write_sbml", "check_sbml"]


def _check(code: int, what: str) -> None:
    if code != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise ModelError(
            f"SBML export failed setting {what}: {libsbml.OperationReturnValue_toString(code)}"
        )


# Characters XML 1.0 cannot hold even as character references (C0 controls other than tab,
# newline and carriage return; surrogates; U+FFFE/U+FFFF): libsbml would write a file that
# no XML parser reads back, so they become U+FFFD in names and notes.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _XML_ILLEGAL.sub("\ufffd", text)


def _notes(element: libsbml.SBase, **items: str) -> None:
    lines = [f"<p>{k}: {html.escape(_xml_text(v))}</p>" for k, v in items.items() if v]
    if lines:
        body = '<body xmlns="http://www.w3.org/1999/xhtml">' + "".join(lines) + "</body>"
        _check(element.setNotes(body), f"notes of {element.getId()}")


class _Exporter:
    def __init__(self, model: Model):
        self.model = model
        self.doc = libsbml.SBMLDocument(3, 2)
        self.m = self.doc.createModel()
        ids = {c.id for c in model.compartments} | {s.id for s in model.species}
        ids |= {p.id for p in model.parameters} | {a.id for a in model.assignments}
        self.shadowed = ids | {r.id for r in model.reactions}
        self.variable = (
            {a.id for a in model.assignments}
            | {r.variable for r in model.rate_rules}
            | {ea.variable for e in model.events for ea in e.assignments}
            | {i.target for i in model.inputs}
        )

    def math(self, text: str, context: str, local: frozenset[str] = frozenset()) -> libsbml.ASTNode:
        tree = ex.bind_constants(ex.parse(text, context=context), self.shadowed | local)
        return expr_to_ast(tree, self.m)

    def unit(self, text: str) -> str | None:
        return add_unit_definition(self.m, text) if text else None

    def set_units(self, element: libsbml.SBase, text: str) -> None:
        """Give ``element`` the unit definition of ``text`` (nothing for unknown units)."""
        if (uid := self.unit(text)) is not None:
            element.setUnits(uid)

    @staticmethod
    def new(create, eid: str, name: str = ""):
        """A new SBML element from ``create()`` with id ``eid`` (and ``name`` when set)."""
        element = create()
        element.setId(eid)
        if name:
            element.setName(_xml_text(name))
        return element

    def run(self) -> libsbml.SBMLDocument:
        mo, m = self.model, self.m
        m.setId(mo.id)
        if mo.name:
            m.setName(_xml_text(mo.name))
        _notes(m, description=mo.description)
        vol = self.unit(mo.volume_unit)
        substance = self.unit(f"{mo.concentration_unit}*{mo.volume_unit}")
        time_unit = self.unit(mo.time_unit)
        setters = (
            (m.setTimeUnits, time_unit),
            (m.setVolumeUnits, vol),
            (m.setSubstanceUnits, substance),
            (m.setExtentUnits, substance),
        )
        for setter, uid in setters:
            if uid:
                setter(uid)
        self.compartments()
        self.species()
        self.parameters()
        self.reactions()
        self.rules()
        self.events()
        return self.doc

    def compartments(self) -> None:
        for c in self.model.compartments:
            sc = self.new(self.m.createCompartment, c.id, c.name)
            sc.setSize(c.size)
            sc.setSpatialDimensions(c.spatial_dimensions)
            sc.setConstant(c.constant and c.id not in self.variable)
            self.set_units(sc, c.units)
            _notes(sc, source=c.source, assumed=c.assumed)

    def species(self) -> None:
        for s in self.model.species:
            ss = self.new(self.m.createSpecies, s.id, s.name)
            ss.setCompartment(s.compartment)
            if s.amount:
                ss.setInitialAmount(s.initial)
            else:
                ss.setInitialConcentration(s.initial)
            ss.setHasOnlySubstanceUnits(s.amount)
            ss.setBoundaryCondition(s.boundary)
            ss.setConstant(s.constant and s.id not in self.variable)
            if s.amount and (uid := self.unit(s.units)) is not None:
                ss.setSubstanceUnits(uid)
            if s.conversion_factor:
                ss.setConversionFactor(s.conversion_factor)
            _notes(ss, description=s.description, source=s.source, assumed=s.assumed)

    def parameters(self) -> None:
        for p in self.model.parameters:
            sp = self.new(self.m.createParameter, p.id, p.name)
            sp.setValue(p.value)
            sp.setConstant(p.constant and p.id not in self.variable)
            self.set_units(sp, p.units)
            bounds = f"{p.bounds[0]!r} .. {p.bounds[1]!r}" if p.bounds else ""
            _notes(sp, description=p.description, source=p.source, assumed=p.assumed,
                   bounds=bounds)  # fmt: skip
        known = {c.id for c in self.model.compartments} | {s.id for s in self.model.species}
        known |= {p.id for p in self.model.parameters}
        for a in self.model.assignments:
            if a.id in known:
                continue
            # an observable: a parameter with an assignment rule
            sp = self.new(self.m.createParameter, a.id)
            sp.setConstant(False)
            self.set_units(sp, a.units)
            _notes(sp, description=a.description or "observable")

    def reactions(self) -> None:
        for r in self.model.reactions:
            sr = self.new(self.m.createReaction, r.id, r.name)
            sr.setReversible(r.reversible)
            for group, create in ((r.reactants, sr.createReactant), (r.products, sr.createProduct)):
                for sid, n in group:
                    ref = create()
                    ref.setSpecies(sid)
                    ref.setStoichiometry(float(n))
                    ref.setConstant(True)
            for sid in r.modifiers:
                sr.createModifier().setSpecies(sid)
            law = sr.createKineticLaw()
            for lp in r.local_parameters:
                slp = self.new(law.createLocalParameter, lp.id)
                slp.setValue(lp.value)
                self.set_units(slp, lp.units)
            local = frozenset(lp.id for lp in r.local_parameters)
            text = r.rate if r.compartment is None else f"({r.rate}) * {r.compartment}"
            if r.compartment is not None:
                sr.setCompartment(r.compartment)
            _check(law.setMath(self.math(text, f"reaction {r.id!r} rate", local)), r.id)
            _notes(sr, description=r.description)

    def rules(self) -> None:
        for a in self.model.assignments:
            rule = self.m.createAssignmentRule()
            rule.setVariable(a.id)
            _check(rule.setMath(self.math(a.expression, f"assignment {a.id!r}")), a.id)
        for rr in self.model.rate_rules:
            rule = self.m.createRateRule()
            rule.setVariable(rr.variable)
            _check(
                rule.setMath(self.math(rr.expression, f"rate rule {rr.variable!r}")), rr.variable
            )
        for ia in self.model.initial_assignments:
            sia = self.m.createInitialAssignment()
            sia.setSymbol(ia.variable)
            _check(sia.setMath(self.math(ia.expression, f"initial assignment {ia.variable!r}")),
                   ia.variable)  # fmt: skip

    def events(self) -> None:
        for e in self.model.events:
            self.event(e, f"({e.trigger}) != 0")  # a jaksim trigger may be numeric: nonzero
        for k, inp in enumerate(self.model.inputs):
            for j, (time, value) in enumerate(inp.changes):
                rhs = repr(float(value)) if inp.op == "set" else f"{inp.target} + {float(value)!r}"
                change = Event(
                    id=f"input_{k + 1}_{inp.target}_{j + 1}",
                    trigger=f"time >= {float(time)!r}",
                    assignments=(EventAssignment(inp.target, rhs),),
                    persistent=True,
                    initial_value=False,  # a change at t = 0 must fire at the start
                    use_values_from_trigger_time=True,
                )
                self.event(change, change.trigger, inp.description or f"jaksim input ({inp.op})")

    def event(self, e: Event, trigger: str, description: str = "") -> None:
        """Write event ``e`` with the (boolean) trigger math ``trigger``."""
        se = self.new(self.m.createEvent, e.id)
        se.setUseValuesFromTriggerTime(e.use_values_from_trigger_time)
        trig = se.createTrigger()
        trig.setPersistent(e.persistent)
        trig.setInitialValue(e.initial_value)
        _check(trig.setMath(self.math(trigger, f"event {e.id!r} trigger")), e.id)
        if e.delay is not None:
            se.createDelay().setMath(self.math(e.delay, f"event {e.id!r} delay"))
        if e.priority is not None:
            se.createPriority().setMath(self.math(e.priority, f"event {e.id!r} priority"))
        for ea in e.assignments:
            sea = se.createEventAssignment()
            sea.setVariable(ea.variable)
            _check(sea.setMath(self.math(ea.expression, f"event {e.id!r}")), e.id)
        _notes(se, description=description)


def model_to_sbml(model: Model) -> str:
    """SBML L3V2 text of ``model``.

    Raises
    ------
    ModelError
        If libsbml's consistency check reports errors (listed in the message).
    """
    refuse_dae(model, "SBML export")
    doc = _Exporter(model).run()
    check_sbml(doc, model.source_file or model.id)
    return libsbml.writeSBMLToString(doc)


def write_sbml(model: Model, path: str | Path) -> Path:
    """Write ``model`` as SBML L3V2 to ``path``; returns the path."""
    path = Path(path)
    path.write_text(model_to_sbml(model))
    return path


def check_sbml(doc: libsbml.SBMLDocument, where: str = "") -> None:
    """Run libsbml's consistency checks; raise :class:`ModelError` listing any errors."""
    doc.checkConsistency()
    errors = [
        doc.getError(i)
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]
    if errors:
        detail = "; ".join(f"{e.getErrorId()}: {e.getMessage().strip()}" for e in errors[:8])
        raise ModelError(f"exported SBML is not consistent: {detail}", file=where or None)

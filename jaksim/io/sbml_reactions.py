"""SBML reactions -> jaksim reactions: stoichiometries (constant, assigned, variable),
kinetic laws with local parameters, reaction rates used in math, and ``rateOf``.

:class:`ReactionImport` is the reaction half of the importer in
:mod:`jaksim.io.sbml_import`; it relies on the importer's ``m`` (libsbml model), ``doc``,
``functions``, ``stoich``, ``var_stoich``, ``stoich_math``, ``ia_targets``, ``rule_targets``,
``event_targets``, ``as_amount`` and its ``expr`` / ``symbol`` / ``sid`` / ``fresh_id`` /
``refuse`` methods.
"""

from __future__ import annotations

from dataclasses import dataclass

import libsbml

from jaksim.io.sbml_math import UnsupportedMath, ast_to_expr
from jaksim.spec.errors import ModelError, did_you_mean
from jaksim.spec.expr import BinOp, Expr, Num, Sym, Time, evaluate, substitute, to_text
from jaksim.spec.model import Parameter, Reaction

__all__ = ["ReactionImport", "Scope"]


@dataclass
class Scope:
    """Symbol resolution for one piece of math (local parameters shadow globals)."""

    locals_: frozenset[str] = frozenset()
    where: str = ""
    values: dict[str, float] | None = None  # of the local parameters (constant)


class ReactionImport:
    """Reaction-related conversions (mixed into the importer)."""

    def rate_of(self, name: str, scope: Scope) -> Expr:
        """SBML ``rateOf(name)``: the time derivative of the value ``name`` stands for."""
        m = self.m
        if name in scope.locals_:
            return Num(0.0)  # local parameters are constant
        rate_rule = m.getRateRule(name)
        if m.getAssignmentRule(name) is not None:
            raise UnsupportedMath("csymbol rateOf of an assignment-rule variable")
        if rate_rule is not None:
            return self.expr(rate_rule.getMath(), f"rate rule for {name}")
        s = m.getSpecies(name)
        if s is None or s.getBoundaryCondition() or s.getConstant():
            return Num(0.0)
        total: Expr = Num(0.0)
        for r in m.getListOfReactions():
            for sign, group in ((-1.0, r.getListOfReactants()), (1.0, r.getListOfProducts())):
                for ref in group:
                    if ref.getSpecies() == name:
                        stoich = self.reference_stoichiometry(r, ref)
                        n = Num(sign * stoich) if isinstance(stoich, float) else BinOp(
                            "*", Num(sign), stoich)  # fmt: skip
                        total = BinOp("+", total, BinOp("*", n, self.reaction_rate(r.getId())))
        factor = s.getConversionFactor() or m.getConversionFactor()
        if factor:
            total = BinOp("*", Sym(self.sid(factor)), total)
        if s.getHasOnlySubstanceUnits():
            return total
        size = Sym(self.sid(s.getCompartment()))
        if name in self.as_amount:  # d(n/V)/dt = (dn/dt)/V - (n/V) (dV/dt)/V
            dv = self.rate_of(s.getCompartment(), Scope())
            return BinOp("/", BinOp("-", total, BinOp("*", self.symbol(name, Scope()), dv)), size)
        return BinOp("/", total, size)

    def amount_rate(self, sid: str, conc_rate: Expr) -> Expr:
        """d(amount)/dt of a concentration species with rate rule ``conc_rate`` whose
        compartment size changes: ``d(c*V)/dt = conc_rate*V + c*dV/dt``."""
        size = Sym(self.sid(self.as_amount[sid]))
        try:
            dv = self.rate_of(self.as_amount[sid], Scope())
        except UnsupportedMath:
            self.refuse("rate rule on a concentration in a compartment set by a rule", sid)
            return conc_rate
        conc = BinOp("/", Sym(self.sid(sid)), size)
        return BinOp("+", BinOp("*", conc_rate, size), BinOp("*", conc, dv))

    # -- reactions -------------------------------------------------------------------------
    def species_reference_values(self) -> dict[str, float]:
        """Stoichiometry of every constant species reference that has an id.

        Species references whose stoichiometry rules, events or non-constant initial
        assignments change go to ``self.var_stoich`` (id -> default value) instead.
        """
        out: dict[str, float] = {}
        for r in self.m.getListOfReactions():
            for ref in (*r.getListOfReactants(), *r.getListOfProducts()):
                if not ref.isSetId():
                    continue
                rid = ref.getId()
                value = ref.getStoichiometry() if ref.isSetStoichiometry() else 1.0
                # L2 species references have no 'constant' attribute (libsbml reports False)
                varying = self.doc.getLevel() >= 3 and not ref.getConstant()
                if rid in self.rule_targets or rid in self.event_targets or varying:
                    self.var_stoich[rid] = value
                else:
                    out[rid] = value
        for rid, ia in self.ia_targets.items():
            if rid in out:
                value = self.constant_value(ia.getMath(), out)
                if value is None:
                    self.var_stoich[rid] = out.pop(rid)
                else:
                    out[rid] = value
        return out

    def constant_value(self, math_node: libsbml.ASTNode, known: dict) -> float | None:
        """Value of math that depends only on constants (None when it does not)."""
        env = dict(known)
        env.update(
            {p.getId(): p.getValue() for p in self.m.getListOfParameters()
             if p.getConstant() and p.getId() not in self.ia_targets}
        )  # fmt: skip
        env.update(
            {c.getId(): c.getSize() for c in self.m.getListOfCompartments()
             if c.getConstant() and c.getId() not in self.ia_targets}
        )  # fmt: skip
        try:
            expr = ast_to_expr(math_node, self.functions)
        except UnsupportedMath:
            return None
        if _uses_time(expr) or not expr.symbols() <= env.keys():
            return None
        return evaluate(expr, env)

    def reaction(self, r: libsbml.Reaction) -> list[Reaction]:
        """The reaction; plus one reaction per variable-stoichiometry species reference.

        jaksim stoichiometries are numbers, so a species reference whose stoichiometry
        changes in time is split off into reaction ``<reaction>__<ref>`` with stoichiometry 1
        and rate ``stoichiometry * rate``: the same contribution to d(species)/dt.
        """
        rid = r.getId()
        if r.isSetFast() and r.getFast():
            self.fast_ids.add(self.sid(rid))  # rapid equilibrium: see jaksim.io.sbml_fast
        # libsbml reads a reference to a missing species without complaint (only its
        # consistency checks would flag it); the TOML model would then be refused on load
        for ref in (*r.getListOfReactants(), *r.getListOfProducts(), *r.getListOfModifiers()):
            if self.m.getSpecies(sid := ref.getSpecies()) is None:
                known = [s.getId() for s in self.m.getListOfSpecies()]
                raise ModelError(
                    f"refers to species {sid!r}, which the model does not define"
                    f"{did_you_mean(sid, known)}",
                    file=self.source,
                    field=f"reaction {rid!r}",
                )
        refs: list[tuple[tuple[str, float], ...]] = []
        split: list[tuple[int, str, Expr]] = []  # (0 reactant | 1 product, species, stoich)
        for side, group in enumerate((r.getListOfReactants(), r.getListOfProducts())):
            items = []
            for ref in group:
                species = self.sid(ref.getSpecies())
                stoich = self.reference_stoichiometry(r, ref)
                if isinstance(stoich, float):
                    items.append((species, stoich))
                else:
                    split.append((side, species, stoich))
            refs.append(tuple(items))
        law = r.getKineticLaw()
        locals_: tuple[Parameter, ...] = ()
        if law is None or not law.isSetMath():
            self.refuse("reaction without kinetic law", rid)
            rate: Expr = Num(0.0)
        else:
            params = [p for p in law.getListOfAllElements() if isinstance(p, libsbml.Parameter)]
            locals_ = tuple(Parameter(self.sid(p.getId()), p.getValue(), name=p.getName(),
                                      source=self.provenance)
                            for p in params)  # fmt: skip
            scope = Scope(frozenset(p.getId() for p in params), f"reaction {rid}",
                          {self.sid(p.getId()): p.getValue() for p in params})  # fmt: skip
            rate = self.expr(law.getMath(), f"reaction {rid}", scope)
        main = Reaction(
            id=self.sid(rid),
            reactants=refs[0],
            products=refs[1],
            rate=to_text(rate),
            modifiers=tuple(self.sid(m.getSpecies()) for m in r.getListOfModifiers()),
            reversible=r.getReversible(),
            compartment=None,
            name=r.getName(),
            local_parameters=locals_,
        )
        parts = [main]
        # local parameters are inlined: one could shadow the stoichiometry's own id
        inlined = substitute(rate, {p.id: Num(p.value) for p in locals_})
        for k, (side, species, stoich) in enumerate(split):
            one = ((species, 1.0),)
            parts.append(Reaction(
                id=self.fresh_id(f"{self.sid(rid)}_part{k + 1}"),
                reactants=one if side == 0 else (),
                products=one if side == 1 else (),
                rate=to_text(BinOp("*", stoich, inlined)),
                reversible=r.getReversible(),
                description=f"variable-stoichiometry part of SBML reaction {rid!r}",
            ))  # fmt: skip
        return parts

    def reference_stoichiometry(self, r: libsbml.Reaction, ref) -> float | Expr:
        """A number, or the expression of a stoichiometry that changes in time."""
        if ref.isSetStoichiometryMath():  # SBML L2
            node = ref.getStoichiometryMath().getMath()
            value = self.constant_value(node, self.stoich) if node is not None else 1.0
            if value is not None:
                return float(value)
            if ref.isSetId():
                self.stoich_math[ref.getId()] = node
                return Sym(self.sid(ref.getId()))
            return self.expr(node, f"stoichiometryMath in reaction {r.getId()}")
        if ref.isSetId() and ref.getId() in self.var_stoich:
            return Sym(self.sid(ref.getId()))
        if ref.isSetId() and ref.getId() in self.stoich:
            return float(self.stoich[ref.getId()])
        return float(ref.getStoichiometry()) if ref.isSetStoichiometry() else 1.0

    def reaction_rate(self, rid: str) -> Expr:
        """The rate (amount/time) of reaction ``rid``, local parameters inlined as numbers."""
        law = self.m.getReaction(rid).getKineticLaw()
        if law is None or not law.isSetMath():
            self.refuse("reaction id used in math without a kinetic law", rid)
            return Sym("nan")
        params = [p for p in law.getListOfAllElements() if isinstance(p, libsbml.Parameter)]
        scope = Scope(frozenset(p.getId() for p in params), f"reaction {rid}")
        rate = self.expr(law.getMath(), f"reaction {rid}", scope)
        return substitute(rate, {self.sid(p.getId()): Num(p.getValue()) for p in params})


def _uses_time(e: Expr) -> bool:
    return isinstance(e, Time) or any(_uses_time(c) for c in e.children())

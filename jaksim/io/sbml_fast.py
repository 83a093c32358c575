"""SBML fast reactions (L2 ``fast="true"``) as a rapid-equilibrium DAE.

SBML's interpretation of a fast reaction is the limit of infinitely fast kinetics: the fast
subsystem is always at equilibrium (its rate laws are 0) while the slow reactions move the
quantities the fast reactions conserve. With ``N_f`` the fast reactions' net stoichiometry on
the species they change (``S_f``, amounts), ``L`` a basis of its left null space
(``L N_f = 0``) and ``v_s`` the slow reaction rates:

* each row ``l`` of ``L`` gets a total ``T_l`` (a new parameter) with the rate rule
  ``dT_l/dt = l . (N_s v_s)`` (the slow reactions' effect on ``S_f``; the fast fluxes drop
  out) and the initial assignment ``T_l = l . S_f(t0)``;
* the species ``S_f`` become algebraic states (``boundary`` so that no reaction changes them
  directly), determined by ``0 = l . S_f - T_l`` for each total and ``0 = v_j`` for each fast
  reaction ``j``: ``n_f`` equations for ``n_f`` unknowns, index 1 when the fast equilibrium
  is isolated.

The consistent initialisation then moves ``S_f(t0)`` onto the equilibrium with the same
totals. Refused: fast reactions whose net stoichiometries are linearly dependent (more rate
equations than directions), variable stoichiometries, fast species in compartments whose
size changes, and a fast rate law that is identically 0 with the initial parameter values
but may change (``k2 * A`` with ``k2 = 0`` until an event: the DAE is singular until then);
one that stays 0 is no reaction and is left out of the fast subsystem.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.linalg import null_space

from jaksim.spec import expr as ex
from jaksim.spec.expr import BinOp, Expr, Num, Sym, to_text
from jaksim.spec.model import (
    AlgebraicRule,
    InitialAssignment,
    Parameter,
    RateRule,
    Reaction,
    Species,
)

__all__ = ["FastRewrite", "fast_equilibrium"]


class FastRewrite:
    """What :func:`fast_equilibrium` adds to / changes in the imported model."""

    def __init__(self) -> None:
        self.species: tuple[Species, ...] = ()
        self.parameters: list[Parameter] = []
        self.rate_rules: list[RateRule] = []
        self.algebraic: list[AlgebraicRule] = []
        self.initial: list[InitialAssignment] = []
        self.refused: list[str] = []


def _sum(terms: list[Expr]) -> Expr:
    out: Expr = Num(0.0)
    for t in terms:
        out = t if out == Num(0.0) else BinOp("+", out, t)
    return out


def _num(x: float) -> Expr:
    return Num(float(x)) if x >= 0 else BinOp("*", Num(-1.0), Num(float(-x)))


def _identically_zero(r: Reaction, species: tuple[Species, ...], values: dict[str, float]) -> bool:
    """Whether the rate law of ``r`` is 0 whatever its species' values, with the parameter
    ``values`` (probed at a few positive points; unknown values: False)."""
    rng = np.random.default_rng(0)
    ids = [s.id for s in species]
    local = {lp.id: lp.value for lp in r.local_parameters}
    try:
        law = ex.parse(r.rate)
        for _ in range(3):
            probe = dict(zip(ids, rng.uniform(0.5, 2.0, len(ids)), strict=True))
            if ex.evaluate(law, values | local | probe) != 0.0:
                return False
    except Exception:  # noqa: BLE001 - a value set by rules, a NaN: cannot tell
        return False
    return True


def fast_equilibrium(
    species: tuple[Species, ...],
    reactions: tuple[Reaction, ...],
    fast: set[str],
    *,
    varying_compartments: set[str],
    constants: dict[str, float],
    values: dict[str, float],
    fresh_id,
    provenance: str,
) -> FastRewrite:
    """The rapid-equilibrium form of the fast reactions ``fast`` (ids) of a model.

    ``constants`` holds the values of the constant parameters (a conversion factor scales a
    species' stoichiometry, so it must be one), ``values`` the initial values of all;
    ``fresh_id(base)`` returns an id no model element has; refusals (reasons) are listed in
    ``refused`` and leave the model unchanged.
    """
    out = FastRewrite()
    out.species = species
    by_id = {s.id: s for s in species}
    # a fast rate law that is identically 0 (a factor ln(1), suite 01565) is no reaction: its
    # "equilibrium" 0 = 0 says nothing. Refused when its parameters may change (k2 = 0 until an
    # event sets it, suite 00988): the DAE is singular until then.
    zero = {r.id for r in reactions if r.id in fast and _identically_zero(r, species, values)}
    for r in reactions:
        if r.id in zero and ex.parse(r.rate).symbols() - set(constants) - {
            s.id for s in species
        } - {lp.id for lp in r.local_parameters}:
            out.refused.append("fast reaction whose rate law is 0 until a parameter changes")
            return out
    fast = set(fast) - zero
    fast_rx = [r for r in reactions if r.id in fast]
    slow_rx = [r for r in reactions if r.id not in fast]
    if any("_part" in r.id and r.description.startswith("variable-stoich") for r in reactions
           if r.id.split("_part")[0] in fast):  # fmt: skip
        out.refused.append("fast reaction with a variable stoichiometry")
        return out

    def net(r: Reaction) -> dict[str, float]:
        d: dict[str, float] = {}
        for sid, n in r.reactants:
            d[sid] = d.get(sid, 0.0) - float(n)
        for sid, n in r.products:
            d[sid] = d.get(sid, 0.0) + float(n)
        return {k: v for k, v in d.items() if v != 0.0}

    fast_nets = [net(r) for r in fast_rx]
    changed = [
        s.id
        for s in species
        if not s.boundary and not s.constant and any(s.id in n for n in fast_nets)
    ]
    if not changed:
        return out  # fast reactions between boundary / constant species change nothing
    if any(by_id[s].compartment in varying_compartments for s in changed):
        out.refused.append("fast reaction in a compartment whose size changes")
        return out
    factors = [by_id[s].conversion_factor for s in changed]
    if any(f is not None and f not in constants for f in factors):
        out.refused.append("fast reaction on a species with a varying conversion factor")
        return out
    scale = [1.0 if f is None else constants[f] for f in factors]
    # d(amount)/dt = conversion factor * stoichiometry * rate
    n_f = np.array(
        [[c * n.get(s, 0.0) for n in fast_nets] for s, c in zip(changed, scale, strict=True)]
    )
    if np.linalg.matrix_rank(n_f) < len(fast_rx):
        out.refused.append("fast reactions with linearly dependent stoichiometries")
        return out
    left = null_space(n_f.T).T  # rows l with l @ n_f = 0
    # tidy the basis: exact small integers stay exact in the generated expressions
    left[np.abs(left) < 1e-14] = 0.0

    def _fast_rate(sid: str, factor: float) -> Expr:
        """d(sid)/dt under the fast reactions alone, in the species' stored units."""
        terms = []
        for r, n in zip(fast_rx, fast_nets, strict=True):
            if n.get(sid):
                terms.append(BinOp("*", _num(factor * n[sid]), Sym(r.id)))
        rate = _sum(terms)
        s = by_id[sid]
        return rate if s.amount else BinOp("/", rate, Sym(s.compartment))

    def amount(sid: str) -> Expr:
        s = by_id[sid]
        return Sym(sid) if s.amount else BinOp("*", Sym(sid), Sym(s.compartment))

    def slow_rate(sid: str) -> list[Expr]:
        s = by_id[sid]
        terms = []
        for r in slow_rx:
            n = net(r).get(sid, 0.0)
            if n:
                term: Expr = BinOp("*", _num(n), Sym(r.id))
                if s.conversion_factor:
                    term = BinOp("*", Sym(s.conversion_factor), term)
                terms.append(term)
        return terms

    for k, row in enumerate(left):
        total = fresh_id(f"fast_total_{k + 1}")
        used = [(c, sid) for c, sid in zip(row, changed, strict=True) if c != 0.0]
        combo = _sum([BinOp("*", _num(c), amount(sid)) for c, sid in used])
        rate = _sum([BinOp("*", _num(c), t) for c, sid in used for t in slow_rate(sid)])
        out.parameters.append(Parameter(
            total, float("nan"), constant=False, source=provenance,
            description="conserved total of the fast reactions' species (rapid equilibrium)",
        ))  # fmt: skip
        out.rate_rules.append(RateRule(total, to_text(rate)))
        out.initial.append(InitialAssignment(total, to_text(combo)))
        out.algebraic.append(AlgebraicRule("", to_text(BinOp("-", combo, Sym(total)))))
    for r in fast_rx:
        out.algebraic.append(AlgebraicRule("", r.id))
    # the variable each rule is attached to only names a state slot: the DAE is the set of
    # equations, whichever rule sits in which row; the fast kinetics themselves pick the
    # stable equilibrium at initialisation (suite 01399: k < 0 makes S1 S2 = 0 pick S2 = 0)
    out.algebraic = [
        AlgebraicRule(sid, rule.expression, to_text(_fast_rate(sid, c)))
        for sid, c, rule in zip(changed, scale, out.algebraic, strict=True)
    ]
    out.species = tuple(replace(s, boundary=True) if s.id in changed else s for s in species)
    return out

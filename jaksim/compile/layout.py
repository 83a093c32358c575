"""Model -> symbolic layout: which symbols are states, parameters or computed, and d(state)/dt.

This is the structural half of compilation: everything here depends on the model's structure
only (ids, stoichiometry, expression texts), never on parameter or initial values, so one
:class:`Layout` (and one generated kernel module) serves every parameterisation.

Classification of symbols
-------------------------
* **state** (``y``): species that reactions change (neither ``boundary`` nor ``constant``) and
  that have no rule, in species order; then rate-rule targets (parameters, compartments,
  boundary species) in rate-rule order.
* **computed**: assignment-rule targets and observables (``model.assignments``) and reaction
  extent rates (symbol = reaction id, amount/time, as in SBML), evaluated in dependency order.
* **runtime parameter** (``p``): model parameters (file order) that no rule defines, then
  constant compartment sizes, then species that no reaction or rule changes (boundary or
  constant species: their current value), then reaction-local parameters renamed
  ``<reaction>__<name>``. Events and inputs that change a boundary species change its ``p`` entry.

Variable compartments
---------------------
A compartment whose size ``V`` follows a rate rule or an assignment rule keeps its species as
*concentrations*; the change of volume enters as a dilution term,
``dc/dt = (sum of stoich * extent) / V - c * (dV/dt) / V`` (amount ``c V`` is unchanged by the
volume change, as in SBML). ``dV/dt`` is the rate rule, or for an assignment rule its total
time derivative through rate-ruled states and explicit time (an assignment that depends on
reaction-driven species is refused). Species with ``amount=True`` and species with their own
rate rule get no dilution term. A compartment changed by an *event* while it holds
concentration species is refused (the jump would need the amount formulation). A size that
lives in ``p`` and is changed by a protocol, or an assignment-rule size whose inputs jump, does
not rescale the concentrations (only continuous volume change is modelled).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from jaksim.spec import expr as ex
from jaksim.spec.errors import ModelError
from jaksim.spec.graph import depth_first_order
from jaksim.spec.model import Model

__all__ = ["Layout", "build_layout", "computed_closure", "topo_order"]


@dataclass(frozen=True)
class Layout:
    """Structural description of a model, ready for code generation.

    Attributes
    ----------
    state_ids, param_ids, output_ids : tuple of str
        Orders of ``y``, ``p`` and the observables vector.
    computed : dict[str, Expr]
        Assignment rules and reaction extent rates (keyed by reaction id, amount/time), in a
        valid evaluation order (dict order).
    dydt : tuple of Expr
        ``d y_i / dt`` in terms of states, parameters, computed symbols and time.
    initial : dict[str, Expr]
        Initial assignments (target -> expression).
    triggers : tuple of Expr
        One trigger condition per event.
    event_assignments : tuple of tuple of (target, Expr)
        Per event, the assignments executed when it fires.
    reaction_ids : tuple of str
    stoich_amount : tuple of (state index, reaction index, coefficient)
        Net stoichiometry entries of reaction-driven states (amount sense, no volumes and no
        conversion factors).
    conversion : dict[int, str]
        State index -> conversion-factor symbol, for states whose species has one.
    state_compartment : tuple of str | None
        Compartment of each state species whose value is a concentration (None for amounts,
        rate-rule targets).
    rate_rule_states, diluted_states : frozenset of int
        States driven by rate rules; concentration states in variable compartments.
    algebraic_states : frozenset of int
        States defined by algebraic rules (last in ``state_ids``): their ``dydt`` entry is
        the rule's residual ``g`` of ``0 = g``, i.e. the model is ``M y' = f`` with ``M`` the
        identity with zeros at these indices.
    """

    state_ids: tuple[str, ...]
    param_ids: tuple[str, ...]
    output_ids: tuple[str, ...]
    computed: dict[str, ex.Expr]
    dydt: tuple[ex.Expr, ...]
    initial: dict[str, ex.Expr]
    triggers: tuple[ex.Expr, ...]
    event_assignments: tuple[tuple[tuple[str, ex.Expr], ...], ...]
    reaction_ids: tuple[str, ...]
    stoich_amount: tuple[tuple[int, int, float], ...]
    conversion: dict[int, str]
    state_compartment: tuple[str | None, ...]
    rate_rule_states: frozenset[int]
    diluted_states: frozenset[int]
    algebraic_states: frozenset[int] = frozenset()


def topo_order(definitions: dict[str, ex.Expr], *, what: str, file: str | None) -> list[str]:
    """Order ``definitions`` so that every symbol comes after the definitions it uses.

    Raises
    ------
    ModelError
        On a cycle, naming its members.
    """
    order, cycle = depth_first_order(
        definitions, lambda name: sorted(definitions[name].symbols() & definitions.keys())
    )
    if cycle is not None:
        raise ModelError(f"circular {what}: {' -> '.join(cycle)}", file=file)
    return order


def computed_closure(computed: dict[str, ex.Expr], exprs: Iterable[ex.Expr]) -> list[str]:
    """Computed symbols that ``exprs`` use, transitively, in evaluation (dict) order."""
    want: set[str] = set()
    stack = [s for e in exprs for s in e.symbols()]
    while stack:
        name = stack.pop()
        if name in computed and name not in want:
            want.add(name)
            stack.extend(computed[name].symbols())
    return [n for n in computed if n in want]


def _parse(text: str, context: str, symbols: set[str], file: str | None) -> ex.Expr:
    """Parse, check that every symbol is known, and bind the constants no symbol shadows."""
    e = ex.parse(text, context=context)
    ex.check_symbols(e, symbols, context=context, file=file)
    return ex.bind_constants(e, symbols)


def build_layout(model: Model) -> Layout:
    """Classify the model's symbols and build the symbolic right-hand side.

    Raises
    ------
    ModelError
        For anything that cannot be compiled correctly (unknown symbols, rule cycles,
        rate rules on reacting species, species in variable-size compartments).
    """
    file = model.source_file or None
    comps = {c.id: c for c in model.compartments}
    species = {s.id: s for s in model.species}
    assigned = {a.id for a in model.assignments}
    if len(assigned) != len(model.assignments):
        twice = sorted(
            {a.id for a in model.assignments if [b.id for b in model.assignments].count(a.id) > 1}
        )
        raise ModelError(f"more than one assignment for {twice}", file=file, field="assignments")
    rate_rule_vars = [r.variable for r in model.rate_rules]
    # DAE: algebraic-rule variables are states after the rate-rule ones (see algebraic_states)
    algebraic_vars = [r.variable for r in model.algebraic_rules]
    ids_with_rules = assigned | set(rate_rule_vars) | set(algebraic_vars)

    event_targets = {a.variable for e in model.events for a in e.assignments}
    event_comps = sorted(c for c in comps if c in event_targets)
    # amounts (SBML hasOnlySubstanceUnits) are unaffected by the volume change
    crowded = sorted(s.id for s in model.species if s.compartment in event_comps and not s.amount)
    if crowded:
        raise ModelError(
            f"variable compartment size not supported: event(s) change compartment(s) "
            f"{event_comps} that contain concentration species {crowded}",
            file=file,
        )
    for rr in model.rate_rules:
        if rr.variable in assigned:
            raise ModelError(f"{rr.variable!r} has both a rate rule and an assignment", file=file)
        if (
            rr.variable not in comps
            and rr.variable not in species
            and not any(p.id == rr.variable for p in model.parameters)
        ):
            raise ModelError(
                f"rate rule for unknown variable {rr.variable!r}", file=file, field="rate_rules"
            )

    reacting = [
        s.id
        for s in model.species
        if not s.boundary and not s.constant and s.id not in ids_with_rules
    ]
    state_ids = tuple(reacting) + tuple(rate_rule_vars) + tuple(algebraic_vars)
    state_index = {sid: i for i, sid in enumerate(state_ids)}

    local_ids: list[str] = []
    local_maps: dict[str, dict[str, str]] = {}
    for r in model.reactions:
        local_maps[r.id] = {lp.id: f"{r.id}__{lp.id}" for lp in r.local_parameters}
        local_ids.extend(local_maps[r.id].values())
    param_ids = tuple(
        [p.id for p in model.parameters if p.id not in ids_with_rules]
        + [c for c in comps if c not in ids_with_rules]
        + [s.id for s in model.species if s.id not in state_index and s.id not in assigned]
        + local_ids
    )
    if len(set(param_ids) | set(state_ids)) != len(param_ids) + len(state_ids):
        dup = sorted({x for x in (*param_ids, *state_ids) if (*param_ids, *state_ids).count(x) > 1})
        raise ModelError(f"identifier(s) used twice: {dup}", file=file)

    reaction_ids = [r.id for r in model.reactions]
    clash = sorted(set(reaction_ids) & (set(state_ids) | set(param_ids) | assigned))
    if clash or len(set(reaction_ids)) != len(reaction_ids):
        raise ModelError(f"reaction id(s) also used for another component: {clash}", file=file)
    symbols = set(state_ids) | set(param_ids) | assigned | set(reaction_ids)

    # assignment rules / observables
    definitions: dict[str, ex.Expr] = {}
    for a in model.assignments:
        context = f"assignment {a.id!r} expression"
        definitions[a.id] = _parse(a.expression, context, symbols, file)

    # reactions: extent rates in amount/time
    stoich: list[tuple[int, int, float]] = []
    conversion: dict[int, str] = {}
    dydt: list[ex.Expr] = [ex.ZERO] * len(state_ids)
    for j, r in enumerate(model.reactions):
        context = f"reaction {r.id!r} rate"
        local = local_maps[r.id]
        rate = ex.rename(ex.parse(r.rate, context=context), local)
        # a copy of the symbol set per reaction would make this loop quadratic
        known = symbols | set(local.values()) if local else symbols
        ex.check_symbols(rate, known, context=context, file=file)
        rate = ex.bind_constants(rate, known)
        if r.compartment is not None:
            if r.compartment not in comps:
                raise ModelError(
                    f"unknown compartment {r.compartment!r}", file=file, field=f"reaction {r.id!r}"
                )
            rate = ex.mul(rate, ex.Sym(r.compartment))
        definitions[r.id] = rate
        net: dict[str, float] = {}
        for sid, n in r.reactants:
            net[sid] = net.get(sid, 0.0) - float(n)
        for sid, n in r.products:
            net[sid] = net.get(sid, 0.0) + float(n)
        for sid, n in net.items():
            if sid not in species:
                raise ModelError(f"unknown species {sid!r}", file=file, field=f"reaction {r.id!r}")
            if sid in rate_rule_vars and not species[sid].boundary:
                raise ModelError(
                    f"species {sid!r} is changed by reaction {r.id!r} and by a rate rule",
                    file=file,
                )
            i = state_index.get(sid)
            if i is None or n == 0.0 or sid in rate_rule_vars or sid in algebraic_vars:
                continue  # boundary / constant / rule-defined species: no reaction change
            s = species[sid]
            stoich.append((i, j, n))
            term = ex.mul(ex.Num(n), ex.Sym(r.id))
            if not s.amount:
                term = ex.div(term, ex.Sym(s.compartment))
            if s.conversion_factor:
                if s.conversion_factor not in symbols:
                    raise ModelError(
                        f"unknown conversion factor {s.conversion_factor!r}",
                        file=file,
                        field=f"species {sid!r}",
                    )
                conversion[i] = s.conversion_factor
                term = ex.mul(ex.Sym(s.conversion_factor), term)
            dydt[i] = ex.add(dydt[i], term)

    for rr in model.rate_rules:
        context = f"rate rule for {rr.variable!r}"
        dydt[state_index[rr.variable]] = _parse(rr.expression, context, symbols, file)
    for ar in model.algebraic_rules:
        if ar.variable in comps and any(
            s.compartment == ar.variable and not s.amount for s in model.species
        ):
            raise ModelError(f"compartment {ar.variable!r} holding species is set by an "
                             "algebraic rule (no dilution term)", file=file)  # fmt: skip
        context = f"algebraic rule for {ar.variable!r}"
        dydt[state_index[ar.variable]] = _parse(ar.expression, context, symbols, file)
    n_ode = len(state_ids) - len(algebraic_vars)

    diluted = _add_dilution(model, state_ids, reacting, dydt, definitions, file)

    # rateOf() of an algebraic state is not its residual: refused by the resolver
    rates = dict(zip(state_ids[:n_ode], dydt[:n_ode], strict=True))
    resolve = _rate_of_resolver(rates, set(definitions) | set(algebraic_vars), file)
    dydt = [resolve(d) for d in dydt]
    definitions = {name: resolve(e) for name, e in definitions.items()}
    order = topo_order(definitions, what="assignment rules / reaction rates", file=file)
    computed = {name: definitions[name] for name in order}

    initial = {
        ia.variable: resolve(
            _parse(ia.expression, f"initial assignment for {ia.variable!r}", symbols, file)
        )
        for ia in model.initial_assignments
    }
    for target in initial:
        if target not in state_index and target not in param_ids:
            raise ModelError(
                f"initial assignment to {target!r}, which is not a state or parameter",
                file=file,
                field="initial_assignments",
            )

    triggers = []
    event_assignments = []
    for ev in model.events:
        triggers.append(resolve(_parse(ev.trigger, f"event {ev.id!r} trigger", symbols, file)))
        items = []
        for ea in ev.assignments:
            if ea.variable not in state_index and ea.variable not in param_ids:
                raise ModelError(
                    f"event assigns {ea.variable!r}, which is not a state or parameter",
                    file=file,
                    field=f"event {ev.id!r}",
                )
            context = f"event {ev.id!r} assignment to {ea.variable!r}"
            items.append((ea.variable, resolve(_parse(ea.expression, context, symbols, file))))
        event_assignments.append(tuple(items))

    state_compartment = tuple(
        species[sid].compartment
        if sid in species and not species[sid].amount and i < len(reacting)
        else None
        for i, sid in enumerate(state_ids)
    )
    return Layout(
        state_ids=state_ids,
        param_ids=param_ids,
        output_ids=tuple(a.id for a in model.assignments),
        computed=computed,
        dydt=tuple(dydt),
        initial=initial,
        triggers=tuple(triggers),
        event_assignments=tuple(event_assignments),
        reaction_ids=tuple(reaction_ids),
        stoich_amount=tuple(stoich),
        conversion=conversion,
        state_compartment=state_compartment,
        rate_rule_states=frozenset(range(len(reacting), n_ode)),
        diluted_states=frozenset(diluted),
        algebraic_states=frozenset(range(n_ode, len(state_ids))),
    )


def _rate_of_resolver(
    rates: dict[str, ex.Expr], computed: set[str], file: str | None
) -> Callable[[ex.Expr], ex.Expr]:
    """Return a function replacing ``rateOf(x)`` by ``dx/dt`` (SBML's rateOf csymbol).

    ``dx/dt`` is the state's right-hand side (itself resolved), 0 for a constant; the rate of
    an assignment-rule variable or reaction is refused.
    """

    def resolve(e: ex.Expr, depth: int = 0) -> ex.Expr:
        if depth > len(rates):
            raise ModelError("circular rateOf() references", file=file)

        def visit(node: ex.Expr, kids: tuple[ex.Expr, ...]) -> ex.Expr:
            node = ex.with_children(node, kids)
            if not (isinstance(node, ex.Call) and node.fn == "rateOf"):
                return node
            (arg,) = node.args
            if not isinstance(arg, ex.Sym):
                raise ModelError(f"rateOf() needs a variable, got '{ex.to_text(arg)}'", file=file)
            if arg.name in computed:
                raise ModelError(
                    f"rateOf({arg.name}) of an assignment-rule or algebraic variable or reaction "
                    "is not supported",
                    file=file,
                )
            return resolve(rates[arg.name], depth + 1) if arg.name in rates else ex.ZERO

        return ex.transform(e, visit)

    return resolve


def _add_dilution(
    model: Model,
    state_ids: tuple[str, ...],
    reacting: list[str],
    dydt: list[ex.Expr],
    computed: dict[str, ex.Expr],
    file: str | None,
) -> list[int]:
    """Add ``-c * (dV/dt) / V`` to concentration species in variable compartments (in place).

    Returns the indices of the states that got a dilution term.
    """
    state_index = {sid: i for i, sid in enumerate(state_ids)}
    volume_rate: dict[str, ex.Expr] = {}
    for c in model.compartments:
        if c.id in state_index:
            volume_rate[c.id] = dydt[state_index[c.id]]
        elif c.id in computed:
            inlined = computed[c.id]
            while inlined.symbols() & computed.keys():
                inlined = ex.substitute(inlined, computed)
            drivers = sorted(inlined.symbols() & set(state_ids))
            bad = [d for d in drivers if d in reacting]
            if bad:
                raise ModelError(
                    f"variable compartment size not supported: the assignment for {c.id!r} "
                    f"depends on reaction-driven species {bad}",
                    file=file,
                )
            rate = ex.diff(inlined, "time")
            for d in drivers:
                rate = ex.add(rate, ex.mul(ex.diff(inlined, d), dydt[state_index[d]]))
            volume_rate[c.id] = rate
    diluted = []
    species = {s.id: s for s in model.species}  # get_species is a linear search
    for sid in reacting:
        s = species[sid]
        if s.amount or s.compartment not in volume_rate or volume_rate[s.compartment] == ex.ZERO:
            continue
        i = state_index[sid]
        dilution = ex.div(ex.mul(ex.Sym(sid), volume_rate[s.compartment]), ex.Sym(s.compartment))
        dydt[i] = ex.sub(dydt[i], dilution)
        diluted.append(i)
    return diluted

"""Immutable model specification: the data a reaction-network model is made of.

A :class:`Model` is plain, frozen data (PySB-style "a model is data"). Expressions (rate laws,
rules, triggers) are stored as text in jaksim's restricted expression syntax
(see ``docs/model-format.md``); they are parsed and checked by :mod:`jaksim.spec.expr`
and :mod:`jaksim.spec.validate`, never ``eval``-ed.

Conventions
-----------
* Concentrations are in the model's ``concentration_unit`` (default nM), time in its
  ``time_unit`` (default s), compartment sizes in ``volume_unit`` (default pL).
* A reaction with a ``compartment`` has a rate law in concentration/time *in that compartment*;
  the extent rate (amount/time) is ``rate * size(compartment)`` and each species changes by
  ``stoichiometry * extent_rate / size(species.compartment)``. With all sizes 1 this is plain
  concentration kinetics; with different cytoplasm / nucleus volumes it moves mass correctly.
  A reaction with ``compartment=None`` has a rate law already in amount/time (SBML semantics).
* A species with ``amount=True`` (SBML ``hasOnlySubstanceUnits``) is stored and referenced
  as an amount rather than a concentration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

__all__ = [
    "Compartment",
    "Species",
    "Parameter",
    "Reaction",
    "Assignment",
    "RateRule",
    "InitialAssignment",
    "EventAssignment",
    "Event",
    "Input",
    "AlgebraicRule",
    "DelayedValue",
    "Model",
]


def _frozen_mapping(data: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True, slots=True)
class Compartment:
    """A well-mixed volume.

    Parameters
    ----------
    id : str
        Identifier used in expressions (evaluates to the size).
    size : float
        Volume in ``units`` (converted to the model's ``volume_unit`` on load).
    units : str
        Unit of ``size``, e.g. ``"pL"``.
    constant : bool
        False when a rule or event changes the size (SBML).
    spatial_dimensions : float
        3 for volumes; SBML allows 0-2 too.
    source : str
        Citation for the size.
    """

    id: str
    size: float = 1.0
    units: str = "pL"
    name: str = ""
    constant: bool = True
    spatial_dimensions: float = 3.0
    source: str = ""
    assumed: str = ""


@dataclass(frozen=True, slots=True)
class Species:
    """A chemical species in one compartment.

    ``initial`` is a concentration in ``units`` (or an amount when ``amount`` is True).
    ``boundary`` species are not changed by reactions (only by rules, events and inputs);
    ``constant`` species never change.
    """

    id: str
    compartment: str
    initial: float = 0.0
    units: str = "nM"
    name: str = ""
    boundary: bool = False
    constant: bool = False
    amount: bool = False
    conversion_factor: str | None = None
    source: str = ""
    assumed: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Parameter:
    """A named constant (or, with ``constant=False``, a variable set by rules/events).

    Every parameter carries units and either a ``source`` (paper, table) or an ``assumed``
    reason: the validator refuses a parameter with neither when ``require_sources`` is set.
    """

    id: str
    value: float
    units: str = "dimensionless"
    name: str = ""
    source: str = ""
    assumed: str = ""
    bounds: tuple[float, float] | None = None
    constant: bool = True
    description: str = ""


@dataclass(frozen=True, slots=True)
class Reaction:
    """A reaction ``sum(reactants) -> sum(products)`` with a rate law.

    Parameters
    ----------
    reactants, products : tuple of (species_id, stoichiometry)
    rate : str
        Rate law in expression syntax. In concentration/time of ``compartment`` when that is
        set, else in amount/time. Mass-action shorthand in model files is expanded to this.
    modifiers : tuple of str
        Species that affect the rate without being consumed (documentation + SBML export).
    reversible : bool
        Whether ``rate`` may become negative (informative; SBML export).
    """

    id: str
    reactants: tuple[tuple[str, float], ...]
    products: tuple[tuple[str, float], ...]
    rate: str
    modifiers: tuple[str, ...] = ()
    reversible: bool = False
    compartment: str | None = None
    name: str = ""
    description: str = ""
    local_parameters: tuple[Parameter, ...] = ()


@dataclass(frozen=True, slots=True)
class Assignment:
    """``id = expression`` evaluated at every time point (an observable or an SBML assignment rule).

    If ``id`` names an existing non-constant parameter, compartment or species, the rule
    defines that symbol's value (SBML assignment rule); otherwise it defines a new observable.
    """

    id: str
    expression: str
    units: str = ""
    name: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class RateRule:
    """``d(variable)/dt = expression`` for a parameter, compartment or boundary species (SBML)."""

    variable: str
    expression: str


@dataclass(frozen=True, slots=True)
class InitialAssignment:
    """``variable(t0) = expression`` (SBML initial assignment)."""

    variable: str
    expression: str


@dataclass(frozen=True, slots=True)
class EventAssignment:
    variable: str
    expression: str


@dataclass(frozen=True, slots=True)
class Event:
    """A discrete change when ``trigger`` goes from false to true (SBML event semantics)."""

    id: str
    trigger: str
    assignments: tuple[EventAssignment, ...]
    delay: str | None = None
    priority: str | None = None
    persistent: bool = True
    initial_value: bool = True
    use_values_from_trigger_time: bool = True


@dataclass(frozen=True, slots=True)
class Input:
    """A time-dependent input: piecewise-constant changes of a species or parameter.

    ``changes`` is a tuple of ``(time, value)``; at each time the target is set to
    (``op="set"``) or increased by (``op="add"``) ``value``. A cytokine added at t=0 and
    washed out at t=3600 s is ``Input("IL6", ((0.0, 1.0), (3600.0, 0.0)))``. Inputs are
    discontinuities: solvers stop and restart exactly at each time.
    """

    target: str
    changes: tuple[tuple[float, float], ...]
    op: str = "set"
    units: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class AlgebraicRule:
    """``0 = expression``, solved for ``variable`` (SBML algebraic rule).

    ``variable`` (a non-constant parameter, compartment or species that nothing else
    determines) becomes an algebraic state of an index-1 semi-explicit DAE: the solvers keep
    ``expression = 0`` at every time, and its initial value is only a Newton starting guess.
    ``relaxation`` (optional) is a rate of change of ``variable`` in a fictitious time whose
    stable steady state is the root to pick when the rules have several: the consistent
    initialisation follows it first (fast reactions: their own kinetics, so that an unstable
    equilibrium is never chosen).
    """

    variable: str
    expression: str
    relaxation: str = ""


@dataclass(frozen=True, slots=True)
class DelayedValue:
    """``id`` stands for ``expression`` evaluated ``delay`` time units ago (SBML ``delay()``).

    ``id`` is a non-constant parameter of the model whose value the SBML event driver sets
    from the trajectory's history before every kernel call (method of steps); before the
    start of a run the history is the initial state: ``before`` (default ``expression``)
    evaluated at the past time with the initial state, so that an explicit ``time`` in it or
    in the rules it uses sees the past time.
    """

    id: str
    expression: str
    delay: str
    before: str = ""


@dataclass(frozen=True, slots=True)
class Model:
    """A complete reaction-network model (immutable).

    Use :func:`dataclasses.replace` or :meth:`with_parameters` to derive variants.
    """

    id: str
    name: str = ""
    description: str = ""
    time_unit: str = "s"
    concentration_unit: str = "nM"
    volume_unit: str = "pL"
    compartments: tuple[Compartment, ...] = ()
    species: tuple[Species, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    reactions: tuple[Reaction, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    rate_rules: tuple[RateRule, ...] = ()
    initial_assignments: tuple[InitialAssignment, ...] = ()
    events: tuple[Event, ...] = ()
    inputs: tuple[Input, ...] = ()
    algebraic_rules: tuple[AlgebraicRule, ...] = ()
    delays: tuple[DelayedValue, ...] = ()
    source_file: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "metadata", _frozen_mapping(self.metadata))

    # -- lookups ---------------------------------------------------------------------------
    def species_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.species)

    def parameter_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.parameters)

    def get_species(self, sid: str) -> Species:
        for s in self.species:
            if s.id == sid:
                return s
        raise KeyError(sid)

    def get_parameter(self, pid: str) -> Parameter:
        for p in self.parameters:
            if p.id == pid:
                return p
        raise KeyError(pid)

    def get_compartment(self, cid: str) -> Compartment:
        for c in self.compartments:
            if c.id == cid:
                return c
        raise KeyError(cid)

    # -- derived variants ------------------------------------------------------------------
    def with_parameters(self, **values: float) -> Model:
        """Return a copy with parameter values replaced (structure unchanged)."""
        return replace(
            self, parameters=self._replaced("parameters", "value", values, "parameter(s)")
        )

    def with_initial(self, **values: float) -> Model:
        """Return a copy with species initial values replaced."""
        return replace(self, species=self._replaced("species", "initial", values, "species"))

    def _replaced(self, kind: str, attr: str, values: Mapping[str, float], noun: str) -> tuple:
        """The ``kind`` components with ``attr`` set to ``values[id]`` where given.

        Raises KeyError naming the model and the ids it does not have.
        """
        items = getattr(self, kind)
        unknown = sorted(set(values) - {c.id for c in items})
        if unknown:
            raise KeyError(f"model {self.id!r} has no {noun} {unknown}")
        return tuple(
            replace(c, **{attr: float(values[c.id])}) if c.id in values else c for c in items
        )

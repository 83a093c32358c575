"""Forward sensitivities as an ordinary jaksim model (directional derivatives).

For ``dx/dt = f(x, p, t)`` the sensitivity ``s = dx/dp . v`` along a direction ``v`` of the
parameter vector obeys ``ds/dt = (df/dx) s + (df/dp) v`` with ``s(0) = dx0/dp . v``. We write
that system *symbolically* from the compiler's layout (``dydt`` and the computed symbols:
assignment rules and reaction extents), as a new :class:`~jaksim.spec.model.Model` whose
states are ``x`` and ``s`` (rate rules) and whose parameters are ``p`` and the direction ``v``
(one ``dir__<p>`` per runtime parameter). That model goes through the normal pipeline
(generated numba kernels with their analytic Jacobian, Rodas5, pre-equilibration), so
sensitivities get the same stiff solver, error control, breakpoints and ensembles as plain
simulations; one gradient is an ensemble of (conditions x directions) members of size ``2n``.

Why directional and not the full ``n x n_p`` system: the augmented model stays ``2n`` states
whatever the number of parameters (cheap to compile, dense LU stays small), every direction is
an ensemble member (parallel on all cores), and a parameter that a condition sets only after
pre-equilibration is handled by a protocol change of its ``dir__`` entry at ``t = 0``.

Pre-equilibrated sensitivities: the augmented model's steady state satisfies ``f = 0`` and
``(df/dx) s + (df/dp) v = 0`` in the conservation class reached from ``s(0)``, i.e. the
linear-system solution ``ds*/dp`` (computed by integrating to steady state, which respects the
conservation laws that a singular Jacobian would leave undetermined).

Derivatives of computed symbols are themselves assignment rules ``d__<symbol>`` (forward mode
through the dependency graph), so no expression is inlined and the model stays small.
"""

from __future__ import annotations

from dataclasses import dataclass

from jaksim.compile.layout import Layout, build_layout
from jaksim.spec import expr as ex
from jaksim.spec.errors import ModelError
from jaksim.spec.model import Assignment, InitialAssignment, Model, Parameter, RateRule

__all__ = ["SensitivityModel", "build_sensitivity_model", "sens_id", "dir_id", "dsym_id"]


def sens_id(state: str) -> str:
    """Id of the sensitivity state of ``state`` in the augmented model."""
    return f"sens__{state}"


def dir_id(param: str) -> str:
    """Id of the direction component of runtime parameter ``param``."""
    return f"dir__{param}"


def dsym_id(symbol: str) -> str:
    """Id of the directional derivative of a computed symbol (assignment rule / extent)."""
    return f"d__{symbol}"


@dataclass(frozen=True)
class SensitivityModel:
    """The augmented model and the maps back to the original one.

    Attributes
    ----------
    model : Model
        States ``x`` then ``sens__x``; parameters ``p`` then ``dir__p``; assignments: the
        original computed symbols then their derivatives ``d__c``.
    layout : Layout
        Layout of the *original* model (its state / parameter / output orders).
    state_ids, param_ids, output_ids : tuple of str
        The original model's orders.
    """

    model: Model
    layout: Layout
    state_ids: tuple[str, ...]
    param_ids: tuple[str, ...]
    output_ids: tuple[str, ...]


def _directional(e: ex.Expr, deriv_of: dict[str, ex.Expr]) -> ex.Expr:
    """Total derivative of ``e`` along the direction: sum of partials times ``deriv_of[s]``."""
    total: ex.Expr = ex.ZERO
    for s in sorted(e.symbols()):
        d = deriv_of.get(s)
        if d is None:
            continue
        partial = ex.diff(e, s)
        if partial != ex.ZERO:
            total = ex.add(total, ex.mul(partial, d))
    return ex.simplify(total)


def build_sensitivity_model(model: Model, *, y0=None, p0=None) -> SensitivityModel:
    """Augmented model with forward directional sensitivities of every state.

    Parameters
    ----------
    model : Model
        Any model the compiler accepts, without events (a jump of ``x`` at an event would need
        the sensitivity jump conditions, which are not implemented).
    y0, p0 : array, optional
        Default state / runtime-parameter values (the original compiled model's ``y0``/``p0``,
        model units); defaults 0 / 1 only matter when the caller passes neither.

    Raises
    ------
    ModelError
        For models with events, or initial assignments that write runtime parameters.
    """
    if model.events:
        raise ModelError(
            "forward sensitivities: models with events are not supported", file=model.source_file
        )
    layout = build_layout(model)
    states, params = layout.state_ids, layout.param_ids
    ia_params = [v for v in layout.initial if v in params]
    if ia_params:
        raise ModelError(
            "forward sensitivities: initial assignments to parameters are not supported: "
            + ", ".join(ia_params),
            file=model.source_file,
        )
    deriv_of: dict[str, ex.Expr] = {s: ex.Sym(sens_id(s)) for s in states}
    deriv_of.update({p: ex.Sym(dir_id(p)) for p in params})

    assignments: list[Assignment] = []
    for name, e in layout.computed.items():
        assignments.append(Assignment(name, ex.to_text(e)))
        d = _directional(e, deriv_of)
        assignments.append(Assignment(dsym_id(name), ex.to_text(d)))
        deriv_of[name] = ex.Sym(dsym_id(name))

    rate_rules = [RateRule(s, ex.to_text(f)) for s, f in zip(states, layout.dydt, strict=True)]
    rate_rules += [
        RateRule(sens_id(s), ex.to_text(_directional(f, deriv_of)))
        for s, f in zip(states, layout.dydt, strict=True)
    ]

    # Initial assignments: x0 as in the original; s0 = d x0 / dp . v. Computed symbols used by
    # an initial assignment are inlined first (their derivative assignments need states that
    # are not initialised yet at that point).
    init_ia: list[InitialAssignment] = []
    for target, e in layout.initial.items():
        init_ia.append(InitialAssignment(target, ex.to_text(e)))
        inlined = e
        for _ in range(len(layout.computed) + 1):
            used = inlined.symbols() & layout.computed.keys()
            if not used:
                break
            inlined = ex.substitute(inlined, {c: layout.computed[c] for c in used})
        ia_deriv = {k: v for k, v in deriv_of.items() if k not in layout.computed}
        init_ia.append(
            InitialAssignment(sens_id(target), ex.to_text(_directional(inlined, ia_deriv)))
        )

    y0 = [0.0] * len(states) if y0 is None else [float(v) for v in y0]
    p0 = [1.0] * len(params) if p0 is None else [float(v) for v in p0]
    parameters = [Parameter(p, v) for p, v in zip(params, p0, strict=True)]
    parameters += [Parameter(dir_id(p), 0.0) for p in params]
    parameters += [Parameter(s, v, constant=False) for s, v in zip(states, y0, strict=True)]
    parameters += [Parameter(sens_id(s), 0.0, constant=False) for s in states]
    aug = Model(
        id=f"{model.id}__sens",
        time_unit=model.time_unit,
        parameters=tuple(parameters),
        assignments=tuple(assignments),
        rate_rules=tuple(rate_rules),
        initial_assignments=tuple(init_ia),
        source_file=model.source_file,
    )
    return SensitivityModel(aug, layout, states, params, layout.output_ids)

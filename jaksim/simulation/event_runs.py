"""Models with events in :func:`~jaksim.simulation.simulate` and ``simulate_ensemble``.

The solver kernels (Rodas ensemble, scipy backend) do not execute events, so a model with
events runs member by member through the SBML event driver
(:func:`jaksim.simulation.events.simulate_events`), protocol changes included. A member
whose integration fails gets NaN values and a non-zero status, as with the other solvers.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..spec.errors import SimulationError, did_you_mean
from .events import simulate_events
from .protocol import Protocol
from .results import STAT_NAMES, SimulationResult

__all__ = ["run_event_members"]

#: simulate's ``solver`` names -> the event driver's ``method``; None: Rodas for jit-compiled
#: models with states (and without algebraic rules or delays), else LSODA
_METHODS = {"rodas": None, "bdf": "BDF", "radau": "Radau", "lsoda": "LSODA"}


def _member_protocol(protocol: Protocol, i: int) -> Protocol:
    """Member ``i``'s protocol: per-member value arrays replaced by their ``i``-th value."""
    return Protocol(
        tuple(
            replace(c, value=float(np.asarray(c.value)[i])) if np.ndim(c.value) else c
            for c in protocol.changes
        )
    )


def run_event_members(
    compiled,
    t: np.ndarray,
    *,
    P: np.ndarray,
    Y0: np.ndarray,
    protocol: Protocol,
    sel_state: np.ndarray,
    sel_out: np.ndarray,
    preequilibrate: bool,
    solver: str,
    rtol: float,
    atol: float,
    max_steps: int,
) -> list[SimulationResult]:
    """One :class:`SimulationResult` per row of ``P`` / ``Y0`` (selected states and outputs).

    Integration starts at ``min(t[0], first change time)`` as in the other solvers.

    Raises
    ------
    ValueError
        ``preequilibrate=True`` (the steady state of a model whose events may fire is not
        defined here) or an unknown ``solver``.
    """
    m = compiled.model
    what = ", ".join(
        part
        for part in (
            f"events ({', '.join(e.id for e in m.events)})" if m.events else "",
            "algebraic rules" if m.algebraic_rules else "",
            "delay()" if m.delays else "",
        )
        if part
    )
    if preequilibrate:
        raise ValueError(
            f"model {m.id!r} has {what}: preequilibrate=True is not supported with them; "
            "simulate the pre-stimulus phase explicitly instead"
        )
    if solver not in _METHODS:
        raise ValueError(f"unknown solver {solver!r}{did_you_mean(solver, tuple(_METHODS))}")
    t_start = min([float(t[0]), *(c.time for c in protocol.changes)])
    t_run = t if t_start >= t[0] else np.concatenate([[t_start], t])
    skip = t_run.size - t.size  # the prepended start row is not reported
    results = []
    for i in range(P.shape[0]):
        try:
            run = simulate_events(
                compiled, t_run, y0=Y0[i], p=P[i], method=_METHODS[solver], rtol=rtol,
                atol=atol, max_steps=max_steps, protocol=_member_protocol(protocol, i),
            )  # fmt: skip
            states, outputs = run.states[skip:, sel_state], run.outputs[skip:, sel_out]
            params, status, message, stats = run.params[skip:], 0, "success", run.stats
        except SimulationError as err:
            states = np.full((t.size, sel_state.size), np.nan)
            outputs = np.full((t.size, sel_out.size), np.nan)
            params = np.full((t.size, P.shape[1]), np.nan)
            status, message, stats = -1, err.message, dict.fromkeys(STAT_NAMES, 0)
        results.append(
            SimulationResult(
                t=t,
                states=states,
                outputs=outputs,
                state_ids=tuple(compiled.state_ids[j] for j in sel_state),
                output_ids=tuple(compiled.output_ids[j] for j in sel_out),
                status=status,
                message=message,
                stats=stats,
                params=params,
                param_ids=tuple(compiled.param_ids),
            )
        )
    return results

"""Simulation API: protocols, single and ensemble simulations, steady states, results."""

from .protocol import Change, Protocol
from .results import EnsembleResult, SimulationResult, SteadyStateResult
from .simulate import simulate, simulate_ensemble, steady_state

__all__ = [
    "simulate",
    "simulate_ensemble",
    "steady_state",
    "Protocol",
    "Change",
    "SimulationResult",
    "EnsembleResult",
    "SteadyStateResult",
]

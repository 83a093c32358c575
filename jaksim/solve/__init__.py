"""Solver backends for compiled models.

``get_solver(name)`` returns a function ``solve(problem, *, rtol, atol, max_steps, n_threads)
-> Solution`` (see :mod:`jaksim.solve.problem`). Names: ``"rodas"`` (numba Rodas5, default,
parallel over members), ``"bdf"``, ``"radau"``, ``"lsoda"`` (scipy ``solve_ivp`` references).

numba's on-disk cache (``cache=True``) is keyed on each function's *own* source file; a stamp
over the whole package (:mod:`jaksim.solve._numba_cache`) drops the cached solver when any of
these modules changes, so an edit to ``linalg.py`` cannot leave stale compiled callers behind.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from ..spec.errors import did_you_mean
from ._numba_cache import invalidate_stale_cache

invalidate_stale_cache()

__all__ = ["SOLVERS", "get_solver"]

SOLVERS = ("rodas", "bdf", "radau", "lsoda")


def get_solver(name: str) -> Callable:
    """Return the backend called ``name`` (case-insensitive); ``ValueError`` if unknown."""
    key = name.lower()
    if key == "rodas":
        from .rodas_backend import solve_rodas

        return solve_rodas
    if key in ("bdf", "radau", "lsoda"):
        from .scipy_backend import solve_scipy

        return partial(solve_scipy, method={"bdf": "BDF", "radau": "Radau", "lsoda": "LSODA"}[key])
    raise ValueError(f"unknown solver {name!r}{did_you_mean(key, SOLVERS)}; choose from {SOLVERS}")

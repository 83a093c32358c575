"""Index-1 semi-explicit DAEs ``x' = f(x, z, t)``, ``0 = g(x, z, t)`` for the scipy path.

A compiled model with algebraic rules (``Layout.algebraic_states``) stores the algebraic
variables ``z`` as states whose right-hand side entry is the residual ``g``. ``solve_ivp`` has
no mass matrix, so the scipy path integrates the differential states ``x`` only and
eliminates ``z``: every right-hand side call solves ``g(x, z, t) = 0`` for ``z`` by Newton's
method (warm-started from the last solution; index 1 means ``dg/dz`` is nonsingular), and
the Jacobian is the Schur complement ``f_x - f_z g_z^{-1} g_x`` (implicit function theorem).
The same Newton solve gives consistent initial values at the start and after events.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from jaksim.spec.errors import SimulationError

__all__ = ["AlgebraicSolver"]

Rhs = Callable[[float, np.ndarray], np.ndarray]
Jac = Callable[[float, np.ndarray], np.ndarray]


class AlgebraicSolver:
    """Eliminates the algebraic states of ``M y' = f(t, y)`` (``M`` = diag of ``~alg``).

    Parameters
    ----------
    rhs, jac : callables
        ``rhs(t, y) -> (n,)`` (residuals at the algebraic indices), ``jac(t, y) -> (n, n)``.
    alg : (n,) bool array
        Which states are algebraic.
    template : (n,) array
        A full state vector: its algebraic entries are the first Newton guess (NaN -> 1).
    relax : callable, optional
        ``relax(t, y) -> (n_alg,)``: a flow of the algebraic states (``x`` fixed) whose stable
        steady state is the wanted root; :meth:`solve` with ``relax_first`` follows it
        before Newton's method.
    relaxed : (n,) bool array, optional
        The algebraic states ``relax`` moves; the others are solved by Newton first (their
        values may be unset, and the flow may depend on them).
    """

    def __init__(
        self,
        rhs: Rhs,
        jac: Jac,
        alg: np.ndarray,
        template: np.ndarray,
        relax: Rhs | None = None,
        relaxed: np.ndarray | None = None,
    ):
        self.rhs, self.jac, self.relax = rhs, jac, relax
        # full-state mask of the algebraic states the relaxation moves (the others: Newton)
        self.relaxed_mask = np.zeros(len(alg), bool) if relaxed is None else np.asarray(relaxed)
        self.alg = np.asarray(alg, dtype=bool)
        self.diff = ~self.alg
        self.n_diff = int(self.diff.sum())
        guess = np.asarray(template, dtype=float)[self.alg].copy()
        guess[~np.isfinite(guess)] = 1.0  # SBML may leave them unset: any start will do
        self.z = guess
        self.template = np.asarray(template, dtype=float).copy()

    def full(self, t: float, x: np.ndarray) -> np.ndarray:
        """The full state at ``(t, x)`` with ``z`` solving ``g = 0``."""
        y = self.template.copy()
        y[self.diff] = x[: self.n_diff]
        return self.solve(t, y)

    def relaxed(self, t: float, y: np.ndarray) -> np.ndarray:
        """``y`` after following ``relax`` (pseudo-transient) towards a stable root."""
        from scipy.integrate import solve_ivp

        y = np.array(y, dtype=float)
        start = np.where(np.isfinite(y[self.alg]), y[self.alg], 1.0)
        z = start.copy()
        work = y.copy()

        def flow(_s: float, zz: np.ndarray) -> np.ndarray:
            work[self.alg] = zz
            return self.relax(t, work)

        with np.errstate(all="ignore"):
            for horizon in (1e1, 1e3, 1e6):
                sol = solve_ivp(flow, (0.0, horizon), z, method="BDF", rtol=1e-8, atol=1e-12)
                if sol.status != 0 or not np.all(np.isfinite(sol.y[:, -1])):
                    break  # the flow diverges: keep the last finite point
                z = sol.y[:, -1]
                small = 1e-9 * (1.0 + np.max(np.abs(z), initial=0.0))
                if np.max(np.abs(flow(0.0, z)), initial=0.0) <= small:
                    break
        y[self.alg] = z
        self.z = z.copy()
        return y

    def solve(
        self, t: float, y: np.ndarray, *, tol: float = 1e-13, relax_first: bool = False
    ) -> np.ndarray:
        """``y`` with its algebraic entries replaced by the root of ``g`` (Newton, damped).

        Raises
        ------
        SimulationError
            When Newton does not converge (no consistent value, or a singular ``dg/dz``:
            the DAE is not index 1 there).
        """
        y = np.array(y, dtype=float)
        if relax_first and self.relax is not None:
            pre = self.alg & ~self.relaxed_mask
            if pre.any():
                start = np.where(np.isfinite(y[pre]), y[pre], 1.0)
                ok, z_pre = self._newton(t, y.copy(), start, tol, pre)
                if ok:
                    y[pre] = z_pre
            y = self.relaxed(t, y)
        z = self.z.copy()
        for guess in (z, np.where(np.isfinite(y[self.alg]), y[self.alg], 1.0), np.ones_like(z)):
            ok, z_new = self._newton(t, y, guess.copy(), tol)
            if ok:
                self.z = z_new
                y[self.alg] = z_new
                return y
        raise SimulationError(
            f"algebraic rules: no consistent value of the algebraic variables at t={t:g} "
            "(Newton failed; the DAE may not be index 1 there)"
        )

    def _newton(self, t: float, y: np.ndarray, z: np.ndarray, tol: float, alg=None):
        alg = self.alg if alg is None else alg
        y[alg] = z
        g = self.rhs(t, y)[alg]
        norm = float(np.max(np.abs(g))) if g.size else 0.0
        for _ in range(100):
            if not np.isfinite(norm):
                return False, z
            scale = 1.0 + np.max(np.abs(z)) if z.size else 1.0
            if norm <= tol * scale:
                return True, z
            jz = self.jac(t, y)[np.ix_(alg, alg)]
            try:
                dz = np.linalg.solve(jz, -g)
            except np.linalg.LinAlgError:
                dz = np.linalg.lstsq(jz, -g, rcond=None)[0]
            if not np.all(np.isfinite(dz)):
                return False, z
            if np.max(np.abs(dz)) <= 1e-12 * scale:
                # increment test (as DAE codes do): a residual of large scale, e.g.
                # 1e6 * (z - x), cannot reach an absolute tolerance in floating point
                y[alg] = z + dz
                return True, z + dz
            step = 1.0
            while True:  # backtracking: accept the first step that reduces |g|
                y[alg] = z + step * dz
                g_new = self.rhs(t, y)[alg]
                n_new = float(np.max(np.abs(g_new)))
                if n_new < norm or step < 1e-6:
                    break
                step *= 0.5
            z = z + step * dz
            if np.max(np.abs(step * dz)) <= 1e-15 * scale and n_new >= norm:
                return n_new <= 1e-8 * scale, z  # stagnated: accept a small residual
            g, norm = g_new, n_new
        return norm <= 1e-8 * (1.0 + np.max(np.abs(z))), z

    def reduced_rhs(self, t: float, x: np.ndarray) -> np.ndarray:
        """``x'`` with ``z`` eliminated."""
        return self.rhs(t, self.full(t, x))[self.diff]

    def reduced_jac(self, t: float, x: np.ndarray) -> np.ndarray:
        """``d x'/dx = f_x - f_z g_z^{-1} g_x`` at the consistent state."""
        y = self.full(t, x)
        j = self.jac(t, y)
        d, a = self.diff, self.alg
        fx, fz, gx, gz = j[np.ix_(d, d)], j[np.ix_(d, a)], j[np.ix_(a, d)], j[np.ix_(a, a)]
        try:
            return fx - fz @ np.linalg.solve(gz, gx)
        except np.linalg.LinAlgError:
            return fx - fz @ np.linalg.lstsq(gz, gx, rcond=None)[0]

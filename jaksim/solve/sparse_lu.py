"""Sparse LU of the Rosenbrock matrix ``W = I/(h gamma) - J`` on a pattern fixed per model.

The Jacobian's structural pattern is known when the model is compiled
(``CompiledModel.jac_sparsity``; signalling networks have a few % nonzeros), so the symbolic
work is done once, in Python, by :func:`sparse_lu_plan`: a minimum-degree ordering of the
symmetrised pattern, then the fill-in of ``L`` and ``U`` under *static* diagonal pivoting.
The per-step numeric factorisation (:func:`sparse_lu_factor`) and the triangular solves
(:func:`sparse_lu_solve`) only loop over the precomputed index arrays: no pivot search and no
``O(n^2)`` scans. Static pivoting is safe for ``W`` while the ``I/(h gamma)`` term dominates;
when a pivot comes out tiny or non-finite the factorisation reports failure and the caller
falls back to the dense partial-pivoting LU of :mod:`jaksim.solve.linalg` for that step.

The plan is one flat int64 array (runtime data, so the compiled solver is shared by every
model); an empty plan means "dense only". Layout, with ``P`` the permutation (new row ``i`` is
original row ``perm[i]``) and the factors stored row-wise (CSR) in one value array::

    [n, nnz, perm (n), row_ptr (n + 1), diag (n), col (nnz), src (nnz)]

``col`` are permuted column indices sorted within each row, ``diag[i]`` is the position of
the pivot of row ``i`` and ``src[q]`` is the flat index ``r * n + c`` of the original ``J``
entry that lands at position ``q`` (``-1`` for fill-in). The values hold ``L`` (unit
diagonal not stored), the reciprocal pivots ``1/u_ii`` and ``U``'s off-diagonal rows
pre-divided by their pivot: the solves are chains of dependent operations, and a multiply has
a fraction of a division's latency (measured: 0.40 -> 0.30 us per solve at n = 37).
Row-wise loops that accumulate in a register beat one flat loop over all entries (0.43 us:
that one stores and reloads ``x`` between dependent entries).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit

#: A pivot smaller than this times the largest entry of its row of ``W`` is rejected.
PIVOT_TOL = 1e-8
#: Below this size the dense LU is faster (one LU + 8 solves, random patterns with ~3 nonzeros
#: per row: n = 4: dense 0.56 us, sparse 0.64 us; n = 8: 0.99 / 0.95; n = 37: 8.1 / 4.6).
DENSE_BELOW = 8


def sparse_lu_plan(sparsity: np.ndarray | None, min_size: int = DENSE_BELOW) -> np.ndarray:
    """Symbolic factorisation plan for ``W`` given the Jacobian's structural pattern.

    Parameters
    ----------
    sparsity : (n, n) bool array or None
        ``True`` where ``J`` may be nonzero. ``None`` or an empty array gives the empty plan
        (dense factorisation).
    min_size : int
        Systems with ``n < min_size`` also get the empty plan (see :data:`DENSE_BELOW`).

    Returns
    -------
    plan : int64 array
        See the module docstring for the layout.
    """
    if sparsity is None:
        return np.zeros(0, dtype=np.int64)
    s = np.asarray(sparsity, dtype=bool)
    if s.ndim != 2 or s.shape[0] != s.shape[1]:
        raise ValueError(f"jac_sparsity must be square, got shape {s.shape}")
    if s.shape[0] == 0 or s.shape[0] < min_size:
        return np.zeros(0, dtype=np.int64)
    return _plan_cached(s.shape[0], np.packbits(s).tobytes()).copy()


@lru_cache(maxsize=64)
def _plan_cached(n: int, packed: bytes) -> np.ndarray:
    s = np.unpackbits(np.frombuffer(packed, dtype=np.uint8), count=n * n).reshape(n, n)
    pattern = s.astype(bool) | np.eye(n, dtype=bool)
    perm = _minimum_degree(pattern | pattern.T)
    filled = _symbolic_fill(pattern[np.ix_(perm, perm)])
    rows, cols = np.nonzero(filled)  # row-major order: columns sorted within each row
    nnz = rows.size
    row_ptr = np.searchsorted(rows, np.arange(n + 1))
    diag = row_ptr[:-1] + np.array([np.searchsorted(cols[row_ptr[i] : row_ptr[i + 1]], i)
                                    for i in range(n)], dtype=np.int64)  # fmt: skip
    orig_r, orig_c = perm[rows], perm[cols]
    src = np.where(s[orig_r, orig_c].astype(bool), orig_r * n + orig_c, -1)
    parts = ([n, nnz], perm, row_ptr, diag, cols, src)
    return np.concatenate([np.asarray(a, dtype=np.int64) for a in parts])


def _minimum_degree(sym: np.ndarray) -> np.ndarray:
    """Greedy minimum-degree elimination order of a symmetric boolean pattern (ties: index)."""
    n = sym.shape[0]
    adj = sym.copy()
    np.fill_diagonal(adj, False)
    alive = np.ones(n, dtype=bool)
    order = np.empty(n, dtype=np.int64)
    for k in range(n):
        deg = np.where(alive, adj.sum(axis=1), n + 1)
        v = int(np.argmin(deg))
        order[k] = v
        nb = np.flatnonzero(adj[v] & alive)
        adj[np.ix_(nb, nb)] = True  # eliminating v makes its neighbours a clique
        adj[nb, nb] = False
        alive[v] = False
        adj[v, :] = False
        adj[:, v] = False
    return order


def _symbolic_fill(a: np.ndarray) -> np.ndarray:
    """Pattern of ``L + U`` for Gaussian elimination without pivoting on pattern ``a``."""
    f = a.copy()
    n = f.shape[0]
    for k in range(n):
        below = np.flatnonzero(f[k + 1 :, k]) + k + 1
        if below.size:
            f[np.ix_(below, np.arange(k + 1, n))] |= f[k, k + 1 :]
    return f


@njit(cache=True)
def _views(plan):
    n = plan[0]
    nnz = plan[1]
    o = 2
    perm = plan[o : o + n]
    o += n
    row_ptr = plan[o : o + n + 1]
    o += n + 1
    diag = plan[o : o + n]
    o += n
    col = plan[o : o + nnz]
    o += nnz
    src = plan[o : o + nnz]
    return perm, row_ptr, diag, col, src


@njit(cache=True)
def sparse_lu_factor(plan, J, inv_hg, lu, x):
    """Factor ``P (inv_hg I - J) P^T = L U`` into ``lu`` (nnz,) on the plan's pattern.

    ``J`` (n, n) is the dense Jacobian; ``x`` (n,) is scratch; storage as in the module
    docstring. Returns False when a pivot is non-finite or smaller than :data:`PIVOT_TOL`
    times the largest entry of its row (the caller then factors densely).
    """
    perm, row_ptr, diag, col, src = _views(plan)
    n = perm.size
    jf = J.reshape(n * n)
    for i in range(n):
        a = row_ptr[i]
        b = row_ptr[i + 1]
        rmax = inv_hg
        for q in range(a, b):
            sq = src[q]
            v = -jf[sq] if sq >= 0 else 0.0
            x[col[q]] = v
            rmax = max(rmax, abs(v))
        x[i] += inv_hg
        # Up-looking elimination: row i minus multiples of the finished rows k < i.
        # (U's rows are stored divided by their pivot: l_ik = x_k / u_kk, l_ik u_kj = x_k u'_kj.)
        d = diag[i]
        for q in range(a, d):
            k = col[q]
            xk = x[k]
            lu[q] = xk * lu[diag[k]]
            if xk != 0.0:
                for r in range(diag[k] + 1, row_ptr[k + 1]):
                    x[col[r]] -= xk * lu[r]
        piv = x[i]
        if not np.isfinite(piv) or abs(piv) <= PIVOT_TOL * rmax or not np.isfinite(rmax):
            return False
        dinv = 1.0 / piv
        lu[d] = dinv
        for q in range(d + 1, b):
            lu[q] = x[col[q]] * dinv
    return True


@njit(cache=True)
def sparse_lu_solve(plan, lu, x, b):
    """Solve ``W z = b`` in place in ``b`` with the factors from :func:`sparse_lu_factor`."""
    perm, row_ptr, diag, col, _ = _views(plan)
    n = perm.size
    for i in range(n):
        s = b[perm[i]]
        for q in range(row_ptr[i], diag[i]):
            s -= lu[q] * x[col[q]]
        x[i] = s
    for i in range(n - 1, -1, -1):
        d = diag[i]
        s = x[i] * lu[d]
        for q in range(d + 1, row_ptr[i + 1]):
            s -= lu[q] * x[col[q]]
        x[i] = s
    for i in range(n):
        b[perm[i]] = x[i]

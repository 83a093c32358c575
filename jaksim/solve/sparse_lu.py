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
the pivot of row ``i``, and ``src[q]`` is the flat index ``r * n + c`` of the original
``J`` entry that lands at position ``q`` (``-1`` for fill-in).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit

#: A pivot smaller than this times the largest entry of its row of ``W`` is rejected.
PIVOT_TOL = 1e-8


def sparse_lu_plan(sparsity: np.ndarray | None) -> np.ndarray:
    """Symbolic factorisation plan for ``W`` given the Jacobian's structural pattern.

    Parameters
    ----------
    sparsity : (n, n) bool array or None
        ``True`` where ``J`` may be nonzero. ``None`` or an empty array gives the empty plan
        (dense factorisation).

    Returns
    -------
    plan : int64 array
        See the module docstring for the layout.
    """
    if sparsity is None:
        return np.zeros(0, dtype=np.int64)
    s = np.asarray(sparsity, dtype=bool)
    if s.size == 0:
        return np.zeros(0, dtype=np.int64)
    if s.ndim != 2 or s.shape[0] != s.shape[1]:
        raise ValueError(f"jac_sparsity must be square, got shape {s.shape}")
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

    ``J`` (n, n) is the dense Jacobian; ``x`` (n,) is scratch. ``L`` is unit lower (its
    diagonal is not stored). Returns False when a pivot is non-finite or smaller than
    :data:`PIVOT_TOL` times the largest entry of its row (the caller then factors densely).
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
        for q in range(a, diag[i]):
            k = col[q]
            f = x[k] / lu[diag[k]]
            x[k] = f
            if f != 0.0:
                for r in range(diag[k] + 1, row_ptr[k + 1]):
                    x[col[r]] -= f * lu[r]
        for q in range(a, b):
            lu[q] = x[col[q]]
        piv = lu[diag[i]]
        if not np.isfinite(piv) or abs(piv) <= PIVOT_TOL * rmax or not np.isfinite(rmax):
            return False
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
        s = x[i]
        for q in range(diag[i] + 1, row_ptr[i + 1]):
            s -= lu[q] * x[col[q]]
        x[i] = s / lu[diag[i]]
    for i in range(n):
        b[perm[i]] = x[i]

"""Dense LU factorisation with partial pivoting, in numba (one factorisation per Rosenbrock step).

Written out rather than calling LAPACK so that it runs inside ``prange`` loops without the
GIL or per-call overhead, and so that exact zeros (most of a reaction network's Jacobian) are
skipped cheaply.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def lu_factor(a: np.ndarray, piv: np.ndarray) -> int:
    """Factor ``a`` (n x n) in place into unit-lower ``L`` and upper ``U`` with row pivoting.

    Returns 0 on success, or ``k + 1`` when column ``k`` has no non-zero pivot (singular).
    ``piv[k]`` is the row swapped with row ``k`` at elimination step ``k``.
    """
    n = a.shape[0]
    for k in range(n):
        p = k
        amax = abs(a[k, k])
        for i in range(k + 1, n):
            v = abs(a[i, k])
            if v > amax:
                amax = v
                p = i
        piv[k] = p
        if amax == 0.0 or not np.isfinite(amax):
            return k + 1
        if p != k:
            for j in range(n):
                tmp = a[k, j]
                a[k, j] = a[p, j]
                a[p, j] = tmp
        inv = 1.0 / a[k, k]
        for i in range(k + 1, n):
            f = a[i, k]
            if f != 0.0:
                f *= inv
                a[i, k] = f
                for j in range(k + 1, n):
                    a[i, j] -= f * a[k, j]
    return 0


@njit(cache=True)
def lu_solve(a: np.ndarray, piv: np.ndarray, b: np.ndarray) -> None:
    """Solve ``A x = b`` in place in ``b`` using the factors from :func:`lu_factor`."""
    n = a.shape[0]
    for k in range(n):
        p = piv[k]
        if p != k:
            tmp = b[k]
            b[k] = b[p]
            b[p] = tmp
    for i in range(n):
        s = b[i]
        for j in range(i):
            s -= a[i, j] * b[j]
        b[i] = s
    for i in range(n - 1, -1, -1):
        s = b[i]
        for j in range(i + 1, n):
            s -= a[i, j] * b[j]
        b[i] = s / a[i, i]

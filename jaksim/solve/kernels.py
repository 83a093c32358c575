"""Kernel signatures shared by the compiler and the solvers, and no-op kernels.

Model kernels are numba ``cfunc`` objects; solvers receive them as
``numba.types.FunctionType`` arguments, so each solver is compiled once (``cache=True``) and
reused for every model. Arrays passed to kernels must be C-contiguous float64.
"""

from __future__ import annotations

from numba import cfunc, njit, types

_f8p = types.CPointer(types.float64)

#: ``void(t, y*, p*, out*)``: rhs, jac (row-major n*n), outputs, event triggers.
KERNEL_SIG = types.void(types.float64, _f8p, _f8p, _f8p)
#: ``void(p*, y0_in*, y0_out*)``: initial assignments.
INIT_SIG = types.void(_f8p, _f8p, _f8p)


@cfunc(KERNEL_SIG, cache=True)
def null_kernel(t, y, p, out):  # pragma: no cover - compiled
    """Placeholder for an absent outputs/triggers kernel (never called: counts are 0)."""
    return


@cfunc(INIT_SIG, cache=True)
def null_init(p, y_in, y_out):  # pragma: no cover - compiled
    """Placeholder for an absent init kernel (never called: ``use_init`` is False)."""
    return


@njit(cache=True)
def call_kernel(f, t, y, p, out):  # pragma: no cover - compiled
    """Call a ``KERNEL_SIG`` kernel on numpy arrays from Python (one compiled wrapper for all)."""
    f(t, y.ctypes, p.ctypes, out.ctypes)


@njit(cache=True)
def call_init(f, p, y_in, y_out):  # pragma: no cover - compiled
    """Call an ``INIT_SIG`` kernel on numpy arrays from Python."""
    f(p.ctypes, y_in.ctypes, y_out.ctypes)

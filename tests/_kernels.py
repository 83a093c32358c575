"""Hand-written model kernels with the CompiledModel signatures, for solver tests.

A real module (not exec'd source) so numba can cache the cfuncs. Each ``make_*`` returns a
:class:`HandModel` carrying the same fields as ``jaksim.compile.CompiledModel``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import cfunc

from jaksim.solve.kernels import INIT_SIG, KERNEL_SIG, null_init, null_kernel


@dataclass(frozen=True)
class HandModel:
    state_ids: tuple
    param_ids: tuple
    y0: np.ndarray
    p0: np.ndarray
    rhs: object
    jac: object
    outputs: object = null_kernel
    output_ids: tuple = ()
    init: object = null_init
    conservation: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    model: object = None
    structure_hash: str = "hand"
    inputs: tuple = ()


# --- first-order decay: y' = -k y ----------------------------------------------------------
@cfunc(KERNEL_SIG, cache=True)
def decay_rhs(t, y, p, dy):
    dy[0] = -p[0] * y[0]


@cfunc(KERNEL_SIG, cache=True)
def decay_jac(t, y, p, J):
    J[0] = -p[0]


# --- A -> B -> C (k1, k2), output total = A + B + C ------------------------------------------
@cfunc(KERNEL_SIG, cache=True)
def abc_rhs(t, y, p, dy):
    r1 = p[0] * y[0]
    r2 = p[1] * y[1]
    dy[0] = -r1
    dy[1] = r1 - r2
    dy[2] = r2


@cfunc(KERNEL_SIG, cache=True)
def abc_jac(t, y, p, J):
    for i in range(9):
        J[i] = 0.0
    J[0] = -p[0]
    J[3] = p[0]
    J[4] = -p[1]
    J[7] = p[1]


@cfunc(KERNEL_SIG, cache=True)
def abc_out(t, y, p, out):
    out[0] = y[0] + y[1] + y[2]


# --- A + B <-> C (kf, kr) ----------------------------------------------------------------------
@cfunc(KERNEL_SIG, cache=True)
def bind_rhs(t, y, p, dy):
    v = p[0] * y[0] * y[1] - p[1] * y[2]
    dy[0] = -v
    dy[1] = -v
    dy[2] = v


@cfunc(KERNEL_SIG, cache=True)
def bind_jac(t, y, p, J):
    a = p[0] * y[1]
    b = p[0] * y[0]
    c = -p[1]
    # row-major: dv/dy = (a, b, c)
    J[0], J[1], J[2] = -a, -b, -c
    J[3], J[4], J[5] = -a, -b, -c
    J[6], J[7], J[8] = a, b, c


# --- E + S <-> ES -> E + P (k1, km1, k2), states E, S, ES, P --------------------------------
@cfunc(KERNEL_SIG, cache=True)
def mm_rhs(t, y, p, dy):
    v1 = p[0] * y[0] * y[1] - p[1] * y[2]
    v2 = p[2] * y[2]
    dy[0] = -v1 + v2
    dy[1] = -v1
    dy[2] = v1 - v2
    dy[3] = v2


@cfunc(KERNEL_SIG, cache=True)
def mm_jac(t, y, p, J):
    a = p[0] * y[1]  # dv1/dE
    b = p[0] * y[0]  # dv1/dS
    c = -p[1]  # dv1/dES
    k2 = p[2]
    J[0], J[1], J[2], J[3] = -a, -b, -c + k2, 0.0
    J[4], J[5], J[6], J[7] = -a, -b, -c, 0.0
    J[8], J[9], J[10], J[11] = a, b, c - k2, 0.0
    J[12], J[13], J[14], J[15] = 0.0, 0.0, k2, 0.0


# --- Robertson (k1, k2, k3) --------------------------------------------------------------------
@cfunc(KERNEL_SIG, cache=True)
def rober_rhs(t, y, p, dy):
    dy[0] = -p[0] * y[0] + p[2] * y[1] * y[2]
    dy[1] = p[0] * y[0] - p[2] * y[1] * y[2] - p[1] * y[1] * y[1]
    dy[2] = p[1] * y[1] * y[1]


@cfunc(KERNEL_SIG, cache=True)
def rober_jac(t, y, p, J):
    J[0], J[1], J[2] = -p[0], p[2] * y[2], p[2] * y[1]
    J[3], J[4], J[5] = p[0], -p[2] * y[2] - 2 * p[1] * y[1], -p[2] * y[1]
    J[6], J[7], J[8] = 0.0, 2 * p[1] * y[1], 0.0


# --- blow-up y' = a y^2 -------------------------------------------------------------------------
@cfunc(KERNEL_SIG, cache=True)
def blow_rhs(t, y, p, dy):
    dy[0] = p[0] * y[0] * y[0] - p[1] * y[0]


@cfunc(KERNEL_SIG, cache=True)
def blow_jac(t, y, p, J):
    J[0] = 2 * p[0] * y[0] - p[1]


# --- constant production y' = k (no steady state) ------------------------------------------
@cfunc(KERNEL_SIG, cache=True)
def prod_rhs(t, y, p, dy):
    dy[0] = p[0]


@cfunc(KERNEL_SIG, cache=True)
def prod_jac(t, y, p, J):
    J[0] = 0.0


# --- input-driven: x' = ks*u - kd*x (u a parameter switched by the protocol) -----------------
@cfunc(KERNEL_SIG, cache=True)
def input_rhs(t, y, p, dy):
    dy[0] = p[0] * p[2] - p[1] * y[0]


@cfunc(KERNEL_SIG, cache=True)
def input_jac(t, y, p, J):
    J[0] = -p[1]


# --- non-autonomous: x' = cos(w t) - x ----------------------------------------------------------
@cfunc(KERNEL_SIG, cache=True)
def forced_rhs(t, y, p, dy):
    dy[0] = math.cos(p[0] * t) - y[0]


@cfunc(KERNEL_SIG, cache=True)
def forced_jac(t, y, p, J):
    J[0] = -1.0


# --- initial assignment: B(0) = 2 * A(0) ------------------------------------------------------
@cfunc(INIT_SIG, cache=True)
def abc_init(p, y_in, y_out):
    y_out[0] = y_in[0]
    y_out[1] = 2.0 * y_in[0]
    y_out[2] = y_in[2]


# --- trigger: g0 = (y0 < 0.5) --------------------------------------------------------------
@cfunc(KERNEL_SIG, cache=True)
def decay_trigger(t, y, p, g):
    g[0] = 1.0 if y[0] < 0.5 else 0.0
    g[1] = 1.0 if t > 100.0 else 0.0


def _m(states, params, y0, p0, rhs, jac, **kw) -> HandModel:
    return HandModel(
        tuple(states), tuple(params), np.array(y0, float), np.array(p0, float), rhs, jac, **kw
    )


def make_decay(k=0.5, y0=2.0):
    return _m(["x"], ["k"], [y0], [k], decay_rhs, decay_jac)


def make_abc(k1=1.0, k2=0.3, A0=1.0, init=False):
    kw = {"init": abc_init} if init else {}
    return _m(["A", "B", "C"], ["k1", "k2"], [A0, 0.0, 0.0], [k1, k2], abc_rhs, abc_jac,
              outputs=abc_out, output_ids=("total",),
              conservation=np.array([[1.0, 1.0, 1.0]]), **kw)  # fmt: skip


def make_binding(kf=0.1, kr=0.05, A0=10.0, B0=4.0, C0=0.0):
    return _m(["A", "B", "C"], ["kf", "kr"], [A0, B0, C0], [kf, kr], bind_rhs, bind_jac,
              conservation=np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]))  # fmt: skip


def make_mm(k1=1.0, km1=1.0, k2=0.5, E0=0.01, S0=10.0):
    return _m(["E", "S", "ES", "P"], ["k1", "km1", "k2"], [E0, S0, 0.0, 0.0], [k1, km1, k2],
              mm_rhs, mm_jac,
              conservation=np.array([[1.0, 0, 1.0, 0], [0, 1.0, 1.0, 1.0]]))  # fmt: skip


def make_robertson():
    return _m(["y1", "y2", "y3"], ["k1", "k2", "k3"], [1.0, 0.0, 0.0], [0.04, 3e7, 1e4],
              rober_rhs, rober_jac, conservation=np.array([[1.0, 1.0, 1.0]]))  # fmt: skip


def make_blowup(a=1.0, d=0.0, y0=1.0):
    return _m(["x"], ["a", "d"], [y0], [a, d], blow_rhs, blow_jac)


def make_production(k=1.0):
    return _m(["x"], ["k"], [0.0], [k], prod_rhs, prod_jac)


def make_input(ks=2.0, kd=0.5):
    return _m(["x"], ["ks", "kd", "u"], [0.0], [ks, kd, 0.0], input_rhs, input_jac)


def make_forced(w=1.0):
    return _m(["x"], ["w"], [0.0], [w], forced_rhs, forced_jac)

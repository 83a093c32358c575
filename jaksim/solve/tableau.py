"""Coefficients of the Rodas5 Rosenbrock method (order 5(4), L-stable, stiffly accurate).

Source: G. Di Marzo (1993), *Rodas5(4) - Méthodes de Rosenbrock d'ordre 5(4) adaptées aux problèmes
différentiels-algébriques*, MSc thesis, Université de Genève; coefficients in the
"a / C / gamma / d" form of Hairer & Wanner, *Solving ODEs II* (2nd ed., 1996), Sec. IV.7,
eq. (7.25)-(7.26), as tabulated (with the dense-output matrix ``H``) in OrdinaryDiffEq.jl's
``Rodas5Tableau``. The order conditions are re-checked in ``tests/test_solvers.py``.

With ``W = I/(h*gamma) - J`` every stage solves

    W k_s = f(t + c_s h, y0 + sum_j A[s, j] k_j) + sum_j (C[s, j] / h) k_j + h d_s df/dt

The method is stiffly accurate: stage 7 starts from ``U_6 + k_6`` and stage 8 from ``U_7 + k_7``,
the solution is ``y1 = U_8 + k_8``, and ``k_8`` is the local error estimate (difference to the
embedded order-4 solution ``U_8``). Dense output on the step, for ``theta`` in [0, 1]:

    y(theta) = (1 - theta) y0 + theta (y1 + (1 - theta)(q1 + theta (q2 + theta q3))),
    q_r = sum_s H[r, s] k_s.
"""

from __future__ import annotations

import numpy as np

GAMMA = 0.19
N_STAGES = 8
ERR_EXPONENT = 1.0 / 5.0  # 1 / (embedded order + 1)

_a6 = [-14.09640773051259, 6.925207756232704, -41.47510893210728, 2.343771018586405,
       24.13215229196062]  # fmt: skip

# A[s, j]: stage s starts from y0 + sum_j A[s, j] k_j (rows 6 and 7 encode U_6 + k_6, U_7 + k_7).
A = np.array(
    [
        [0, 0, 0, 0, 0, 0, 0, 0],
        [2.0, 0, 0, 0, 0, 0, 0, 0],
        [3.040894194418781, 1.041747909077569, 0, 0, 0, 0, 0, 0],
        [2.576417536461461, 1.622083060776640, -0.9089668560264532, 0, 0, 0, 0, 0],
        [2.760842080225597, 1.446624659844071, -0.3036980084553738, 0.2877498600325443,
         0, 0, 0, 0],
        [*_a6, 0, 0, 0],
        [*_a6, 1.0, 0, 0],
        [*_a6, 1.0, 1.0, 0],
    ]
)  # fmt: skip

# B: y1 = y0 + sum_s B[s] k_s  (= U_8 + k_8).
B = np.array([*_a6, 1.0, 1.0, 1.0])

C = np.array(
    [
        [0, 0, 0, 0, 0, 0, 0, 0],
        [-10.31323885133993, 0, 0, 0, 0, 0, 0, 0],
        [-21.04823117650003, -7.234992135176716, 0, 0, 0, 0, 0, 0],
        [32.22751541853323, -4.943732386540191, 19.44922031041879, 0, 0, 0, 0, 0],
        [-20.69865579590063, -8.816374604402768, 1.260436877740897, -0.7495647613787146,
         0, 0, 0, 0],
        [-46.22004352711257, -17.49534862857472, -289.6389582892057, 93.60855400400906,
         318.3822534212147, 0, 0, 0],
        [34.20013733472935, -14.15535402717690, 57.82335640988400, 25.83362985412365,
         1.408950972071624, -6.551835421242162, 0, 0],
        [42.57076742291101, -13.80770672017997, 93.98938432427124, 18.77919633714503,
         -31.58359187223370, -6.685968952921985, -5.810979938412932, 0],
    ]
)  # fmt: skip

# Stage times c_s (fractions of h) and time-derivative weights d_s.
CT = np.array([0.0, 0.38, 0.3878509998321533, 0.4839718937873840, 0.4570477008819580,
               1.0, 1.0, 1.0])  # fmt: skip
D = np.array([GAMMA, -0.1823079225333714636, -0.319231832186874912, 0.3449828624725343,
              -0.377417564392089818, 0.0, 0.0, 0.0])  # fmt: skip

# Dense output matrix H[r, s] (3 x 8).
H = np.array(
    [
        [27.354592673333357, -6.925207756232857, 26.40037733258859, 0.5635230501052979,
         -4.699151156849391, -1.6008677469422725, -1.5306074446748028, -1.3929872940716344],
        [44.19024239501722, 1.3677947663381929e-13, 202.93261852171622, -35.5669339789154,
         -181.91095152160645, 3.4116351403665033, 2.5793540257308067, 2.2435122582734066],
        [-44.0988150021747, -5.755396159656812e-13, -181.26175034586677, 56.99302194811676,
         183.21182741427398, -7.480257918273637, -5.792426076169686, -5.32503859794143],
    ]
)  # fmt: skip

"""Moiety conservation laws: the left null space of the stoichiometry matrix, in integers.

Reactions change species *amounts*: ``d n_i/dt = sum_r N_ir * cf_i * v_r`` with ``N`` the
stoichiometry, ``cf_i`` the species' conversion factor (1 without one) and ``v_r`` the extent
rate. A row ``c`` with ``sum_i c_i cf_i N_ir = 0`` for every reaction conserves the total
amount ``sum_i c_i n_i``. States store concentrations ``y_i = n_i / V_i`` (``V_i`` the size of
the species' compartment) unless the species is an amount species, so the law in state space
is ``L_i = c_i V_i``: ``L @ y`` is constant in time. Rate-rule states are never part of a law.

``c`` is found exactly by fraction-free Gauss-Jordan elimination over :class:`fractions.Fraction`
(stoichiometries are small rationals), then each row is scaled to coprime integers. Species
are eliminated from the end of the list first, which for the usual "free forms first,
complexes later" ordering yields nonnegative laws such as ``R + LR`` rather than ``R - L``.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd, lcm
from typing import TYPE_CHECKING

import numpy as np

from jaksim.spec.model import Model

if TYPE_CHECKING:
    from jaksim.compile.compiled import CompiledModel

__all__ = ["integer_left_null_space", "conservation_matrix", "conservation_laws"]


_BASIS_MEMO: dict[tuple[tuple[int, ...], bytes], np.ndarray] = {}


def _frac(x: float) -> Fraction:
    return Fraction(x).limit_denominator(1_000_000)


def integer_left_null_space(matrix: np.ndarray) -> np.ndarray:
    """Integer basis ``C`` (rows) of ``{c : c @ matrix = 0}``.

    Parameters
    ----------
    matrix : ndarray, shape (n, m)
        Rational-valued (floats are rationalised with denominators up to 1e6).

    Returns
    -------
    ndarray of int64, shape (n_laws, n)
        Rows with coprime integer entries, ordered by the first species they involve; a row
        whose nonzero entries are all negative is negated.
    """
    n, m = matrix.shape
    order = list(range(n - 1, -1, -1))  # eliminate the last species first (see module doc)
    rows = [[_frac(matrix[i, r]) for i in order] for r in range(m)]  # A = matrix.T, permuted
    pivots: list[int] = []
    row = 0
    for col in range(n):
        pivot = next((k for k in range(row, m) if rows[k][col] != 0), None)
        if pivot is None:
            continue
        rows[row], rows[pivot] = rows[pivot], rows[row]
        head = rows[row][col]
        rows[row] = [v / head for v in rows[row]]
        for k in range(m):
            if k != row and rows[k][col] != 0:
                f = rows[k][col]
                rows[k] = [a - f * b for a, b in zip(rows[k], rows[row], strict=True)]
        pivots.append(col)
        row += 1
        if row == m:
            break
    free = [c for c in range(n) if c not in pivots]
    basis = []
    for fcol in free:
        vec = [Fraction(0)] * n
        vec[fcol] = Fraction(1)
        for k, pcol in enumerate(pivots):
            vec[pcol] = -rows[k][fcol]
        scale = lcm(*(v.denominator for v in vec))
        ints = [int(v * scale) for v in vec]
        g = gcd(*ints)
        ints = [v // g for v in ints]
        if all(v <= 0 for v in ints):
            ints = [-v for v in ints]
        out = [0] * n
        for pos, i in enumerate(order):
            out[i] = ints[pos]
        basis.append(out)
    basis.sort(key=lambda v: [i for i, x in enumerate(v) if x])  # by first species involved
    return np.array(basis, dtype=np.int64).reshape(len(basis), n)


def conservation_matrix(compiled: CompiledModel) -> tuple[np.ndarray, np.ndarray]:
    """Integer amount-sense laws ``C`` and the state-space matrix ``L`` (``L @ y`` constant).

    Returns
    -------
    C : ndarray of int64, shape (n_laws, n_state)
    L : ndarray of float, shape (n_laws, n_state)
        ``L[k, i] = C[k, i] * V_i`` with ``V_i`` the compartment size in ``compiled.p0`` for
        concentration states, 1 for amount states (states in variable compartments never
        take part in a law).
    """
    layout = compiled.layout
    n = len(compiled.state_ids)
    pidx = {pid: k for k, pid in enumerate(compiled.param_ids)}
    n_cols = len(layout.reaction_ids) + len(layout.rate_rule_states | layout.diluted_states)
    stoich = np.zeros((n, n_cols))
    for i, r, coef in layout.stoich_amount:
        cf = layout.conversion.get(i)
        stoich[i, r] += coef * (compiled.p0[pidx[cf]] if cf in pidx else 1.0)
    # rule-driven states and states in variable compartments (whose L_i = c_i V_i would not be
    # constant) get a unit column, which forces c_i = 0
    for k, i in enumerate(sorted(layout.rate_rule_states | layout.diluted_states)):
        stoich[i, len(layout.reaction_ids) + k] = 1.0
    for i, cf in layout.conversion.items():
        if cf not in pidx:  # a variable conversion factor: no fixed law through this species
            stoich[i, :] = 0.0
            stoich = np.hstack([stoich, np.eye(n)[:, [i]]])
    key = (stoich.shape, stoich.tobytes())
    if key not in _BASIS_MEMO:  # exact elimination is O(n^3) in Fractions: once per structure
        _BASIS_MEMO[key] = integer_left_null_space(stoich)
    counts = _BASIS_MEMO[key]
    sizes = np.array(
        [compiled.p0[pidx[comp]] if comp in pidx else 1.0 for comp in layout.state_compartment]
    )
    return counts, counts * sizes[None, :]


def conservation_laws(model_or_compiled: Model | CompiledModel) -> tuple[np.ndarray, list[str]]:
    """Conservation laws of a model for reports (``jaksim info``).

    Returns
    -------
    L : ndarray, shape (n_laws, n_state)
        State-space laws: ``L @ y`` is constant along every trajectory (see module doc).
    descriptions : list of str
        Each law as a total of amounts, e.g. ``"R + LR + 2*LR2"``; "(amounts)" is appended
        when the law spans compartments of different size.
    """
    from jaksim.compile.compiled import compile_model

    compiled = (
        compile_model(model_or_compiled, jit=False)
        if isinstance(model_or_compiled, Model)
        else model_or_compiled
    )
    counts, laws = conservation_matrix(compiled)
    pidx = {pid: k for k, pid in enumerate(compiled.param_ids)}
    descriptions = []
    for row in counts:
        terms, sizes = [], set()
        for i in np.flatnonzero(row):
            c, sid = int(row[i]), compiled.state_ids[i]
            mag = sid if abs(c) == 1 else f"{abs(c)}*{sid}"
            terms.append(("- " if c < 0 else "+ ") + mag)
            comp = compiled.layout.state_compartment[i]
            sizes.add(float(compiled.p0[pidx[comp]]) if comp in pidx else 1.0)
        text = " ".join(terms)
        text = text[2:] if text.startswith("+ ") else "-" + text[2:]
        descriptions.append(text + (" (amounts)" if len(sizes) > 1 else ""))
    return laws, descriptions

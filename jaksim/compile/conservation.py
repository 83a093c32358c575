"""Moiety conservation laws: the left null space of the stoichiometry matrix, in integers.

Reactions change species *amounts*: ``d n_i/dt = sum_r N_ir * cf_i * v_r`` with ``N`` the
stoichiometry, ``cf_i`` the species' conversion factor (1 without one) and ``v_r`` the extent
rate. A row ``c`` with ``sum_i c_i cf_i N_ir = 0`` for every reaction conserves the total
amount ``sum_i c_i n_i``. States store concentrations ``y_i = n_i / V_i`` (``V_i`` the size of
the species' compartment) unless the species is an amount species, so the law in state space
is ``L_i = c_i V_i``: ``L @ y`` is constant in time. Rate-rule states are never part of a law.

``c`` is found exactly by a *sparse, fraction-free* elimination of ``N^T`` to echelon form
followed by sparse back substitution:
every reaction is a row held as a dict ``{column: int}`` (stoichiometries are small rationals,
scaled to coprime integers), a row update is ``a*row - b*pivot`` divided by the gcd, and each
pivot is the sparsest candidate row, so a stoichiometric matrix (a few small entries per
reaction) is reduced in about linear time instead of the ``O(n^3)`` Fraction arithmetic of a
dense elimination. The law of each free column (1 there, 0 at the other free columns) is
unique whatever pivot rows are chosen, so the laws are exactly those of the dense
Gauss-Jordan elimination used before. Species are eliminated from the end of
the list first, which for the usual "free forms first, complexes later" ordering yields
nonnegative laws such as ``R + LR`` rather than ``R - L``.

The integer laws are cached next to the kernel modules (``laws_<structure>_<matrix>.json``,
keyed by the structure hash and a hash of the exact matrix, which also depends on constant
conversion-factor values) and verified on load: integers, ``C @ N = 0`` exactly and linearly
independent rows. Their *completeness* (``n - rank N`` rows) is trusted like the kernel
modules' machine code (the cache directory must be private to its user).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import warnings
from collections.abc import Sequence
from fractions import Fraction
from math import gcd, lcm
from typing import TYPE_CHECKING

import numpy as np

from jaksim.spec.model import Model

if TYPE_CHECKING:
    from jaksim.compile.compiled import CompiledModel

__all__ = ["integer_left_null_space", "sparse_left_null_space", "conservation_matrix",
           "conservation_laws"]  # fmt: skip

# sparse matrix: one dict {row (species) index: exact value} per column (reaction)
SparseColumns = Sequence[dict[int, Fraction]]

_BASIS_MEMO: dict[str, np.ndarray] = {}


def _frac(x: float) -> Fraction:
    return Fraction(x).limit_denominator(1_000_000)


def _primitive(row: dict[int, int]) -> dict[int, int]:
    """Divide an integer row by the gcd of its entries (keeps entries small)."""
    g = gcd(*row.values()) if row else 1
    return row if g in (0, 1) else {k: v // g for k, v in row.items()}


def sparse_left_null_space(n: int, columns: SparseColumns) -> list[dict[int, int]]:
    """Integer basis of ``{c : c @ N = 0}`` for a sparse ``N`` (n rows) given by columns.

    Returns
    -------
    list of dict
        One ``{species index: int}`` per law, coprime entries, ordered by the species they
        involve, a row whose nonzero entries are all negative negated: exactly the rows of
        :func:`integer_left_null_space` (see the module doc).
    """
    return [law for law, _ in _null_space_and_free(n, columns)]


def _null_space_and_free(n: int, columns: SparseColumns) -> list[tuple[dict[int, int], int]]:
    """:func:`sparse_left_null_space`, each law with its free species (the one species that
    no other law involves, which proves the laws independent)."""
    # rows of A = N^T with columns permuted: position pos <-> species n-1-pos
    rows: list[dict[int, int]] = []
    for col in columns:
        entries = {n - 1 - i: v for i, v in col.items() if v != 0}
        if entries:
            scale = lcm(*(v.denominator for v in entries.values()))
            rows.append(_primitive({p: int(v * scale) for p, v in entries.items()}))
    where: dict[int, set[int]] = {}  # position -> rows with a nonzero there
    for k, row in enumerate(rows):
        for p in row:
            where.setdefault(p, set()).add(k)
    head: dict[int, int] = {}  # pivot row -> its pivot position
    free: list[int] = []
    # forward elimination (echelon form): a pivot is eliminated from the rows not yet used as
    # pivots only; eliminating it from earlier pivot rows too (Gauss-Jordan) makes every
    # pivot row of a chain hold the moving front: quadratic. Back substitution follows.
    for pos in range(n):
        candidates = [k for k in where.get(pos, ()) if k not in head]
        if not candidates:
            free.append(pos)
            continue
        # the sparsest row limits fill-in; the null space does not depend on this choice
        k = min(candidates, key=lambda r: (len(rows[r]), r))
        head[k] = pos
        prow, a = rows[k], rows[k][pos]
        for k2 in candidates:
            if k2 == k:
                continue
            row, b = rows[k2], rows[k2][pos]
            g = gcd(a, b)
            fa, fb = a // g, b // g
            new = {p: v * fa for p, v in row.items()}
            for p, v in prow.items():
                w = new.get(p, 0) - fb * v
                if w:
                    new[p] = w
                else:
                    new.pop(p, None)
            for p in row.keys() - new.keys():
                where[p].discard(k2)
            for p in new.keys() - row.keys():
                where.setdefault(p, set()).add(k2)
            rows[k2] = _primitive(new)
    # A pivot row holds only its head and later positions (earlier pivot positions were
    # eliminated from it, earlier free positions were in no remaining row), so the null vector
    # with 1 at free position f and 0 at the other free positions follows by back
    # substitution, visiting only the pivot rows that its nonzero entries reach (heap by head).
    holders: dict[int, list[int]] = {}
    for k, pos in head.items():
        for p in rows[k]:
            if p != pos:
                holders.setdefault(p, []).append(k)
    basis: list[tuple[dict[int, int], int]] = []
    for f in free:
        vec = {f: Fraction(1)}
        heap = [(-head[k], k) for k in holders.get(f, ())]
        heapq.heapify(heap)
        seen = {k for _, k in heap}
        while heap:
            _, k = heapq.heappop(heap)
            row, pos = rows[k], head[k]
            total = sum((v * vec[p] for p, v in row.items() if p != pos and p in vec), Fraction(0))
            if total:
                vec[pos] = -total / row[pos]
                for k2 in holders.get(pos, ()):
                    if k2 not in seen:
                        seen.add(k2)
                        heapq.heappush(heap, (-head[k2], k2))
        scale = lcm(*(v.denominator for v in vec.values()))
        ints = {p: int(v * scale) for p, v in vec.items() if v != 0}
        g = gcd(*ints.values())
        ints = {p: v // g for p, v in ints.items()}
        if all(v <= 0 for v in ints.values()):
            ints = {p: -v for p, v in ints.items()}
        basis.append(({n - 1 - p: v for p, v in ints.items()}, n - 1 - f))
    basis.sort(key=lambda lf: sorted(lf[0]))  # by first species involved
    return basis


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
    columns = [{int(i): _frac(matrix[i, r]) for i in np.flatnonzero(matrix[:, r])}
               for r in range(m)]  # fmt: skip
    return _dense(sparse_left_null_space(n, columns), n)


def _dense(basis: list[dict[int, int]], n: int) -> np.ndarray:
    out = np.zeros((len(basis), n), dtype=np.int64)
    for k, law in enumerate(basis):
        for i, v in law.items():
            out[k, i] = v
    return out


def _stoich_columns(compiled: CompiledModel) -> tuple[int, list[dict[int, Fraction]]]:
    """Sparse exact amount-sense stoichiometry (with conversion factors and forcing columns)."""
    layout = compiled.layout
    n = len(compiled.state_ids)
    pidx = {pid: k for k, pid in enumerate(compiled.param_ids)}
    columns: list[dict[int, Fraction]] = [{} for _ in layout.reaction_ids]
    for i, r, coef in layout.stoich_amount:
        cf = layout.conversion.get(i)
        value = _frac(coef * (compiled.p0[pidx[cf]] if cf in pidx else 1.0))
        columns[r][i] = columns[r].get(i, Fraction(0)) + value
    # rule-driven states and states in variable compartments (whose L_i = c_i V_i would not be
    # constant) get a unit column, which forces c_i = 0
    for i in sorted(layout.rate_rule_states | layout.diluted_states):
        columns.append({i: Fraction(1)})
    for i, cf in layout.conversion.items():
        if cf not in pidx:  # a variable conversion factor: no fixed law through this species
            for col in columns:
                col.pop(i, None)
            columns.append({i: Fraction(1)})
    return n, columns


def _matrix_key(n: int, columns: list[dict[int, Fraction]]) -> str:
    blob = json.dumps([n, [sorted((i, str(v)) for i, v in c.items() if v) for c in columns]])
    return hashlib.sha256(blob.encode()).hexdigest()


def _verified(data: object, n: int, key: str, columns: list[dict[int, Fraction]]) -> bool:
    """Whether cached ``data`` holds integer laws for this matrix: ``C @ N = 0`` exactly and
    independent rows (each law has a species no other law has: its free column)."""
    if not isinstance(data, dict) or data.get("key") != key or data.get("n") != n:
        return False
    laws, free = data.get("laws"), data.get("free")
    if not isinstance(laws, list) or not isinstance(free, list) or len(laws) != len(free):
        return False
    by_species: dict[int, list[tuple[int, Fraction]]] = {}
    for r, col in enumerate(columns):
        for i, v in col.items():
            by_species.setdefault(i, []).append((r, v))
    free_set = set(free)
    if len(free_set) != len(free):
        return False
    for law, f in zip(laws, free, strict=True):
        if not (isinstance(law, list) and all(
            isinstance(e, list) and len(e) == 2 and all(type(x) is int for x in e) for e in law
        )):  # fmt: skip
            return False
        entries = dict(law)
        if any(not 0 <= i < n or v == 0 for i, v in entries.items()) or not entries.get(f):
            return False
        if (entries.keys() & free_set) != {f}:
            return False
        totals: dict[int, Fraction] = {}
        for i, c in entries.items():
            for r, v in by_species.get(i, ()):
                totals[r] = totals.get(r, Fraction(0)) + c * v
        if any(totals.values()):
            return False
    return True


def _cached_basis(compiled: CompiledModel) -> np.ndarray:
    """Integer laws of ``compiled``: in-process memo, else verified disk cache, else computed."""
    from jaksim.compile.cache import _write_verified, kernel_cache_dir

    n, columns = _stoich_columns(compiled)
    key = _matrix_key(n, columns)
    if key in _BASIS_MEMO:
        return _BASIS_MEMO[key]
    path = kernel_cache_dir() / f"laws_{compiled.structure_hash[:16]}_{key[:16]}.json"
    present = path.exists()
    try:
        data: object = json.loads(path.read_text())
    except (OSError, ValueError):
        data = None
    if data is not None and _verified(data, n, key, columns):
        basis = [dict(law) for law in data["laws"]]  # type: ignore[index]
    else:
        if present:
            warnings.warn(
                f"conservation-law cache file {path} failed verification; recomputing it",
                RuntimeWarning,
                stacklevel=3,
            )
        pairs = _null_space_and_free(n, columns)
        basis, free = [law for law, _ in pairs], [f for _, f in pairs]
        blob = {"key": key, "n": n, "free": free, "laws": [sorted(law.items()) for law in basis]}
        try:
            if present:
                path.unlink()  # replaced below; already reported
            _write_verified(path, json.dumps(blob, separators=(",", ":")).encode())
        except OSError:
            pass  # an unwritable cache only costs recomputation next time
    _BASIS_MEMO[key] = _dense(basis, n)
    return _BASIS_MEMO[key]


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
    pidx = {pid: k for k, pid in enumerate(compiled.param_ids)}
    counts = _cached_basis(compiled)
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

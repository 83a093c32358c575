"""``compile_model``: Model -> :class:`CompiledModel` (numba cfunc kernels + index maps).

Kernels depend only on the model's structure (:func:`structure_hash`); they are generated
once per structure, cached on disk (see :mod:`jaksim.compile.cache`) and memoised in-process,
so models that differ only in parameter or initial values share one kernel module and
changing a value never recompiles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jaksim.compile.breakpoints import find_breakpoints
from jaksim.compile.cache import load_kernel_module, structure_hash
from jaksim.compile.codegen import generate_source
from jaksim.compile.conservation import conservation_matrix
from jaksim.compile.layout import Layout, build_layout, computed_closure
from jaksim.spec.model import Model

__all__ = ["CompiledModel", "compile_model"]


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """A model compiled to kernels, with its index maps and default vectors.

    Kernels (numba cfuncs when ``jit``; plain Python functions over numpy arrays otherwise)::

        rhs(t, y, p, dydt)            void(float64, float64*, float64*, float64*)
        jac(t, y, p, J)               dense row-major J[i*n + j] = d dydt_i / d y_j
        outputs(t, y, p, out)         observables in ``output_ids`` order
        init(p, y_in, y_out)          applies initial assignments; writes IA targets that are
                                      parameters into ``p`` in place (identity if none)
        triggers(t, y, p, g)          g[k] = 1.0 / 0.0: event k's trigger condition
        event_values(k, t, y, p, v)   void(int64, ...): values of event k's assignments

    Attributes
    ----------
    y0, p0 : ndarray
        Default state (after ``init``) and parameter vectors, shapes (n_state,), (n_param,).
    autonomous : bool
        True when the right-hand side does not depend on time explicitly (``d f/dt = 0``).
    jac_sparsity : ndarray of bool, shape (n_state, n_state)
        Structurally nonzero Jacobian entries (the only ones ``jac`` writes).
    event_targets : tuple of tuple of (str, int)
        Per event, where each assignment goes: ``("y", i)`` or ``("p", j)``.
    conservation : ndarray, shape (n_laws, n_state)
        Rows ``L`` with ``L @ y`` constant (see :mod:`jaksim.compile.conservation`).
    switches : cfunc or None
        ``switches(t, y, p, g)``: ``g[k] = 1.0 / 0.0`` for the ``n_switch`` conditions of the
        right-hand side that can flip during a run other than time breakpoints (conditions on
        states); the Rodas integrator lands on each flip.
    n_switch : int
    breakpoints : tuple of Expr
        Switching times of the time-only conditions in the right-hand side, as expressions of
        parameters (see :mod:`jaksim.compile.breakpoints`); the solvers stop and restart there.
    """

    model: Model
    state_ids: tuple[str, ...]
    param_ids: tuple[str, ...]
    output_ids: tuple[str, ...]
    y0: np.ndarray
    p0: np.ndarray
    rhs: Any
    jac: Any
    outputs: Any
    init: Any
    triggers: Any
    event_values: Any
    structure_hash: str
    jac_sparsity: np.ndarray
    event_ids: tuple[str, ...]
    event_targets: tuple[tuple[tuple[str, int], ...], ...]
    reaction_ids: tuple[str, ...]
    jit: bool
    autonomous: bool
    layout: Layout = field(repr=False)
    conservation: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    breakpoints: tuple[Any, ...] = ()
    switches: Any = None
    n_switch: int = 0

    @property
    def n_state(self) -> int:
        return len(self.state_ids)

    def state_index(self, sid: str) -> int:
        return self.state_ids.index(sid)

    def param_index(self, pid: str) -> int:
        return self.param_ids.index(pid)


@dataclass(frozen=True)
class _Kernels:
    layout: Layout
    module: Any
    sparsity: np.ndarray


_MEMO: dict[tuple[str, bool], _Kernels] = {}


def _kernels(model: Model, digest: str, jit: bool) -> _Kernels:
    key = (digest, jit)
    if key not in _MEMO:
        layout = build_layout(model)
        source, pattern = generate_source(layout, digest)
        module = load_kernel_module(source, digest, jit=jit)
        n = len(layout.state_ids)
        sparsity = np.zeros((n, n), dtype=bool)
        for i, j in pattern:
            sparsity[i, j] = True
        sparsity.setflags(write=False)
        _MEMO[key] = _Kernels(layout, module, sparsity)
    return _MEMO[key]


def _default_values(model: Model, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    values: dict[str, float] = {c.id: c.size for c in model.compartments}
    values.update({s.id: s.initial for s in model.species})
    values.update({p.id: p.value for p in model.parameters})
    for r in model.reactions:
        values.update({f"{r.id}__{lp.id}": lp.value for lp in r.local_parameters})
    y0 = np.array([values[s] for s in layout.state_ids], dtype=np.float64)
    p0 = np.array([values[s] for s in layout.param_ids], dtype=np.float64)
    return y0, p0


def compile_model(model: Model, *, jit: bool = True) -> CompiledModel:
    """Compile ``model`` into kernels (cached by structure) plus its default vectors.

    Parameters
    ----------
    model : Model
    jit : bool
        True: numba cfuncs (first use of a new structure compiles them, later processes load
        them from the on-disk cache). False: the same generated code as plain Python
        functions, for loading many tiny models quickly or debugging.

    Raises
    ------
    ModelError
        If the model cannot be compiled (unknown symbols, cyclic rules, unsupported
        constructs); the message names the component.
    """
    digest = structure_hash(model)
    kern = _kernels(model, digest, jit)
    layout, mod = kern.layout, kern.module
    y_raw, p0 = _default_values(model, layout)
    y0 = np.empty_like(y_raw)
    mod.init(p0, y_raw, y0)  # the generated code runs as Python on numpy arrays here
    y0.setflags(write=False)
    p0.setflags(write=False)
    pidx = {pid: k for k, pid in enumerate(layout.param_ids)}
    sidx = {sid: k for k, sid in enumerate(layout.state_ids)}
    targets = tuple(
        tuple(("y", sidx[v]) if v in sidx else ("p", pidx[v]) for v, _ in items)
        for items in layout.event_assignments
    )
    rhs_computed = [layout.computed[c] for c in computed_closure(layout.computed, layout.dydt)]
    compiled = CompiledModel(
        model=model,
        state_ids=layout.state_ids,
        param_ids=layout.param_ids,
        output_ids=layout.output_ids,
        y0=y0,
        p0=p0,
        rhs=mod.rhs,
        jac=mod.jac,
        outputs=mod.outputs,
        init=mod.init,
        triggers=mod.triggers,
        event_values=mod.event_values,
        structure_hash=digest,
        jac_sparsity=kern.sparsity,
        event_ids=tuple(e.id for e in model.events),
        event_targets=targets,
        reaction_ids=layout.reaction_ids,
        jit=jit,
        autonomous=not any(e.uses_time() for e in (*layout.dydt, *rhs_computed)),
        layout=layout,
        breakpoints=find_breakpoints(
            (*layout.dydt, *rhs_computed), layout.computed, layout.param_ids
        ),
        switches=mod.switches,
        n_switch=int(mod.N_SWITCH),
    )
    _, laws = conservation_matrix(compiled)
    laws.setflags(write=False)
    object.__setattr__(compiled, "conservation", laws)
    return compiled

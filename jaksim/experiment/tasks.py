"""One chunk of a sweep: plain-data :class:`ChunkTask` in, :class:`ChunkResult` out.

:func:`run_chunk` is what an executor runs (in-process, a Dask worker, any
``concurrent.futures.Executor``). It loads the compiled model from the per-process cache,
simulates the chunk's members with one ``simulate_ensemble`` call, and — when a readout needs
it — the matching no-drug controls (each distinct control simulated once). A chunk whose
ensemble call raises is split in halves until the failing member is isolated and recorded;
the other members still run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ..analysis import readouts as ro
from ..spec.errors import JaksimError
from .engine import Engine, ModelRef, compiled

__all__ = ["StimulusSpec", "ReadoutSpec", "ChunkTask", "ChunkResult", "run_chunk"]


@dataclass(frozen=True)
class StimulusSpec:
    """A cytokine set to ``concentration`` (float, or one value per member) at ``time`` and
    back to 0 at ``washout`` (model units)."""

    species: str
    concentration: float | np.ndarray
    time: float
    washout: float | None


@dataclass(frozen=True)
class ReadoutSpec:
    """Readout ``name`` = ``metric`` of ``observable`` (``when``: time for value-at-t)."""

    name: str
    observable: str
    metric: str
    when: float | None


@dataclass(frozen=True)
class ChunkTask:
    """Members ``start:stop`` of a sweep, as plain data (picklable, no compiled objects)."""

    index: int
    start: int
    stop: int
    model: ModelRef
    t_eval: np.ndarray
    params: dict[str, np.ndarray]
    initial: dict[str, np.ndarray]
    stimuli: tuple[StimulusSpec, ...]
    dosing_days: float | None
    preequilibrate: bool
    solver: str
    rtol: float
    atol: float
    observables: tuple[str, ...]
    readouts: tuple[ReadoutSpec, ...]
    seed: int
    engine: Engine
    n_threads: int | None = None

    @property
    def n(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class ChunkResult:
    """Results of one chunk.

    Attributes
    ----------
    values : ndarray, shape (n, n_t, n_observables)
        Time courses; NaN for failed members.
    status : ndarray of int, shape (n,)
        0 = success.
    messages : list of str
        Failure message per member ("" on success).
    readouts : ndarray, shape (n, n_readouts)
    """

    index: int
    start: int
    stop: int
    values: np.ndarray
    status: np.ndarray
    messages: list[str]
    readouts: np.ndarray


def _take(d: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    return {k: np.asarray(v)[rows] for k, v in d.items()}


def _changes(task: ChunkTask, rows: np.ndarray, ref: ModelRef) -> list:
    changes = []
    for s in task.stimuli:
        conc = s.concentration[rows] if isinstance(s.concentration, np.ndarray) else s.concentration
        changes.append((s.time, s.species, "set", conc))
        if s.washout is not None:
            changes.append((s.washout, s.species, "set", 0.0))
    if ref.regimen is not None:
        model = getattr(compiled(task.engine, ref), "model", None)  # for its units
        changes += task.engine.dosing(ref.drug, ref.regimen, task.dosing_days, model)
    return sorted(changes, key=lambda c: c[0])


#: Status of a member whose simulation raised (distinct from the solver's own codes, e.g. -1
#: "maximum number of steps"), with the exception's type and message as its reason.
MEMBER_RAISED = -9
#: Exceptions that are a member's failure rather than a bug in jaksim.
MEMBER_ERRORS = (JaksimError, ArithmeticError, ValueError, RuntimeError, np.linalg.LinAlgError)
log = logging.getLogger(__name__)


def _simulate(task: ChunkTask, ref: ModelRef, params: dict, initial: dict, rows: np.ndarray):
    """Values (m, n_t, n_obs), status (m,), messages for members ``rows``; a raising ensemble
    call is bisected so one bad member does not sink its neighbours."""
    m = len(rows)
    model = compiled(task.engine, ref)  # outside the try: a model error is not a member's
    changes = _changes(task, rows, ref)
    try:
        res = task.engine.ensemble(
            model,
            task.t_eval,
            params=_take(params, rows) or None,
            initial=_take(initial, rows) or None,
            protocol=task.engine.protocol(changes) if changes else None,
            outputs=task.observables,
            preequilibrate=task.preequilibrate,
            solver=task.solver,
            rtol=task.rtol,
            atol=task.atol,
            n_threads=task.n_threads,
        )
    except MEMBER_ERRORS as exc:
        # a member's simulation that raises (a bad parameter set, a steady state that does not
        # exist, an overflow) is recorded with its own status; any other exception is a bug
        # and propagates
        if m == 1:
            nan = np.full((1, len(task.t_eval), len(task.observables)), np.nan)
            log.warning("member failed with %s: %s", type(exc).__name__, exc)
            return nan, np.array([MEMBER_RAISED]), [f"{type(exc).__name__}: {exc}"]
        half = m // 2
        a, b = (_simulate(task, ref, params, initial, r) for r in (rows[:half], rows[half:]))
        return np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]]), a[2] + b[2]
    names = list(res.names)
    cols = [names.index(o) for o in task.observables]
    values = np.asarray(res.values)[:, :, cols].astype(float)
    status = np.asarray(res.status, dtype=np.int64)
    values[status != 0] = np.nan
    messages = [str(res.messages[i]) if status[i] != 0 else "" for i in range(m)]
    return values, status, messages


def _metric(spec: ReadoutSpec, t: np.ndarray, y: np.ndarray) -> np.ndarray:
    if spec.metric == "value_at":
        return ro.value_at(t, y, spec.when)
    return getattr(ro, spec.metric)(t, y)


def _controls(task: ChunkTask) -> np.ndarray:
    """Time courses of the no-drug control of every member, shape (n, n_t, n_obs)."""
    ref = task.model.without_drug()
    params = {k: v for k, v in task.params.items() if k != "drug_conc"}
    columns = [np.asarray(v, dtype=float) for v in (*params.values(), *task.initial.values())]
    columns += [s.concentration for s in task.stimuli if isinstance(s.concentration, np.ndarray)]
    if columns:
        _, first, inverse = np.unique(
            np.column_stack(columns), axis=0, return_index=True, return_inverse=True
        )
    else:
        first, inverse = np.array([0]), np.zeros(task.n, dtype=np.int64)
    values, _, _ = _simulate(task, ref, params, task.initial, first)
    return values[inverse.ravel()]


def _readouts(task: ChunkTask, values: np.ndarray) -> np.ndarray:
    t = task.t_eval
    out = np.full((task.n, len(task.readouts)), np.nan)
    control = None
    for j, spec in enumerate(task.readouts):
        y = values[:, :, task.observables.index(spec.observable)]
        if spec.metric != "percent_inhibition":
            out[:, j] = _metric(spec, t, y)
            continue
        if control is None:
            control = _controls(task)
        yc = control[:, :, task.observables.index(spec.observable)]
        base = ReadoutSpec(
            "", spec.observable, "value_at" if spec.when is not None else "peak", spec.when
        )
        out[:, j] = ro.percent_inhibition(_metric(base, t, y), _metric(base, t, yc), yc[:, 0])
    return out


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Simulate one chunk and compute its readouts (see the module docstring)."""
    rows = np.arange(task.n)
    values, status, messages = _simulate(task, task.model, task.params, task.initial, rows)
    return ChunkResult(
        task.index, task.start, task.stop, values, status, messages, _readouts(task, values)
    )

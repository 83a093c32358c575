"""Run an experiment file: sweep -> chunks -> executor -> results store.

The model is compiled once per process; the members are cut into chunks of
``[experiment] chunk_size`` that are simulated with one ``simulate_ensemble`` call each, on
the in-process executor (all cores through the solver's thread pool), a Dask cluster or any
``concurrent.futures.Executor``. Chunks are written as they finish (see
:mod:`jaksim.experiment.store`); at most a few are in flight, so memory stays flat however
large the sweep.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, CancelledError, Executor, Future, wait
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .._version import __version__
from ..io.paths import prepare_output
from ..spec.errors import ConfigError, RunError, SimulationError
from .engine import Engine, compiled
from .executors import InProcessExecutor, dask_executor
from .kinds import get_kind, register_kind
from .loading import LoadedConfig, load_config
from .plan import ExperimentPlan, make_plan
from .store import ResultStore, config_hash, open_results
from .sweep import build_sweep, check_size, chunk_ranges
from .tasks import run_chunk

__all__ = ["RunOptions", "run_experiment", "run_simulation", "check_experiment"]


@dataclass(frozen=True)
class RunOptions:
    """How to run (command-line options override the file).

    Attributes
    ----------
    out : path or None
        Results directory (default: ``[experiment] output``).
    resume : bool
        Keep the finished chunks of an interrupted run with the same file and model (chunks
        whose files no longer match their checksums are recomputed).
    restart : bool
        Discard the results of an earlier run even when ``resume`` finds that its file or
        model changed (without ``resume`` an earlier store is always replaced).
    workers : int or None
        Threads of the in-process solver, or processes of a local Dask cluster.
    scheduler : str or None
        Dask scheduler address; implies the Dask executor.
    executor : Executor or None
        Any ``concurrent.futures.Executor``, overriding the above.
    quiet : bool
        No progress bar.
    connect_timeout : float
        Seconds to wait for a Dask scheduler to answer.
    chunk_timeout : float or None
        Give up when no chunk finishes for this many seconds (None: no limit).
    worker_timeout : float
        Give up when a Dask scheduler has had no worker (or the connection to it was lost)
        for this many seconds.
    engine : Engine or None
        Simulation functions (default: jaksim's; tests pass a stand-in).
    on_chunk : callable or None
        Called with the number of chunks written so far, after each (tests use it to
        simulate an interruption).
    """

    out: str | Path | None = None
    resume: bool = False
    restart: bool = False
    workers: int | None = None
    scheduler: str | None = None
    executor: Executor | None = None
    quiet: bool = False
    connect_timeout: float = 10.0
    chunk_timeout: float | None = None
    worker_timeout: float = 60.0
    engine: Engine | None = None
    on_chunk: Callable[[int], None] | None = None


def _plan(loaded: LoadedConfig, engine: Engine) -> tuple[ExperimentPlan, list[int], dict]:
    cfg = loaded.config
    check_size(cfg, loaded.file)  # before anything of the plan's size is allocated
    root = np.random.SeedSequence(cfg.experiment.seed)
    sample_seed, chunk_root = root.spawn(2)
    table = build_sweep(cfg, sample_seed, loaded.file)
    plan = make_plan(loaded, table, engine)
    ranges = chunk_ranges(table, cfg.experiment.chunk_size)
    seeds = [int(s.generate_state(1)[0]) for s in chunk_root.spawn(len(ranges))]
    seed_info = {
        "seed": cfg.experiment.seed,
        "sampling_spawn_key": list(sample_seed.spawn_key),
        "chunk_seeds": seeds,
    }
    return plan, ranges, seed_info


def check_experiment(loaded: LoadedConfig, engine: Engine | None = None) -> int:
    """Check a simulation experiment against its model (names, units) and return its
    number of members; raise ConfigError."""
    return _plan(loaded, engine or Engine())[0].table.n


def _executor(loaded: LoadedConfig, opts: RunOptions):
    if opts.executor is not None:
        return nullcontext(opts.executor)
    scheduler = opts.scheduler or loaded.config.experiment.scheduler
    if opts.scheduler or loaded.config.experiment.executor == "dask":
        return dask_executor(scheduler, opts.workers, connect_timeout=opts.connect_timeout)
    return nullcontext(InProcessExecutor())


def run_simulation(loaded: LoadedConfig, opts: RunOptions) -> Path:
    """Runner of the ``"simulation"`` kind; returns the results directory."""
    cfg = loaded.config
    engine = opts.engine or Engine()
    plan, ranges, seeds = _plan(loaded, engine)
    in_process = opts.executor is None and not (opts.scheduler or cfg.experiment.executor == "dask")
    threads = opts.workers if in_process else None

    def task(i: int):
        start, stop = ranges[i]
        t = plan.task(i, start, stop, seeds["chunk_seeds"][i], engine)
        return t if threads is None else replace(t, n_threads=threads)

    model = compiled(engine, task(0).model)
    out = loaded.output_dir(opts.out)
    manifest = _manifest(loaded, plan, ranges, seeds, model)
    store = ResultStore(out, manifest, resume=opts.resume, restart=opts.restart)
    try:
        _run_chunks(loaded, opts, plan, ranges, task, store, out)
        store.finalize()
    finally:
        store.close()
    n_failed, reasons = store.failures()
    if n_failed == plan.table.n:
        raise SimulationError(
            f"all {n_failed} members failed; first reasons: {_summary(reasons)}. The statuses "
            f"are in {out}",
            file=loaded.file,
        )
    if n_failed:
        print(
            f"jaksim: warning: {n_failed} of {plan.table.n} members failed (status != 0 in "
            f"readouts.csv); first reasons: {_summary(reasons)}",
            file=sys.stderr,
        )
    if cfg.sensitivity is not None:
        _write_sensitivity(out, plan)
    return out


def _summary(reasons: list[str], n: int = 3) -> str:
    """The first ``n`` distinct failure messages, quoted."""
    distinct = list(dict.fromkeys(r.strip() or "(no message)" for r in reasons))
    more = f" (+{len(distinct) - n} more)" if len(distinct) > n else ""
    return "; ".join(repr(r) for r in distinct[:n]) + more


def _resume_hint(loaded: LoadedConfig, opts: RunOptions) -> str:
    out = f" --out {opts.out}" if opts.out is not None else ""
    return f"jaksim run {loaded.file}{out} --resume"


def _run_chunks(loaded, opts, plan, ranges, task, store, out) -> None:
    cfg = loaded.config
    todo = [i for i in range(len(ranges)) if i not in store.done]
    finished = sum(ranges[i][1] - ranges[i][0] for i in store.done)
    scheduler = opts.scheduler or cfg.experiment.scheduler
    watch = _Watchdog(
        chunk_timeout=opts.chunk_timeout,
        worker_timeout=opts.worker_timeout,
        where=f"the Dask scheduler at {scheduler}" if scheduler else "the executor",
        hint=_resume_hint(loaded, opts),
    )
    with (
        _executor(loaded, opts) as executor,
        tqdm(
            total=plan.table.n,
            initial=finished,
            unit="member",
            disable=opts.quiet,
            desc=cfg.experiment.name,
            smoothing=0.05,
        ) as bar,
    ):
        try:
            _drive(executor, todo, task, store, plan, bar, opts.on_chunk, watch)
        except KeyboardInterrupt:
            done = len(store.done)
            print(
                f"\n{done} of {len(ranges)} chunks are saved in {out}; continue with --resume",
                file=sys.stderr,
            )
            raise


def model_hash(model: Any) -> str:
    """sha256 of a model's structure and values (parameter values, initial amounts,
    compartment sizes, units, inputs): a resumed run refuses a store of another model.

    Names, descriptions and sources are left out: editing a comment-like field does not
    change the results.
    """
    from ..compile.cache import structure_hash

    desc = {
        "structure": structure_hash(model),
        "units": [model.time_unit, model.concentration_unit, model.volume_unit],
        "compartments": [[c.id, c.size, c.units, c.constant] for c in model.compartments],
        "species": [[s.id, s.initial, s.units] for s in model.species],
        "parameters": [[p.id, p.value, p.units, p.constant] for p in model.parameters],
        "local": [[r.id, lp.id, lp.value] for r in model.reactions for lp in r.local_parameters],
        "events": [repr(e) for e in model.events],
        "inputs": [[i.target, list(i.changes), i.op, i.units] for i in model.inputs],
    }
    blob = json.dumps(desc, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(blob.encode()).hexdigest()


def _manifest(loaded: LoadedConfig, plan: ExperimentPlan, ranges, seeds, model) -> dict:
    """The store's manifest; ``attrs`` become the netCDF attributes of every chunk file."""
    cfg = loaded.config
    attrs = {
        "experiment": cfg.experiment.name,
        "kind": cfg.experiment.kind,
        "config_file": loaded.file,
        "config_text": loaded.text,
        "model_ref": plan.base.ref,
        "model_structure_hash": str(getattr(model, "structure_hash", "")),
        "jaksim_version": __version__,
        "solver": json.dumps(cfg.solver.model_dump()),
        "preequilibrate": int(cfg.protocol.preequilibrate),
        "seed": cfg.experiment.seed,
        "time_unit": plan.model.time_unit,
        "concentration_unit": plan.model.concentration_unit,
        "axes": json.dumps([a.key for a in plan.table.axes]),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return {
        "format": "jaksim-results",
        "config_hash": config_hash(loaded.text),
        "model_hash": model_hash(plan.model),
        "n_members": plan.table.n,
        "chunks": [list(r) for r in ranges],
        "seeds": seeds,
        "attrs": attrs,
        "time": plan.t_eval.tolist(),
        "observables": list(plan.observables),
        "readouts": [r.name for r in plan.readouts],
    }


def _write_sensitivity(out: Path, plan: ExperimentPlan) -> None:
    """Sobol' indices of every readout over the sampled axes -> ``OUT/sensitivity.csv``."""
    from ..analysis.sensitivity import sobol_from_unit_sample

    sens = plan.loaded.config.sensitivity
    with open_results(out) as ds:
        y = ds["readouts"].values  # (members, readouts): small next to the time courses
    names = [a.key for a in plan.table.axes]
    frames = []
    for j, spec in enumerate(plan.readouts):
        table = sobol_from_unit_sample(y[:, j], names, second_order=sens.second_order)
        table.insert(0, "readout", spec.name)
        frames.append(table)
    pd.concat(frames).to_csv(out / "sensitivity.csv", index=False)


def _window(executor: Executor) -> int:
    """Chunks in flight: one for the in-process executor (it computes at submission, so
    more would only hold results in memory), else two per worker thread to keep them busy."""
    if isinstance(executor, InProcessExecutor):
        return 1
    client = getattr(executor, "_client", None)  # dask.distributed's ClientExecutor
    if client is not None:
        return 2 * max(1, sum(client.nthreads().values()))
    return 2 * max(1, getattr(executor, "_max_workers", 2))


class _Watchdog:
    """Turns a run that makes no progress into a :class:`RunError` (instead of a silent
    hang): no chunk finished for ``chunk_timeout`` s, or a Dask scheduler without workers
    (or unreachable) for ``worker_timeout`` s."""

    poll = 1.0  # seconds between checks while chunks are in flight

    def __init__(self, *, chunk_timeout, worker_timeout, where, hint):
        self.chunk_timeout = chunk_timeout
        self.worker_timeout = worker_timeout
        self.where = where
        self.hint = hint
        self.progress = time.monotonic()
        self.unhealthy_since: float | None = None

    def finished(self) -> None:
        self.progress = time.monotonic()
        self.unhealthy_since = None

    def fail(self, what: str) -> RunError:
        return RunError(
            f"{what}; the finished chunks are saved: continue with `{self.hint}` once "
            f"{self.where} works again"
        )

    def check(self, executor: Executor) -> None:
        now = time.monotonic()
        if self.chunk_timeout is not None and now - self.progress > self.chunk_timeout:
            raise self.fail(f"no chunk finished in {self.chunk_timeout:g} s on {self.where}")
        problem = _dask_problem(executor)
        if problem is None:
            self.unhealthy_since = None
            return
        if self.unhealthy_since is None:
            self.unhealthy_since = now
        elif now - self.unhealthy_since > self.worker_timeout:
            raise self.fail(f"{self.where}: {problem} for {self.worker_timeout:g} s")


def _dask_problem(executor: Executor) -> str | None:
    """What keeps a Dask executor from making progress (no workers, lost connection), or
    None when it looks healthy or is not a Dask executor."""
    client = getattr(executor, "_client", None)
    if client is None:
        return None
    if client.status != "running":
        return f"the connection to the scheduler is lost (client {client.status})"
    try:
        n = client.scheduler_info(n_workers=0).get("n_workers")
    except Exception as err:  # noqa: BLE001 - any failure to ask is the problem reported
        return f"the scheduler does not answer ({type(err).__name__}: {err})"
    return "no worker is connected" if n == 0 else None


def _drive(executor, todo, task, store, plan, bar, on_chunk, watch=None) -> None:
    """Submit chunks with a bounded number in flight; write each as it finishes."""
    window = _window(executor)
    pending: dict[Future, int] = {}
    queue = list(todo)
    written = 0
    poll = None if watch is None else watch.poll
    if watch is not None:
        watch.finished()  # starting the executor (e.g. a cluster) is not a stall
    try:
        while queue or pending:
            while queue and len(pending) < window:
                i = queue.pop(0)
                pending[executor.submit(run_chunk, task(i))] = i
            done, _ = wait(pending, timeout=poll, return_when=FIRST_COMPLETED)
            if not done:
                watch.check(executor)
                continue
            for future in sorted(done, key=pending.get):
                i = pending.pop(future)
                try:
                    result = future.result()
                except CancelledError:  # e.g. every Dask worker and the scheduler lost it
                    if watch is None:
                        raise
                    raise watch.fail(f"chunk {i} was cancelled by {watch.where}") from None
                start, stop = result.start, result.stop
                store.write_chunk(result, {k: v[start:stop] for k, v in plan.table.columns.items()})
                bar.update(stop - start)
                written += 1
                if watch is not None:
                    watch.finished()
                if on_chunk is not None:
                    on_chunk(written)
    finally:
        for future in pending:
            future.cancel()


def run_experiment(file: str | Path | LoadedConfig, **options) -> Path:
    """Validate and run an experiment file of any kind.

    Parameters
    ----------
    file : path or LoadedConfig
        The experiment file (or an already loaded one).
    **options
        Fields of :class:`RunOptions`.

    Returns
    -------
    Path
        The results directory; open it with :func:`jaksim.experiment.open_results`.
    """
    loaded = file if isinstance(file, LoadedConfig) else load_config(file)
    opts = RunOptions(**options)
    _check_options(opts)
    # an output folder that cannot be written is refused before any simulation runs
    created = prepare_output(
        loaded.output_dir(opts.out),
        folder=True,
        arg="--out" if opts.out is not None else "experiment.output",
        error=ConfigError,
    )
    if created is not None and not opts.quiet:
        print(f"created folder {created}")
    kind = get_kind(loaded.kind)
    return kind.runner(loaded, opts)


def _check_options(opts: RunOptions) -> None:
    """Reject option values that cannot work (the CLI passes them through unchecked)."""
    if opts.workers is not None and (isinstance(opts.workers, bool) or opts.workers < 1):
        raise ConfigError(f"must be a whole number >= 1, got {opts.workers!r}", field="--workers")
    for name in ("connect_timeout", "chunk_timeout", "worker_timeout"):
        value = getattr(opts, name)
        if value is not None and not value > 0:
            flag = "--" + name.replace("_", "-")
            raise ConfigError(f"must be a number of seconds > 0, got {value!r}", field=flag)


register_kind("simulation", None, run_simulation, check=check_experiment)

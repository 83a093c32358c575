"""Run an experiment file: sweep -> chunks -> executor -> results store.

The model is compiled once per process; the members are cut into chunks of
``[experiment] chunk_size`` that are simulated with one ``simulate_ensemble`` call each, on
the in-process executor (all cores through the solver's thread pool), a Dask cluster or any
``concurrent.futures.Executor``. Chunks are written as they finish (see
:mod:`jaksim.experiment.store`); at most a few are in flight, so memory stays flat however
large the sweep.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .._version import __version__
from .engine import Engine, compiled
from .executors import InProcessExecutor, dask_executor
from .kinds import get_kind, register_kind
from .loading import LoadedConfig, load_config
from .plan import ExperimentPlan, make_plan
from .store import ResultStore, config_hash, open_results
from .sweep import build_sweep, chunk_ranges
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
        Keep the finished chunks of an interrupted run with the same file.
    workers : int or None
        Threads of the in-process solver, or processes of a local Dask cluster.
    scheduler : str or None
        Dask scheduler address; implies the Dask executor.
    executor : Executor or None
        Any ``concurrent.futures.Executor``, overriding the above.
    quiet : bool
        No progress bar.
    engine : Engine or None
        Simulation functions (default: jaksim's; tests pass a stand-in).
    on_chunk : callable or None
        Called with the number of chunks written so far, after each (tests use it to
        simulate an interruption).
    """

    out: str | Path | None = None
    resume: bool = False
    workers: int | None = None
    scheduler: str | None = None
    executor: Executor | None = None
    quiet: bool = False
    engine: Engine | None = None
    on_chunk: Callable[[int], None] | None = None


def _plan(loaded: LoadedConfig, engine: Engine) -> tuple[ExperimentPlan, list[int], dict]:
    cfg = loaded.config
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
        return dask_executor(scheduler, opts.workers)
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
    store = ResultStore(out, _manifest(loaded, plan, ranges, seeds, model), resume=opts.resume)
    todo = [i for i in range(len(ranges)) if i not in store.done]
    finished = sum(ranges[i][1] - ranges[i][0] for i in store.done)
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
            _drive(executor, todo, task, store, plan, bar, opts.on_chunk)
        except KeyboardInterrupt:
            done = len(store.done)
            print(
                f"\n{done} of {len(ranges)} chunks are saved in {out}; continue with --resume",
                file=sys.stderr,
            )
            raise
    store.finalize()
    if cfg.sensitivity is not None:
        _write_sensitivity(out, plan)
    return out


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
        "config_hash": config_hash(loaded.text),
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


def _drive(executor, todo, task, store, plan, bar, on_chunk) -> None:
    """Submit chunks with a bounded number in flight; write each as it finishes."""
    window = _window(executor)
    pending: dict[Future, int] = {}
    queue = list(todo)
    written = 0
    try:
        while queue or pending:
            while queue and len(pending) < window:
                i = queue.pop(0)
                pending[executor.submit(run_chunk, task(i))] = i
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=pending.get):
                i = pending.pop(future)
                result = future.result()
                start, stop = result.start, result.stop
                store.write_chunk(result, {k: v[start:stop] for k, v in plan.table.columns.items()})
                bar.update(stop - start)
                written += 1
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
    kind = get_kind(loaded.kind)
    return kind.runner(loaded, RunOptions(**options))


register_kind("simulation", None, run_simulation, check=check_experiment)

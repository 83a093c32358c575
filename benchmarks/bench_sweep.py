"""Sweep runner benchmark: members/s, runner overhead, and peak memory vs sweep size.

Runs the shipped ``latin_hypercube_10k`` experiment (IL-6 model, 7 sampled axes) and, side by
side, one bare ``simulate_ensemble`` call on exactly the same members:

* members/s on 1 core and on all cores, runner vs bare call;
* runner overhead = runner time / bare time - 1 (target < 10 %); the runner adds sampling,
  chunking, readouts, per-chunk netCDF + CSV files and the manifest;
* peak resident memory of the runner at 1e4 and 1e5 members (should be flat: chunks stream
  to disk).

Every measurement runs in a fresh process (``--child``) after a 200-member warm-up, so compile
and cache loading are excluded and ``ru_maxrss`` is that run's alone. Timings are the best of
``--repeats`` runs, bare and runner alternating, because other load on the machine only ever
makes a run slower.

Usage::

    python benchmarks/bench_sweep.py            # 1e4 timing + 1e4 / 1e5 memory
    python benchmarks/bench_sweep.py --quick    # 2e3 timing + 2e3 / 2e4 memory
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from timing import child_json

EXPERIMENT = Path(__file__).resolve().parents[1] / "experiments" / "latin_hypercube_10k.toml"


def _loaded(samples: int):
    from jaksim.experiment import parse_config

    text = EXPERIMENT.read_text().replace("samples = 10000", f"samples = {samples}")
    return parse_config(text, str(EXPERIMENT), EXPERIMENT.parent)


def _bare(samples: int, threads: int | None) -> float:
    """Seconds of one simulate_ensemble call on the sweep's members."""
    from jaksim.experiment.engine import Engine, compiled
    from jaksim.experiment.runner import _plan
    from jaksim.simulation import Change, Protocol, simulate_ensemble

    engine = Engine()
    plan, _, _ = _plan(_loaded(samples), engine)
    task = plan.task(0, 0, samples, 0, engine)
    model = compiled(engine, task.model)
    protocol = Protocol(
        tuple(Change(s.time, s.species, "set", s.concentration) for s in task.stimuli)
    )
    start = time.perf_counter()
    res = simulate_ensemble(
        model,
        task.t_eval,
        params=task.params,
        initial=task.initial or None,
        protocol=protocol,
        outputs=task.observables,
        preequilibrate=task.preequilibrate,
        rtol=task.rtol,
        atol=task.atol,
        n_threads=threads,
    )
    elapsed = time.perf_counter() - start
    assert res.values.shape[0] == samples
    return elapsed


def _runner(samples: int, threads: int | None) -> float:
    """Seconds of the whole runner (sampling, chunks, readouts, files) on the sweep."""
    from jaksim.experiment import run_experiment

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_experiment(_loaded(samples), out=Path(tmp) / "out", workers=threads, quiet=True)
        return time.perf_counter() - start


def child(mode: str, samples: int, threads: int | None) -> None:
    fn = _bare if mode == "bare" else _runner
    fn(200, threads)  # warm-up: compile / load caches
    seconds = fn(samples, threads)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib}))


def _measure(mode: str, samples: int, threads: int | None) -> dict:
    return child_json([__file__, "--child", mode, str(samples), str(threads or 0)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5x smaller sweeps")
    parser.add_argument("--repeats", type=int, default=3, help="timing runs (best is kept)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, samples, threads = args.child
        child(mode, int(samples), int(threads) or None)
        return
    n = 2_000 if args.quick else 10_000
    cores = os.cpu_count()
    print(f"sweep: {EXPERIMENT.name} (IL-6 model, {n} members); {cores} cores")
    print(f"{'cores':>6} {'bare members/s':>15} {'runner members/s':>17} {'overhead':>9}")
    for threads in (1, None):
        bare, run = np.inf, np.inf
        for _ in range(args.repeats):
            bare = min(bare, _measure("bare", n, threads)["seconds"])
            run = min(run, _measure("runner", n, threads)["seconds"])
        print(
            f"{threads or cores:>6} {n / bare:>15.0f} {n / run:>17.0f} "
            f"{100 * (run / bare - 1):>8.1f}%"
        )
    print(f"\n{'members':>8} {'runner peak RSS (MiB)':>22} {'seconds':>8}")
    for size in (n, 10 * n):
        m = _measure("runner", size, None)
        print(f"{size:>8} {m['peak_mib']:>22.0f} {m['seconds']:>8.1f}")


if __name__ == "__main__":
    main()

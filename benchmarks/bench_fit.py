"""Fitting benchmark: objective and gradient cost on the shipped PEtab problems, and a small
multistart on 1 and 2 worker processes.

Run (repository root; ``PYTHONPATH=.`` when another checkout is installed):
``python benchmarks/bench_fit.py [--problems Fujita_SciSignal2010 ...] [--repeats 3]
[--starts 4] [--rtol 1e-8]``. Prints medians and ratios; asserts nothing. Kernels (plain and
sensitivity model) are compiled / loaded from the cache before timing. The gradient costs one
ensemble of (condition x dynamic parameter) members of the 2n-state sensitivity model, so
the gradient/objective ratio is expected near ``2 x n_dynamic`` divided by the thread count
(minus what the shared pre-equilibration and Python overhead take).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

ROOT = Path(os.environ.get("JAKSIM_PETAB_DIR", Path(__file__).resolve().parents[2] / "shared"
                           / "data" / "petab"))  # fmt: skip
if not ROOT.is_dir():
    ROOT = Path("/work/shared/data/petab")
PROBLEMS = ["Brannmark_JBC2010", "Fujita_SciSignal2010", "Schwen_PONE2014",
            "Sobotta_Frontiers2017"]  # fmt: skip


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", nargs="*", default=PROBLEMS)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--starts", type=int, default=4, help="multistart size (0: skip)")
    ap.add_argument("--multistart-problem", default="Fujita_SciSignal2010")
    ap.add_argument("--maxiter", type=int, default=30, help="L-BFGS-B iterations per start")
    ap.add_argument("--rtol", type=float, default=1e-8)
    args = ap.parse_args()

    from jaksim.fit import PetabObjective, load_petab, multistart

    print(f"{'problem':24s} {'meas':>5s} {'sims':>5s} {'theta':>5s} {'dyn':>4s} "
          f"{'obj s':>8s} {'grad s':>8s} {'ratio':>6s}  nllh(nominal)")  # fmt: skip
    for name in args.problems:
        yaml = ROOT / name / f"{name}.yaml"
        problem = load_petab(yaml)
        kw = {"missing_placeholders": 1.0} if name.startswith("Sobotta") else {}
        obj = PetabObjective(problem, rtol=args.rtol, atol=args.rtol * 1e-4, **kw)
        theta = problem.nominal_theta
        res = obj.evaluate(theta, gradient=True)  # compile / load both models
        t_obj = _median_time(lambda o=obj, x=theta: o(x), args.repeats)
        t_grad = _median_time(lambda o=obj, x=theta: o.value_and_grad(x),
                              max(1, args.repeats // 2))
        print(f"{name:24s} {len(problem.measurements):5d} {len(obj.members):5d} "
              f"{obj.n_theta:5d} {len(obj.dynamic):4d} {t_obj:8.3f} {t_grad:8.3f} "
              f"{t_grad / t_obj:6.1f}  {res.nllh:.6f}")  # fmt: skip

    if args.starts:
        yaml = ROOT / args.multistart_problem / f"{args.multistart_problem}.yaml"
        out = {}
        for workers in (1, 2):
            t0 = time.perf_counter()
            r = multistart(yaml, args.starts, seed=0, workers=workers, maxiter=args.maxiter,
                           rtol=args.rtol, atol=args.rtol * 1e-4)  # fmt: skip
            out[workers] = time.perf_counter() - t0
            print(f"multistart {args.multistart_problem}: {args.starts} starts x "
                  f"{args.maxiter} iterations, {workers} worker(s): {out[workers]:.1f} s, "
                  f"best {r.best.fval:.4f}")  # fmt: skip
        print(f"speed-up 1 -> 2 workers: {out[1] / out[2]:.2f}x")


if __name__ == "__main__":
    main()

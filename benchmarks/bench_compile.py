"""Compile-latency benchmark: what a user waits for before the first simulation.

Run: ``python benchmarks/bench_compile.py [--sizes 10 30]``. Prints medians and ratios;
asserts nothing. Each measurement runs in a fresh subprocess with its own kernel cache, so
"cold" includes numba compiling the six kernels, "warm" is a second process that loads them
from the on-disk cache, and "python" is ``compile_model(jit=False)`` (generated code imported
as plain Python, no numba). Sizes are numbers of cascade stages (3 species, 3 reactions each,
Hill-type activation, two compartments, a pharmacology-style assignment rule).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import textwrap

from timing import child_json

_CHILD = textwrap.dedent(
    """
    import json, sys, time
    t0 = time.perf_counter()
    from jaksim.compile import compile_model
    from jaksim.spec.model import Assignment, Compartment, Model, Parameter, Reaction, Species
    t_import = time.perf_counter() - t0
    n, jit = int(sys.argv[1]), sys.argv[2] == "1"
    sp, rx, pars = [], [], [Parameter("occ", 0.2), Parameter("act", 1.0, constant=False)]
    for i in range(n):
        up = f"pX{i - 1}" if i else "X0"
        sp += [Species(f"X{i}", "cyt", 10.0), Species(f"pX{i}", "cyt"), Species(f"pXn{i}", "nuc")]
        pars += [Parameter(f"k{i}", 0.1), Parameter(f"kd{i}", 0.05), Parameter(f"ki{i}", 0.02)]
        rx += [
            Reaction(f"ph{i}", ((f"X{i}", 1),), ((f"pX{i}", 1),),
                     f"act*k{i}*hill({up}, 5, 2)*X{i}", compartment="cyt"),
            Reaction(f"imp{i}", ((f"pX{i}", 1),), ((f"pXn{i}", 1),), f"ki{i}*pX{i}",
                     compartment="cyt"),
            Reaction(f"dp{i}", ((f"pXn{i}", 1),), ((f"X{i}", 1),),
                     f"kd{i}*pXn{i}/(1 + pXn{i}/10)", compartment="nuc"),
        ]
    comps = (Compartment("cyt", 1.4), Compartment("nuc", 0.45))
    model = Model(id=f"cascade{n}", compartments=comps,
                  species=tuple(sp), parameters=tuple(pars), reactions=tuple(rx),
                  assignments=(Assignment("act", "1 - occ"),))
    t1 = time.perf_counter()
    c = compile_model(model, jit=jit)
    t_compile = time.perf_counter() - t1
    print(json.dumps({"import": t_import, "compile": t_compile, "n_state": c.n_state,
                      "nnz_jac": int(c.jac_sparsity.sum())}))
    """
)


def _run(n: int, jit: bool, cache: str) -> dict:
    env = dict(os.environ, JAKSIM_CACHE_DIR=cache)
    return child_json(["-c", _CHILD, str(n), "1" if jit else "0"], env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 30])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{'stages':>6} {'states':>6} {'nnz(J)':>6} {'cold s':>8} {'warm s':>8} "
          f"{'python s':>8} {'cold/warm':>9}")  # fmt: skip
    for n in args.sizes:
        cold, warm, python = [], [], []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as cache:
                python.append(_run(n, False, cache)["compile"])
                first = _run(n, True, cache)
                cold.append(first["compile"])
                warm.append(_run(n, True, cache)["compile"])
        c, w, p = (statistics.median(x) for x in (cold, warm, python))
        print(f"{n:>6} {first['n_state']:>6} {first['nnz_jac']:>6} {c:>8.2f} {w:>8.3f} "
              f"{p:>8.3f} {c / w:>9.1f}")  # fmt: skip


if __name__ == "__main__":
    main()

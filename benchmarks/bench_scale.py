"""Size and scale benchmark (issue 15): compile times of very large or deeply nested models.

Run: ``python benchmarks/bench_scale.py [--cases chain250 chain1000 ...] [--timeout 300]``.
Each case runs in a fresh subprocess with a fresh kernel cache, twice: "cold" (empty cache)
and "warm" (a second process on the same cache). ``compile_model(jit=False)`` isolates
everything jaksim does itself (layout, code generation, conservation laws) from numba;
``--jit`` adds numba. Prints seconds (or ``>timeout``); asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap

_CHILD = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, "tests")
    from scale_models import build
    from jaksim.compile import compile_model
    model = build(sys.argv[1])
    t0 = time.perf_counter()
    c = compile_model(model, jit=sys.argv[2] == "1")
    print(json.dumps({"compile": time.perf_counter() - t0, "n_state": c.n_state,
                      "n_laws": int(c.conservation.shape[0])}))
    """
)

CASES = ["chain250", "chain1000", "chain5000", "branched1000", "hill10", "sum5000",
         "rules5000", "parens1000", "piecewise300"]  # fmt: skip


def _run(case: str, jit: bool, cache: str, timeout: float) -> dict | None:
    env = dict(os.environ, JAKSIM_CACHE_DIR=cache)
    try:
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, case, "1" if jit else "0"],
            env=env, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return None
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["?"])[-1][:100]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", nargs="+", default=CASES)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--jit", action="store_true")
    args = parser.parse_args()
    print(f"{'case':>14} {'states':>6} {'laws':>5} {'cold s':>10} {'warm s':>10}")
    for case in args.cases:
        with tempfile.TemporaryDirectory() as cache:
            res = [_run(case, args.jit, cache, args.timeout) for _ in range(2)]
        cells = []
        for r in res:
            if r is None:
                cells.append(f">{args.timeout:.0f}")
            elif "error" in r:
                cells.append("error")
            else:
                cells.append(f"{r['compile']:.3f}")
        info = next((r for r in res if r and "error" not in r), {})
        errs = [r["error"] for r in res if r and "error" in r]
        print(f"{case:>14} {info.get('n_state', '?'):>6} {info.get('n_laws', '?'):>5} "
              f"{cells[0]:>10} {cells[1]:>10} {errs[0] if errs else ''}")  # fmt: skip


if __name__ == "__main__":
    main()

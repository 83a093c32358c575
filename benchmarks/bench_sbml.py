"""jaksim vs libRoadRunner on the same SBML: load + compile, one simulation, a 1,000-member
ensemble, and the largest difference between their solutions.

Models: shipped pathway models (exported to SBML L3V2 first, so both tools load and simulate
the same file; jaksim's importer turns the exported inputs back into inputs) and published
JAK/STAT models vendored in ``tests/data/sbml/`` (Swameye 2003, Raia 2011; the latter with
its stimulus ``il13_level`` set to 20 in both tools). Both integrate at the
same tolerances (rtol 1e-8, atol 1e-10). Ensembles perturb every kinetic parameter by a
log-normal factor (sigma 0.2, seed 1): jaksim's ``simulate_ensemble`` (Rodas, thread pool)
against a RoadRunner Python loop (``reset``, set values, ``simulate``). For models with events
``simulate`` / ``simulate_ensemble`` run jaksim's SBML event driver
(:func:`jaksim.simulation.events.simulate_events`: Rodas between events, driven from Python)
one member at a time, because the ensemble kernel does not execute events.

Load times: "cold" runs in a fresh process with an empty kernel cache (numba compiles the
kernels), "cached" in a second fresh process reusing that cache; RoadRunner's time is its
``RoadRunner(sbml)`` constructor (LLVM JIT) in the same kind of processes.

Usage::

    python benchmarks/bench_sbml.py [--models il6,ifng,epo] [--members 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from timing import child_json, wall_times

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "sbml"
#: name -> (SBML file, end time in the model's time unit (min), stimulus parameter values)
PUBLISHED = {
    "Swameye_PNAS2003": (DATA / "Swameye_PNAS2003.xml", 60.0, {}),
    "Raia_CancerResearch2011": (DATA / "Raia_CancerResearch2011.xml", 120.0, {"il13_level": 20.0}),
}
RTOL, ATOL = 1e-8, 1e-10

_LOAD_SNIPPET = """
import sys, time, json
t0 = time.perf_counter()
if sys.argv[1] == "jaksim":
    from jaksim.io.sbml_import import load_sbml
    from jaksim.compile.compiled import compile_model
    t0 = time.perf_counter()
    compile_model(load_sbml(sys.argv[2]), jit=True)
else:
    import roadrunner
    t0 = time.perf_counter()
    roadrunner.RoadRunner(sys.argv[2])
print(json.dumps(time.perf_counter() - t0))
"""


def load_times(tool: str, sbml: Path) -> tuple[float, float]:
    """(cold, cached) seconds to load + compile ``sbml`` in fresh processes."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, JAKSIM_CACHE_DIR=cache)
        out = []
        for _ in range(2):
            out.append(child_json(["-c", _LOAD_SNIPPET, tool, str(sbml)], env))
    return out[0], out[1]


def _best(f, repeat: int = 3) -> float:
    return min(wall_times(f, repeat))


def bench_model(
    name: str,
    sbml: Path,
    t: np.ndarray,
    members: int,
    event_members: int = 200,
    stimulus: dict[str, float] | None = None,
) -> dict:
    """One table row. ``stimulus``: parameter values set in both tools."""
    import roadrunner

    from jaksim.compile.compiled import compile_model
    from jaksim.io.sbml_import import load_sbml
    from jaksim.simulation import simulate, simulate_ensemble

    row: dict = {"model": name}
    row["jaksim_cold"], row["jaksim_cached"] = load_times("jaksim", sbml)
    row["rr_cold"], row["rr_cached"] = load_times("roadrunner", sbml)

    model = load_sbml(sbml)
    cm = compile_model(model, jit=True)
    has_events = bool(model.events)
    rr = roadrunner.RoadRunner(str(sbml))
    rr.integrator.relative_tolerance, rr.integrator.absolute_tolerance = RTOL, ATOL
    species = [s for s in cm.state_ids if s in model.species_ids()]
    sel = [f"[{s}]" for s in species]
    stimulus = stimulus or {}

    def ours():
        return simulate(cm, t, params=stimulus, rtol=RTOL, atol=ATOL)

    def rr_reset():
        rr.reset()
        for k, v in stimulus.items():
            rr[k] = v

    def theirs():
        rr_reset()
        return np.asarray(rr.simulate(float(t[0]), float(t[-1]), t.size, selections=sel))

    row["jaksim_sim"] = _best(ours)
    row["rr_sim"] = _best(theirs)
    a = ours()
    b = theirs()
    rel = [np.max(np.abs(a[s] - b[:, k])) / max(np.abs(a[s]).max(), 1e-12)
           for k, s in enumerate(species)]  # fmt: skip
    row["max_rel_diff"] = float(max(rel))

    # ensemble: every kinetic (non-input) parameter times a log-normal factor
    members = min(members, event_members) if has_events else members
    kinetic = [p.id for p in model.parameters if p.constant and p.value > 0]
    base = np.array([model.get_parameter(k).value for k in kinetic])
    rng = np.random.default_rng(1)
    matrix = base * np.exp(0.2 * rng.standard_normal((members, len(kinetic))))
    t0 = time.perf_counter()
    ens = simulate_ensemble(cm, t, params=stimulus, param_matrix=matrix, param_names=kinetic,
                            rtol=RTOL, atol=ATOL)  # fmt: skip
    row["jaksim_ens"] = time.perf_counter() - t0
    row["jaksim_ens_failed"] = ens.n_failed
    t0 = time.perf_counter()
    for m in range(members):
        rr_reset()
        for k, v in zip(kinetic, matrix[m], strict=False):
            rr[k] = v
        rr.simulate(float(t[0]), float(t[-1]), t.size, selections=sel)
    row["rr_ens"] = time.perf_counter() - t0
    row["events"] = has_events
    row["members"] = members
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--models", default="il6,ifng,epo,il2,Swameye_PNAS2003,Raia_CancerResearch2011"
    )
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument(
        "--event-members",
        type=int,
        default=200,
        help="ensemble size for models with events (Python loop)",
    )
    args = parser.parse_args(argv)

    from jaksim.io.registry import load_model
    from jaksim.io.sbml_export import write_sbml

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            stimulus: dict[str, float] = {}
            if name in PUBLISHED:
                sbml, t_end, stimulus = PUBLISHED[name]
                t = np.linspace(0.0, t_end, 61)  # minutes
            else:
                sbml = write_sbml(load_model(name), Path(tmp) / f"{name}.xml")
                t = np.linspace(0.0, 3600.0, 61)  # seconds
            rows.append(bench_model(name, sbml, t, args.members, args.event_members, stimulus))
            print(json.dumps(rows[-1]), flush=True)

    head = ("model", "load cold s (jaksim/rr/ratio)", "load cached s (jaksim/rr/ratio)",
            "1 sim ms (jaksim/rr/ratio)", "ensemble s (jaksim/rr/ratio)",
            "max rel diff")  # fmt: skip
    print("\n| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:

        def trio(a: float, b: float, scale: float = 1.0) -> str:
            return f"{a * scale:.3g} / {b * scale:.3g} / {a / b:.2g}"

        name = r["model"] + f" (n={r['members']}" + (", events: loop)" if r["events"] else ")")
        print(f"| {name} | {trio(r['jaksim_cold'], r['rr_cold'])} | "
              f"{trio(r['jaksim_cached'], r['rr_cached'])} | "
              f"{trio(r['jaksim_sim'], r['rr_sim'], 1e3)} | {trio(r['jaksim_ens'], r['rr_ens'])} | "
              f"{r['max_rel_diff']:.1e} |")  # fmt: skip
    print("\nratio = jaksim / libRoadRunner (below 1: jaksim faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Engine benchmark: jaksim's compiled kernels + Rodas5 vs scipy with a hand-written Python RHS.

Run: ``python benchmarks/bench_engine.py [--quick]``. Prints medians and ratios; asserts nothing.

The model is generated here (so the script is self-contained): a JAK/STAT-like mass-action
cascade of ~36 species - ligand binding, receptor dimerisation, JAK activation, two STATs
(recruitment, phosphorylation, dimerisation, nuclear import, dephosphorylation, export),
target genes (nuclear and cytoplasmic mRNA, protein) and SOCS feedback on the receptor.
The same reaction list drives (a) a plain Python RHS that loops over reactions, as a user
would write it for ``scipy.integrate.solve_ivp``, and (b) a jaksim ``Model`` that is compiled.
All solvers run at rtol=1e-6, atol=1e-9 (nM) over 0..3600 s with 61 output times.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
import tracemalloc

import numpy as np
from timing import child_json, wall_times

RTOL, ATOL = 1e-6, 1e-9
T_EVAL = np.linspace(0.0, 3600.0, 61)


def cascade(n_genes: int = 6):
    """Species (id, initial nM), parameters (id, value) and mass-action reactions."""
    species = {"R1": 10.0, "R2": 10.0, "LR1": 0.0, "LR1R2": 0.0, "LR1R2p": 0.0, "LRp_SOCS": 0.0}
    params = {"L": 1.0, "kon": 0.02, "koff": 0.01, "kdim": 0.05, "kundim": 0.02,
              "kact": 0.5, "kdeact": 0.05, "ksocs_on": 0.01, "ksocs_off": 0.001,
              "kint": 1e-3}  # fmt: skip
    rx = [
        (["R1"], ["LR1"], "kon*L"),  # ligand clamped (parameter L)
        (["LR1"], ["R1"], "koff"),
        (["LR1", "R2"], ["LR1R2"], "kdim"),
        (["LR1R2"], ["LR1", "R2"], "kundim"),
        (["LR1R2"], ["LR1R2p"], "kact"),
        (["LR1R2p"], ["LR1R2"], "kdeact"),
        (["LR1R2p", "P0"], ["LRp_SOCS"], "ksocs_on"),
        (["LRp_SOCS"], ["LR1R2p", "P0"], "ksocs_off"),
        (["LRp_SOCS"], [], "kint"),
        (["LR1R2p"], [], "kint"),
    ]
    for s, (s0, krec) in {"S1": (1000.0, 0.01), "S3": (800.0, 0.004)}.items():
        species.update({s: s0, f"RS_{s}": 0.0, f"p{s}": 0.0, f"D{s}": 0.0, f"D{s}_n": 0.0,
                        f"{s}_n": 0.0})  # fmt: skip
        params.update({f"krec_{s}": krec, f"krel_{s}": 0.1, f"kp_{s}": 0.5, f"kd_{s}": 0.002,
                       f"kud_{s}": 0.01, f"kimp_{s}": 0.005, f"kdp_{s}": 0.003,
                       f"kexp_{s}": 0.01, f"kcdp_{s}": 0.005})  # fmt: skip
        rx += [
            (["LR1R2p", s], [f"RS_{s}"], f"krec_{s}"),
            ([f"RS_{s}"], ["LR1R2p", s], f"krel_{s}"),
            ([f"RS_{s}"], ["LR1R2p", f"p{s}"], f"kp_{s}"),
            ([f"p{s}", f"p{s}"], [f"D{s}"], f"kd_{s}"),
            ([f"D{s}"], [f"p{s}", f"p{s}"], f"kud_{s}"),
            ([f"p{s}"], [s], f"kcdp_{s}"),
            ([f"D{s}"], [f"D{s}_n"], f"kimp_{s}"),
            ([f"D{s}_n"], [f"{s}_n", f"{s}_n"], f"kdp_{s}"),
            ([f"{s}_n"], [s], f"kexp_{s}"),
        ]
    for g in range(n_genes):
        s = "DS1_n" if g % 2 == 0 else "DS3_n"
        species.update({f"mN{g}": 0.0, f"mC{g}": 0.0, f"P{g}": 0.0})
        params.update({f"ktx{g}": 0.01 * (1 + g), f"kex{g}": 0.005, f"kdm{g}": 1e-3,
                       f"ktl{g}": 0.05, f"kdg{g}": 5e-4})  # fmt: skip
        rx += [
            ([s], [s, f"mN{g}"], f"ktx{g}"),
            ([f"mN{g}"], [f"mC{g}"], f"kex{g}"),
            ([f"mC{g}"], [], f"kdm{g}"),
            ([f"mC{g}"], [f"mC{g}", f"P{g}"], f"ktl{g}"),
            ([f"P{g}"], [], f"kdg{g}"),
        ]
    return species, params, rx


def python_rhs(species, params, rx):
    """A user's hand-written RHS: a Python loop over reactions (mass action)."""
    idx = {s: i for i, s in enumerate(species)}
    table = []
    for reac, prod, rate in rx:
        k = 1.0
        for factor in rate.split("*"):
            k *= params[factor]
        table.append(([idx[s] for s in reac], [idx[s] for s in prod], k))
    n = len(species)

    def rhs(t, y):
        dy = np.zeros(n)
        for reac, prod, k in table:
            v = k
            for i in reac:
                v *= y[i]
            for i in reac:
                dy[i] -= v
            for i in prod:
                dy[i] += v
        return dy

    return rhs


def jaksim_model(species, params, rx):
    from jaksim.spec.model import Compartment, Model, Parameter, Reaction, Species

    def stoich(ids):
        out: dict[str, float] = {}
        for s in ids:
            out[s] = out.get(s, 0.0) + 1.0
        return tuple(out.items())

    return Model(
        id="bench_cascade",
        compartments=(Compartment("cell", 1.0, assumed="benchmark"),),
        species=tuple(Species(s, "cell", v, assumed="benchmark") for s, v in species.items()),
        parameters=tuple(Parameter(p, v, assumed="benchmark") for p, v in params.items()),
        reactions=tuple(
            Reaction(
                f"r{i}", stoich(reac), stoich(prod), "*".join([rate, *reac]), compartment="cell"
            )
            for i, (reac, prod, rate) in enumerate(rx)
        ),  # fmt: skip
    )


def median_time(fn, repeats: int) -> float:
    return statistics.median(wall_times(fn, repeats))


def child(mode: str) -> None:
    """Subprocess body: time import + compile + first simulation (cold or warm caches)."""
    t0 = time.perf_counter()
    from jaksim.compile import compile_model
    from jaksim.simulation import simulate

    cm = compile_model(jaksim_model(*cascade()))
    t1 = time.perf_counter()
    simulate(cm, T_EVAL, rtol=RTOL, atol=ATOL)
    t2 = time.perf_counter()
    print(json.dumps({"mode": mode, "compile": t1 - t0, "first_sim": t2 - t1, "total": t2 - t0}))


def compile_times() -> tuple[dict, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, JAKSIM_CACHE_DIR=f"{tmp}/k", NUMBA_CACHE_DIR=f"{tmp}/n")
        runs = []
        for mode in ("cold", "warm"):
            runs.append(child_json([__file__, "--child", mode], env))
    return runs[0], runs[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repeats, 200-member ensemble")
    ap.add_argument("--child")
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    import numba
    from scipy.integrate import solve_ivp

    from jaksim.compile import compile_model
    from jaksim.simulation import simulate, simulate_ensemble

    species, params, rx = cascade()
    y0 = np.array(list(species.values()))
    f_py = python_rhs(species, params, rx)
    cm = compile_model(jaksim_model(species, params, rx))
    n_members = 200 if args.quick else 1000
    reps = 3 if args.quick else 7
    print(f"model: {len(species)} species, {len(rx)} reactions; rtol={RTOL}, atol={ATOL}")

    rows = []

    def add(name, seconds, ref=None):
        rows.append((name, seconds))
        print(f"  {name:<44s} {seconds * 1e3:10.2f} ms", flush=True)

    ref = {}
    for method in ("LSODA", "BDF"):
        sol = solve_ivp(f_py, (0, 3600), y0, method=method, t_eval=T_EVAL, rtol=RTOL, atol=ATOL)
        ref[method] = sol.y.T
        add(f"scipy {method} + Python RHS", median_time(
            lambda m=method: solve_ivp(f_py, (0, 3600), y0, method=m, t_eval=T_EVAL,
                                       rtol=RTOL, atol=ATOL), max(1, reps // 2)))  # fmt: skip
    for solver in ("lsoda", "bdf"):
        simulate(cm, T_EVAL, solver=solver, rtol=RTOL, atol=ATOL)
        add(
            f"jaksim kernels via scipy {solver.upper()}",
            median_time(
                lambda s=solver: simulate(cm, T_EVAL, solver=s, rtol=RTOL, atol=ATOL), reps
            ),
        )
    res = simulate(cm, T_EVAL, rtol=RTOL, atol=ATOL)
    t_rodas = median_time(lambda: simulate(cm, T_EVAL, rtol=RTOL, atol=ATOL), 5 * reps)
    add("jaksim rodas (single simulation)", t_rodas)
    order = [cm.state_ids.index(s) for s in species]
    scale = np.abs(ref["LSODA"]).max(axis=0) + 1e-3
    dev = np.max(np.abs(res.states[:, order] - ref["LSODA"]) / scale)
    print(f"  rodas vs LSODA max deviation / species max: {dev:.2e}; steps {res.stats}")

    rng = np.random.default_rng(0)
    kon = params["kon"] * rng.lognormal(0.0, 0.5, n_members)
    kact = params["kact"] * rng.lognormal(0.0, 0.5, n_members)
    ens_kw = {"params": {"kon": kon, "kact": kact}, "rtol": RTOL, "atol": ATOL}
    simulate_ensemble(cm, T_EVAL, n_threads=1, **{**ens_kw, "params": {"kon": kon[:2],
                      "kact": kact[:2]}})  # fmt: skip
    n_cores = numba.config.NUMBA_NUM_THREADS
    cpu = {}
    for threads in (1, n_cores):
        c0 = time.process_time()
        wall = median_time(
            lambda k=threads: simulate_ensemble(cm, T_EVAL, n_threads=k, **ens_kw), 3
        )
        cpu[threads] = (time.process_time() - c0) / 3
        add(f"ensemble {n_members} members, {threads} thread(s)", wall)
        cpu[threads] = (wall, cpu[threads])
    t1, tn = cpu[1][0], cpu[n_cores][0]

    tracemalloc.start()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ens = simulate_ensemble(cm, T_EVAL, n_threads=n_cores, **ens_kw)
    _, py_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cold, warm = compile_times()

    t_lsoda = rows[0][1]
    print("\nsummary")
    print(f"  rodas speed-up vs scipy LSODA + Python RHS : {t_lsoda / t_rodas:8.1f}x")
    print(f"  rodas speed-up vs scipy BDF + Python RHS   : {rows[1][1] / t_rodas:8.1f}x")
    print(f"  rodas speed-up vs jaksim kernels via LSODA : {rows[2][1] / t_rodas:8.1f}x")
    print(f"  per-member time in ensemble (1 thread)     : {t1 / n_members * 1e3:8.3f} ms")
    print(f"  ensemble scaling 1 -> {n_cores} threads            : {t1 / tn:8.2f}x")
    print(
        f"  CPU seconds per wall second, {n_cores} threads     : {cpu[n_cores][1] / tn:8.2f} "
        f"(< {n_cores} means the cores were not free: {os.getloadavg()[0]:.1f} load average)"
    )
    print(f"  ensemble failures                          : {ens.n_failed}")
    print(
        f"  ensemble peak Python allocations (tracemalloc): {py_peak / 2**20:6.1f} MiB; "
        f"process max RSS {rss1 / 1024:.0f} MiB (grew {(rss1 - rss0) / 1024:.0f} MiB)"
    )
    print(
        f"  cold start (fresh caches): import+compile {cold['compile']:.1f} s, first simulation "
        f"{cold['first_sim']:.1f} s"
    )
    print(
        f"  warm start (cached)      : import+compile {warm['compile']:.2f} s, first simulation "
        f"{warm['first_sim']:.2f} s"
    )


if __name__ == "__main__":
    main()

"""Virtual AD trial benchmark: 1,000 virtual patients x 9 arms x 16 weeks.

Run: ``python benchmarks/bench_ad_trials.py [--patients 1000]``. Prints wall time, the share
spent in the signalling layer (whole-blood dose-response panels of 8 pathways x 5 drugs, PK
from the first dose and 3-hour inhibition means for 20 popPK draws per arm) and in the disease
layer (1000-week baselines, AD model and haematology ODEs on jaksim's Rodas), and the peak
resident memory; asserts nothing. Kernels are compiled beforehand (a warm-up run of 5
patients), so compile time is not counted. Cores: numba's thread count (``NUMBA_NUM_THREADS``).
"""

from __future__ import annotations

import argparse
import resource
import time

import numba

from jaksim.clinic.coupling import pathway_responses
from jaksim.clinic.trial import run_trial, summarize_endpoints
from jaksim.experiment.kinds_clinic import arms_of
from jaksim.experiment.loading import load_config
from jaksim.io.registry import shipped_path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=1000)
    args = ap.parse_args()
    loaded = load_config(shipped_path("experiments", "ad_trials"))
    arms = arms_of(loaded.section)
    drugs = sorted({a.drug for a in arms if a.drug})
    # warm-up: compile every kernel (pathways, AD model, haematology) outside the timing
    warm = pathway_responses(drugs)
    run_trial(arms, n_patients=5, weeks=2, responses=warm, pk_samples=2)
    tic = time.perf_counter()
    responses = pathway_responses(drugs)
    t_panel = time.perf_counter() - tic
    tic = time.perf_counter()
    res = run_trial(arms, n_patients=args.patients, weeks=16, seed=1, responses=responses)
    t_trial = time.perf_counter() - tic
    summarize_endpoints(res)
    total = t_panel + t_trial
    signalling = t_panel + res.timing["signalling"]
    disease = res.timing["disease"]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"{args.patients} virtual patients x {len(arms)} arms x 16 weeks, "
          f"{numba.get_num_threads()} threads")  # fmt: skip
    print(f"total              : {total:7.1f} s")
    print(f"signalling layer   : {signalling:7.1f} s ({100 * signalling / total:.0f} %; "
          f"dose-response panels {t_panel:.1f} s)")  # fmt: skip
    print(f"disease layer      : {disease:7.1f} s ({100 * disease / total:.0f} %)")
    print(f"peak RSS           : {rss:7.0f} MiB")


if __name__ == "__main__":
    main()

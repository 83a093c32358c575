"""Parameter recovery on a synthetic problem generated here: multistart finds the maximum
likelihood, whose value is at most the one at the true parameters, and the true parameters
lie inside the 95 % profile-likelihood intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _petab_tiny import CHAIN, chain_solution, sbml_text, write_problem

from jaksim.fit import PetabObjective, load_petab, multistart, profile, sample_starts

TRUE = {"k1": 0.3, "k2": 0.1, "scale": 2.5}
SIGMA = 0.05


def _synthetic(tmp_path):
    rng = np.random.default_rng(42)
    times = [0.5, 1, 2, 3, 5, 8, 12, 16, 20]
    rows = []
    for cond, a0 in (("c1", 1.0), ("c2", 2.0)):
        a, b = chain_solution(times, TRUE["k1"], TRUE["k2"], a0)
        for t, av, bv in zip(times, a, b, strict=True):
            rows.append(["obs_A", "", cond, av + SIGMA * rng.standard_normal(), t, "", ""])
            rows.append(["obs_B", "", cond, TRUE["scale"] * bv + SIGMA * rng.standard_normal(),
                         t, "scale", ""])  # fmt: skip
    return write_problem(
        tmp_path, sbml=sbml_text(**CHAIN),
        observables=[["obs_A", "A", str(SIGMA), "lin", "normal"],
                     ["obs_B", "observableParameter1_obs_B * B", str(SIGMA), "lin", "normal"]],
        condition_cols=["A"], conditions=[["c1", 1.0], ["c2", 2.0]], measurements=rows,
        parameters=[["k1", "log10", 1e-3, 1e2, 1.0, 1], ["k2", "log10", 1e-3, 1e2, 1.0, 1],
                    ["scale", "log10", 1e-2, 1e2, 1.0, 1]],
    )  # fmt: skip


def test_sample_starts_latin_hypercube_in_bounds_and_seeded(tmp_path):
    problem = load_petab(_synthetic(tmp_path))
    X = sample_starts(problem, 8, seed=3)
    lb, ub = problem.bounds
    assert X.shape == (8, 3) and np.all(X >= lb) and np.all(X <= ub)
    # one start per eighth of every axis (Latin hypercube property)
    strata = np.floor((X - lb) / (ub - lb) * 8).astype(int)
    assert all(sorted(strata[:, j]) == list(range(8)) for j in range(3))
    np.testing.assert_array_equal(X, sample_starts(problem, 8, seed=3))
    assert not np.allclose(X, sample_starts(problem, 8, seed=4))


def test_multistart_recovers_parameters_within_profile_intervals(tmp_path):
    problem = load_petab(_synthetic(tmp_path))
    obj = PetabObjective(problem)
    result = multistart(problem, 6, seed=0, objective=obj)
    best = result.best
    true_theta = np.log10([TRUE["k1"], TRUE["k2"], TRUE["scale"]])
    assert best.fval <= obj(true_theta) + 1e-6
    table = result.to_dataframe()
    assert list(table["fval"]) == sorted(table["fval"]) and len(table) == 6
    assert np.isfinite(best.fval) and best.grad_norm < 1e-3
    for k, pid in enumerate(("k1", "k2")):
        pr = profile(obj, best.x, pid, step=0.02)
        lo, hi = pr.ci
        assert math.isfinite(lo) and math.isfinite(hi), pr.to_dataframe()
        assert lo < best.x[k] < hi
        assert lo < true_theta[k] < hi, (pid, pr.ci, true_theta[k])
        # the profile never goes below the optimum (else the multistart missed the optimum)
        assert np.all(pr.fvals >= best.fval - 1e-6)
        lin_lo, lin_hi = pr.ci_linear
        assert lin_lo == pytest.approx(10**lo) and lin_hi == pytest.approx(10**hi)


@pytest.mark.slow
def test_multistart_in_worker_processes_matches_in_process(tmp_path):
    yaml = _synthetic(tmp_path)
    one = multistart(yaml, 4, seed=1, workers=1)
    two = multistart(yaml, 4, seed=1, workers=2)
    np.testing.assert_allclose([s.fval for s in one.starts], [s.fval for s in two.starts],
                               rtol=1e-8)  # fmt: skip


def test_cli_fit_and_profile_write_tables_and_figures(tmp_path, capsys):
    import json

    import pandas as pd

    from jaksim.cli.main import main

    yaml = _synthetic(tmp_path / "problem")
    out = tmp_path / "fit"
    assert main(["fit", str(yaml), "--starts", "3", "--seed", "2", "--out", str(out)]) == 0
    starts = pd.read_csv(out / "starts.csv")
    assert len(starts) == 3 and list(starts["fval"]) == sorted(starts["fval"])
    best = json.loads((out / "best.json").read_text())
    assert best["fval"] == pytest.approx(starts["fval"].iloc[0])
    assert best["linear"]["k1"] == pytest.approx(10 ** best["theta"]["k1"])
    fit = pd.read_csv(out / "best_fit.csv")
    assert {"simulation", "sigma", "measurement"} <= set(fit.columns) and len(fit) == 36
    for name in ("waterfall.png", "best_fit.png"):
        assert (out / name).stat().st_size > 1000
    capsys.readouterr()
    assert main(["profile", str(yaml), "--parameter", "k1", "--from", str(out / "best.json"),
                 "--out", str(out)]) == 0  # fmt: skip
    line = capsys.readouterr().out
    assert "k1:" in line and "95% CI" in line
    prof = pd.read_csv(out / "profile_k1.csv")
    assert prof["delta"].min() > -1e-6 and prof["delta"].max() > 1.92
    assert (out / "profile_k1.png").stat().st_size > 1000


def test_fides_reaches_the_lbfgsb_optimum(tmp_path):
    pytest.importorskip("fides", reason="optional [fit] extra")
    from jaksim.fit import minimize

    problem = load_petab(_synthetic(tmp_path))
    obj = PetabObjective(problem)
    x0 = np.log10([1.0, 0.05, 1.0])
    a = minimize(obj, x0, method="lbfgsb")
    b = minimize(obj, x0, method="fides", maxiter=200)
    assert b.fval == pytest.approx(a.fval, abs=1e-5)
    np.testing.assert_allclose(b.x, a.x, atol=1e-3)

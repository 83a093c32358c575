"""PEtab import and objective on tiny problems written here, checked against analytic
solutions and the PEtab likelihood written out by hand; gradients against finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _petab_tiny import CHAIN, chain_solution, fd_gradient_errors, sbml_text, write_problem

from jaksim.fit import PetabObjective, load_petab
from jaksim.spec.errors import PetabError

TIMES = [1.0, 2.0, 5.0, 10.0]
TRUE = {"k1": 0.3, "k2": 0.1, "A0": 1.7, "scale": 2.5, "sigma": 0.15}


def _chain_problem(tmp_path, transform="lin", distribution="normal"):
    rng = np.random.default_rng(1)
    rows = []
    for cond, a0, obs_par, noise_par, scale in (("c0", TRUE["A0"], "scale", "sigma",
                                                 TRUE["scale"]),
                                                ("c1", 2.0, "1.5", "0.2", 1.5)):  # fmt: skip
        _, b = chain_solution(TIMES, TRUE["k1"], TRUE["k2"], a0)
        for t, bv in zip(TIMES, b, strict=True):
            rows.append(["obs_B", "", cond, scale * bv * (1 + 0.1 * rng.standard_normal()), t,
                         obs_par, noise_par])  # fmt: skip
    return write_problem(
        tmp_path, sbml=sbml_text(**CHAIN),
        observables=[["obs_B", "observableParameter1_obs_B * B", "noiseParameter1_obs_B",
                      transform, distribution]],
        condition_cols=["A"], conditions=[["c0", "A0"], ["c1", 2.0]],
        measurements=rows,
        parameters=[["k1", "log10", 1e-3, 1e3, TRUE["k1"], 1],
                    ["k2", "log", 1e-3, 1e3, TRUE["k2"], 1],
                    ["A0", "lin", 0.1, 10, TRUE["A0"], 1],
                    ["scale", "log10", 1e-2, 1e2, TRUE["scale"], 1],
                    ["sigma", "log10", 1e-3, 1e1, TRUE["sigma"], 1]],
    )  # fmt: skip


def _hand_nllh(problem, transform, distribution):
    """PEtab v1 negative log-likelihood written out from the analytic solution."""
    total = 0.0
    for _, row in problem.measurements.iterrows():
        a0 = TRUE["A0"] if row.simulationConditionId == "c0" else 2.0
        _, b = chain_solution([row.time], TRUE["k1"], TRUE["k2"], a0)
        scale = TRUE["scale"] if row.observableParameters == "scale" else 1.5
        sigma = TRUE["sigma"] if row.noiseParameters == "sigma" else 0.2
        y, m = scale * b[0], row.measurement
        if transform == "lin":
            r, jac = m - y, 0.0
        elif transform == "log":
            r, jac = math.log(m) - math.log(y), math.log(m)
        else:
            r, jac = math.log10(m) - math.log10(y), math.log(m * math.log(10))
        if distribution == "normal":
            total += 0.5 * math.log(2 * math.pi * sigma**2) + 0.5 * (r / sigma) ** 2 + jac
        else:
            total += math.log(2 * sigma) + abs(r) / sigma + jac
    return total


@pytest.mark.parametrize("transform,distribution",
                         [("lin", "normal"), ("log", "normal"), ("log10", "normal"),
                          ("log10", "laplace"), ("lin", "laplace")])  # fmt: skip
def test_objective_matches_hand_formula(tmp_path, transform, distribution):
    problem = load_petab(_chain_problem(tmp_path, transform, distribution))
    obj = PetabObjective(problem, rtol=1e-11, atol=1e-14)
    res = obj.evaluate()
    assert res.nllh == pytest.approx(_hand_nllh(problem, transform, distribution), rel=1e-7)
    # scales: k1 log10, k2 natural log, A0 lin, as written in the table
    np.testing.assert_allclose(problem.nominal_theta[:3],
                               [math.log10(0.3), math.log(0.1), 1.7], rtol=1e-12)  # fmt: skip


@pytest.mark.parametrize("distribution", ["normal", "laplace"])
def test_gradient_matches_finite_differences(tmp_path, distribution):
    problem = load_petab(_chain_problem(tmp_path, "log10", distribution))
    obj = PetabObjective(problem, rtol=1e-11, atol=1e-14)
    theta = problem.nominal_theta + np.array([0.1, -0.2, 0.3, 0.05, 0.1])  # away from optimum
    errs, g = fd_gradient_errors(obj, theta)
    assert np.all(np.abs(g) > 1e-6)
    assert errs.max() < 1e-5, errs


def _preeq_problem(tmp_path):
    model = sbml_text(
        species={"A": 0.0, "C": 0.0},
        params={"ksyn": 2.0, "kdeg": 0.5, "u": 1.0},
        reactions=[("syn", {}, {"A": 1}, "ksyn * u"), ("deg", {"A": 1}, {}, "kdeg * A"),
                   ("csyn", {}, {"C": 1}, "ksyn"), ("cdeg", {"C": 1}, {}, "kdeg * C")],
    )  # fmt: skip
    meas = []
    for sim in ("s1", "s2"):
        for t in (0.0, 0.5, 1.0, 3.0):
            meas.append(["obsA", "pre", sim, 5.0, t, "", ""])
            meas.append(["obsC", "pre", sim, 4.0, t, "", ""])
    return write_problem(
        tmp_path, sbml=model,
        observables=[["obsA", "A", "0.1", "lin", "normal"], ["obsC", "C", "0.1", "lin",
                                                               "normal"]],
        condition_cols=["u", "C"],
        conditions=[["pre", 1.0, 5.0], ["s1", 2.0, "nan"], ["s2", 3.0, "C0"]],
        measurements=meas,
        parameters=[["ksyn", "log10", 1e-2, 1e2, 2.0, 1], ["kdeg", "log10", 1e-2, 1e2, 0.5, 1],
                    ["C0", "lin", 0, 20, 7.0, 1]],
    )  # fmt: skip


def test_preequilibration_analytic_and_gradient(tmp_path):
    problem = load_petab(_preeq_problem(tmp_path))
    obj = PetabObjective(problem, rtol=1e-11, atol=1e-14)
    table = obj.simulation_table()
    ksyn, kdeg, c0 = 2.0, 0.5, 7.0
    for _, row in table.iterrows():
        t = row.time
        u = 2.0 if row.simulationConditionId == "s1" else 3.0
        if row.observableId == "obsA":  # from the u = 1 steady state to the new one
            ss_old, ss_new = ksyn / kdeg, ksyn * u / kdeg
            expect = ss_new + (ss_old - ss_new) * math.exp(-kdeg * t)
        elif row.simulationConditionId == "s1":  # NaN: keeps the pre-equilibrated value
            expect = ksyn / kdeg
        else:  # reset to C0 after pre-equilibration
            expect = ksyn / kdeg + (c0 - ksyn / kdeg) * math.exp(-kdeg * t)
        assert row.simulation == pytest.approx(expect, rel=1e-7), row.to_dict()
    theta = problem.nominal_theta + np.array([0.1, -0.1, 0.5])
    errs, _ = fd_gradient_errors(obj, theta)
    assert errs.max() < 1e-5, errs


def test_observable_and_noise_overrides_per_measurement(tmp_path):
    meas = [
        ["o1", "", "c0", 1.0, 2.0, "off1;sc", "0.1;0.05"],
        ["o1", "", "c0", 1.0, 5.0, "0.3;sc", "sd;0.05"],
        ["o2", "", "c0", 1.0, 5.0, "sc2", "0.2"],
        ["o2", "", "c1", 1.0, 5.0, "3.0", "0.2"],
    ]
    yaml = write_problem(
        tmp_path, sbml=sbml_text(**CHAIN),
        observables=[["o1", "observableParameter1_o1 + observableParameter2_o1 * A",
                      "noiseParameter1_o1 + noiseParameter2_o1 * A", "lin", "normal"],
                     ["o2", "observableParameter1_o2 * B", "noiseParameter1_o2", "log",
                      "normal"]],
        condition_cols=["A"], conditions=[["c0", 1.0], ["c1", 2.0]], measurements=meas,
        parameters=[["k1", "log10", 1e-3, 1e3, 0.3, 1], ["k2", "log10", 1e-3, 1e3, 0.1, 0],
                    ["off1", "lin", -5, 5, 0.7, 1], ["sc", "log10", 1e-2, 1e2, 2.0, 1],
                    ["sc2", "log10", 1e-2, 1e2, 4.0, 1], ["sd", "log10", 1e-3, 1, 0.3, 1]],
    )  # fmt: skip
    problem = load_petab(yaml)
    obj = PetabObjective(problem, rtol=1e-11, atol=1e-14)
    res = obj.evaluate()
    a2, _ = chain_solution([2.0], 0.3, 0.1, 1.0)
    a5, b5 = chain_solution([5.0], 0.3, 0.1, 1.0)
    _, b5c1 = chain_solution([5.0], 0.3, 0.1, 2.0)
    np.testing.assert_allclose(res.simulation, [0.7 + 2 * a2[0], 0.3 + 2 * a5[0], 4 * b5[0],
                                                3 * b5c1[0]], rtol=1e-8)  # fmt: skip
    np.testing.assert_allclose(res.sigma, [0.1 + 0.05 * a2[0], 0.3 + 0.05 * a5[0], 0.2, 0.2],
                               rtol=1e-8)  # fmt: skip
    assert problem.estimated_ids == ("k1", "off1", "sc", "sc2", "sd")  # k2 fixed
    errs, _ = fd_gradient_errors(obj, problem.nominal_theta + 0.05)
    assert errs.max() < 1e-5, errs


def test_unsupported_features_listed_in_one_error(tmp_path):
    yaml = write_problem(
        tmp_path, sbml=sbml_text(**CHAIN),
        observables=[["o", "B", "1", "logit", "poisson"]],
        condition_cols=["c"], conditions=[["c0", 2.0]],
        measurements=[["o", "", "c0", 1.0, "inf", "", ""]],
        parameters=[["k1", "logit", 0.1, 0.9, 0.3, 1]],
        parameter_extra=["objectivePriorType", "objectivePriorParameters"],
    )  # fmt: skip
    with open(yaml.parent / "parameters.tsv", "a") as fh:
        fh.write("k2\tlin\t0\t1\t0.1\t1\tuniform\t0;1\n")
    with pytest.raises(PetabError) as info:
        load_petab(yaml)
    msg = str(info.value)
    assert msg.startswith(str(yaml)) and "unsupported PEtab features" in msg
    for part in ("parameterScale logit", "observableTransformation 'logit'",
                 "noiseDistribution 'poisson'", "compartment", "time inf",
                 "objective prior types uniform"):  # fmt: skip
        assert part in msg, (part, msg)


def test_cli_nominal_prints_nllh(tmp_path, capsys):
    from jaksim.cli.main import main

    yaml = _chain_problem(tmp_path)
    assert main(["fit", str(yaml), "--nominal", "--rtol", "1e-11", "--atol", "1e-14"]) == 0
    out = capsys.readouterr().out.splitlines()
    line = next(x for x in out if x.startswith("nllh: "))
    problem = load_petab(yaml)
    assert float(line.split()[1]) == pytest.approx(_hand_nllh(problem, "lin", "normal"),
                                                   rel=1e-7)  # fmt: skip
    assert any(x.startswith("gradient norm: ") for x in out)
    bad = write_problem(tmp_path / "bad", sbml=sbml_text(**CHAIN),
                        observables=[["o", "B", "1", "lin", "poisson"]], condition_cols=["A"],
                        conditions=[["c0", 1.0]], measurements=[["o", "", "c0", 1, 1, "", ""]],
                        parameters=[["k1", "lin", 0, 1, 0.3, 1]])  # fmt: skip
    assert main(["fit", str(bad), "--nominal"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("jaksim: error: ") and "Traceback" not in err and "poisson" in err

"""Shipped PEtab benchmark problems (``shared/data/petab``): the objective at the nominal
parameters against an independent computation (scipy LSODA simulations per condition, tables
mapped and the likelihood written out here, scalar expression evaluation), simulations against
the collection's ``simulatedData`` files, and the sensitivity gradient against finite
differences."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _petab_tiny import fd_gradient_errors

import jaksim
from jaksim.fit import PetabObjective, load_petab
from jaksim.spec import expr as ex

ROOT = Path(__file__).resolve().parents[2] / "shared" / "data" / "petab"
if not ROOT.is_dir():
    ROOT = Path("/work/shared/data/petab")
pytestmark = pytest.mark.skipif(not ROOT.is_dir(), reason="shared PEtab problems not present")


def _yaml(name: str) -> Path:
    return ROOT / name / f"{name}.yaml"


def _independent_nllh(name: str) -> float:
    """PEtab v1 nllh at nominal values, from the raw tables, LSODA and scalar evaluation."""
    base = ROOT / name
    par = pd.read_csv(next(base.glob("parameters_*.tsv")), sep="\t").set_index("parameterId")
    nominal = par["nominalValue"].astype(float).to_dict()
    cond = pd.read_csv(next(base.glob("experimentalCondition_*.tsv")), sep="\t")
    cond = cond.set_index("conditionId").drop(columns=["conditionName"], errors="ignore")
    obs = pd.read_csv(next(base.glob("observables_*.tsv")), sep="\t").set_index("observableId")
    meas = pd.read_csv(next(base.glob("measurementData_*.tsv")), sep="\t")
    if "preequilibrationConditionId" not in meas.columns:
        meas["preequilibrationConditionId"] = ""
    meas["preequilibrationConditionId"] = (
        meas["preequilibrationConditionId"].astype(object).fillna("")
    )
    model = jaksim.io.sbml_import.load_sbml(next(base.glob("model_*.xml")))
    compiled = jaksim.compile.compile_model(model)

    def value(v):
        return nominal[v] if isinstance(v, str) else float(v)

    def params_of(cid):
        p = {k: v for k, v in nominal.items() if k in compiled.param_ids}
        p.update({k: value(v) for k, v in cond.loc[cid].items()})
        return p

    total = 0.0
    for (pre, sim), rows in meas.groupby(["preequilibrationConditionId",
                                          "simulationConditionId"]):  # fmt: skip
        times = np.unique(np.r_[0.0, rows["time"].to_numpy(float)])
        initial = None
        if pre:
            ss = jaksim.steady_state(compiled, params=params_of(pre))
            initial = dict(zip(ss.state_ids, ss.y, strict=True))
        res = jaksim.simulate(compiled, times, params=params_of(sim), initial=initial,
                              solver="lsoda", rtol=1e-11, atol=1e-14)  # fmt: skip
        env_t = {t: {**params_of(sim),
                     **dict(zip(res.state_ids, res.states[i], strict=True)),
                     **dict(zip(res.output_ids, res.outputs[i], strict=True))}
                 for i, t in enumerate(times)}  # fmt: skip
        for _, row in rows.iterrows():
            o = obs.loc[row.observableId]
            env = dict(env_t[row.time])
            for kind, col in (("observable", "observableParameters"),
                              ("noise", "noiseParameters")):  # fmt: skip
                text = str(row[col]) if pd.notna(row[col]) else ""
                for k, tok in enumerate([x for x in text.split(";") if x], start=1):
                    try:
                        env[f"{kind}Parameter{k}_{row.observableId}"] = float(tok)
                    except ValueError:
                        env[f"{kind}Parameter{k}_{row.observableId}"] = nominal[tok]
            env.update({k: v for k, v in nominal.items() if k not in env})
            y = ex.evaluate(ex.parse(str(o.observableFormula)), env, row.time)
            sigma = ex.evaluate(ex.parse(str(o.noiseFormula)), env, row.time)
            m = row.measurement
            tr = o.get("observableTransformation", "lin")
            if tr == "log10":
                r, jac = math.log10(m) - math.log10(y), math.log(m * math.log(10))
            elif tr == "log":
                r, jac = math.log(m) - math.log(y), math.log(m)
            else:
                r, jac = m - y, 0.0
            total += 0.5 * math.log(2 * math.pi * sigma**2) + 0.5 * (r / sigma) ** 2 + jac
    return total


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("Brannmark_JBC2010", marks=pytest.mark.slow),  # LSODA on it: ~25 s
        pytest.param("Fujita_SciSignal2010", marks=pytest.mark.slow),
        "Schwen_PONE2014",
    ],
)
def test_nominal_objective_matches_independent_computation(name):
    obj = PetabObjective(load_petab(_yaml(name)), rtol=1e-11, atol=1e-14)
    assert obj.evaluate().nllh == pytest.approx(_independent_nllh(name), rel=1e-6)


@pytest.mark.parametrize("name,tol", [("Brannmark_JBC2010", 1e-4), ("Schwen_PONE2014", 1e-6)])
def test_simulations_match_simulated_data(name, tol):
    """The collection's simulatedData (AMICI) row by row: same mapping, same trajectories."""
    problem = load_petab(_yaml(name))
    sim = PetabObjective(problem, rtol=1e-10, atol=1e-14).evaluate().simulation
    ref = pd.read_csv(next((ROOT / name).glob("simulatedData_*.tsv")), sep="\t")["simulation"]
    np.testing.assert_allclose(sim, ref.to_numpy(float), rtol=tol, atol=1e-10)


@pytest.mark.parametrize("name,ks", [
    ("Fujita_SciSignal2010", [2, 7, 17]),  # initial value, rate constant, observable scale
    pytest.param("Brannmark_JBC2010", [0, 9, 16], marks=pytest.mark.slow)])  # fmt: skip
def test_gradient_matches_finite_differences_shipped(name, ks):
    problem = load_petab(_yaml(name))
    obj = PetabObjective(problem, rtol=1e-11, atol=1e-15)
    theta = problem.nominal_theta + 0.05  # off the optimum: gradients well above FD noise
    assert fd_gradient_errors(obj, theta, ks, (1e-3,), floor=1e-2)[0].max() < 1e-5


@pytest.mark.slow
@pytest.mark.parametrize("name", ["Fujita_SciSignal2010", "Brannmark_JBC2010",
                                  "Schwen_PONE2014"])  # fmt: skip
def test_gradient_matches_finite_differences_all_parameters(name):
    problem = load_petab(_yaml(name))
    obj = PetabObjective(problem, rtol=1e-11, atol=1e-15)
    theta = problem.nominal_theta + 0.05
    errs, _ = fd_gradient_errors(obj, theta, floor=1e-2)
    assert errs.max() < 1e-5, dict(zip(problem.estimated_ids, errs, strict=True))


@pytest.mark.filterwarnings("ignore")  # pandas deprecations inside the petab library
def test_lint_uses_the_petab_library_and_says_how_to_install_it(monkeypatch):
    import importlib.util
    import sys

    from jaksim.fit import lint
    from jaksim.spec.errors import PetabError

    yaml = _yaml("Brannmark_JBC2010")
    if importlib.util.find_spec("petab") is not None:  # optional [fit] extra installed
        assert lint(yaml) == []  # a valid problem: no errors or warnings
    monkeypatch.setitem(sys.modules, "petab", None)
    monkeypatch.setitem(sys.modules, "petab.v1", None)
    with pytest.raises(PetabError, match=r"jaksim\[fit\]"):
        lint(yaml)


def test_fides_missing_gives_install_hint(monkeypatch):
    import sys

    from jaksim.fit import minimize
    from jaksim.spec.errors import PetabError

    problem = load_petab(_yaml("Fujita_SciSignal2010"))
    obj = PetabObjective(problem)
    monkeypatch.setitem(sys.modules, "fides", None)
    with pytest.raises(PetabError, match=r"jaksim\[fit\]"):
        minimize(obj, problem.nominal_theta, method="fides", maxiter=1)


@pytest.mark.filterwarnings("ignore")  # pandas deprecations inside the petab library
@pytest.mark.parametrize("name", ["Brannmark_JBC2010", "Schwen_PONE2014"])
def test_likelihood_matches_petab_library_on_same_simulations(name):
    """The reference implementation (petab.calculate_llh) on jaksim's simulated values."""
    petab = pytest.importorskip("petab.v1", reason="optional [fit] extra")
    from petab.v1.calculate import calculate_llh

    ref = petab.Problem.from_yaml(str(_yaml(name)))
    obj = PetabObjective(load_petab(_yaml(name)))
    res = obj.evaluate()
    sim = ref.measurement_df.rename(columns={"measurement": "simulation"})
    sim["simulation"] = res.simulation
    llh = calculate_llh(ref.measurement_df, sim, ref.observable_df, ref.parameter_df)
    assert res.nllh == pytest.approx(-llh, rel=1e-12)

"""In-silico assays: enzyme self-check, whole-blood IC50s and clinical exposure against
published behaviour (sources in models/drugs.toml and docs/pharmacology.md)."""

from __future__ import annotations

import numpy as np
import pytest

from jaksim.analysis.hill import fit_hill
from jaksim.experiment.loading import load_config
from jaksim.io.registry import shipped_path
from jaksim.pharmacology.assays import (
    DoseResponse,
    PathwayAssay,
    daily_inhibition,
    enzyme_assay,
    inhibition_at,
)
from jaksim.pharmacology.library import load_library
from jaksim.pharmacology.panel import ic50_table, run_panel
from jaksim.pharmacology.pk import steady_state

LIB = load_library()


@pytest.mark.parametrize(("drug", "jak"), [("tofacitinib", "JAK1"), ("upadacitinib", "JAK2")])
def test_enzyme_assay_recovers_the_library_ic50(drug, jak):
    """Ki from Cheng-Prusoff, put into a rapid-equilibrium enzyme model at the assay's ATP,
    gives back the enzyme IC50 it came from; at 10x the ATP the IC50 shifts by
    (1 + 10 [ATP]/Km) / (1 + [ATP]/Km)."""
    d = LIB.get(drug)
    c = np.logspace(-2, 5, 22)
    fit = fit_hill(c, enzyme_assay(d, jak, c))
    assert fit.ec50 == pytest.approx(d.enzymatic[jak].value, rel=0.01)
    assert fit.hill == pytest.approx(1.0, abs=0.02)
    km, atp = LIB.km_atp[jak].value, d.enzymatic_atp
    shifted = fit_hill(c, enzyme_assay(d, jak, c, atp=10 * atp)).ec50
    assert shifted / fit.ec50 == pytest.approx((1 + 10 * atp / km) / (1 + atp / km), rel=0.02)


def test_daily_inhibition_reads_the_response_through_the_pk():
    """With a synthetic Hill response (IC50 = Cavg, slope 1), mean inhibition is the time
    average of C/(C + IC50) and hours above 50 % the time with C > IC50."""
    d = LIB.get("tofacitinib")
    reg = d.regimen("5 mg BID")
    x = steady_state(d, reg).cavg
    conc = np.logspace(-3, 5, 801)
    resp = DoseResponse(PathwayAssay("synthetic", "L", "R"), (d.id,), conc,
                        (conc / (conc + x))[None, :])  # fmt: skip
    day = daily_inhibition(resp, d.id, reg.name, library=LIB, points_per_hour=60)
    t = np.linspace(0, 24, 24 * 600 + 1)
    c = steady_state(d, reg, t=t).c
    assert day["mean_inhibition"] == pytest.approx(np.trapezoid(c / (c + x), t) / 24, rel=1e-3)
    assert day["hours_above_50"] == pytest.approx(np.mean(c > x) * 24, abs=0.05)
    assert day["hours_above_90"] == pytest.approx(np.mean(c > 9 * x) * 24, abs=0.05)


def test_inhibition_at_is_exact_between_coarse_points_for_a_hill_curve():
    """Interpolation in logit(inhibition) vs log(C) reproduces a Hill curve (any slope) between
    grid points 5 per decade apart; interpolating the fraction itself is off by up to 0.7
    percentage points at slope 1.7 and kinks at every grid point."""
    conc = np.logspace(-1, 5, 31)
    fine = np.logspace(-0.9, 4.9, 400)
    for hill in (1.0, 1.7):
        curve = (conc / 30.0) ** hill / (1 + (conc / 30.0) ** hill)
        resp = DoseResponse(PathwayAssay("synthetic", "L", "R"), ("x",), conc, curve[None, :])
        exact = (fine / 30.0) ** hill / (1 + (fine / 30.0) ** hill)
        assert inhibition_at(resp, "x", fine) == pytest.approx(exact, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("name", ["whole_blood_ic50", "clinical_regimens", "selectivity_demo"])
def test_shipped_pharmacology_experiments_validate(name):
    from jaksim.experiment.kinds import get_kind

    loaded = load_config(shipped_path("experiments", name))
    get_kind(loaded.kind).check(loaded)


# -- published behaviour: the validation report (sources in models/drugs.toml) -------------
@pytest.fixture(scope="module")
def validation():
    from jaksim.pharmacology.validation import run_validation

    return run_validation(library=LIB).set_index("id")


@pytest.mark.slow
@pytest.mark.parametrize(
    "check",
    [
        "tofacitinib_label_order",
        "mohamed_il6_direction",
        "mohamed_il7_direction",
        "mohamed_upadacitinib_il6",
        "mohamed_tofacitinib_il6",
        "mohamed_upadacitinib_il7",
        "mohamed_tofacitinib_il7",
        "parmentier_selectivity",
        "filgotinib_gmcsf",
        "jak2_sparing",
        "stat6_blockade",
        "deucravacitinib_tyk2",
    ],
)
def test_published_comparison_reproduces(validation, check):
    """Each row of `jaksim validate` (docs/pharmacology.md, 'Validation'): a published
    comparison the model reproduces; the row's role says whether its numbers set parameters."""
    row = validation.loc[check]
    assert row.passed, f"{row.claim}: model {row.model}, published {row.published}"


@pytest.mark.slow
def test_validation_roles_name_what_set_parameters(validation):
    """A comparison with a number that an anchor used is never called a prediction."""
    assert validation.loc["mohamed_upadacitinib_il6", "role"] == "consistency"
    assert validation.loc["tofacitinib_label_order", "role"] == "consistency"
    assert validation.loc["mohamed_upadacitinib_il7", "role"] == "prediction"
    assert "upadacitinib JAK1 <- il6 60.7 nM" in validation.loc["mohamed_il7_direction", "inputs"]


def test_il7_direction_comes_from_the_pair_rule_not_from_mohamed():
    """Fast-set version of the Mohamed 2020 IL-7 comparison: upadacitinib's JAK1 potency is
    set on IL-6 (a JAK1 x JAK1 gp130 complex), tofacitinib's JAK3 on its label's gamma-c class;
    the IL-7 complex carries one JAK1 slot, so upadacitinib's IL-7 IC50 comes out about twice
    its IL-6 IC50 (blood: 125/60.7 = 2.06) and above tofacitinib's (Mohamed: 79.1 < 125)."""
    resp = run_panel(["il6", "il7"], ["tofacitinib", "upadacitinib"], np.logspace(0, 4, 17),
                     library=LIB)  # fmt: skip
    x = {(r.drug, r.pathway): r.ic50_nM for r in ic50_table(resp, library=LIB).itertuples()}
    assert 1.5 < x["upadacitinib", "il7"] / x["upadacitinib", "il6"] < 3.0
    assert x["tofacitinib", "il7"] < x["upadacitinib", "il7"]
    assert x["upadacitinib", "il6"] < x["tofacitinib", "il6"]


def test_metabolite_adds_to_daily_inhibition_as_the_direct_simulation_says():
    """Filgotinib + GS-829845 (10x weaker on every JAK, ~16x the exposure): the clinical
    read-out through the parent-equivalent concentration equals the whole-blood assay simulated
    with both ligands competing in the model (with_drug adds the metabolite as a ligand), and
    the metabolite raises the daily inhibition over the parent alone."""
    from dataclasses import replace

    import jaksim
    from jaksim.pharmacology import with_drug
    from jaksim.pharmacology.assays import assay_inhibition, pathway_assay
    from jaksim.pharmacology.pk import ligand_concentrations

    d = LIB.get("filgotinib")
    (mid,) = d.metabolites
    model = jaksim.load_model("il6")
    resp = run_panel(["il6"], ["filgotinib"], np.logspace(0, 5, 41), library=LIB)["il6"]
    day = daily_inhibition(resp, d.id, "200 mg QD", library=LIB, points_per_hour=1)
    # direct: both ligands at the PK's concentrations, 4 blood draws
    idx = np.array([0, 3, 8, 20])
    t = day["t"][idx]
    conc = ligand_concentrations(d, d.regimen("200 mg QD"), t, steady_state=True)
    drugged = with_drug(model, d, library=LIB)
    mp = "drug_GS_829845"
    params = {"drug_conc": np.concatenate([[0.0], conc[d.id]]),
              f"{mp}_conc": np.concatenate([[0.0], conc[mid]])}  # fmt: skip
    direct = assay_inhibition(drugged, params, pathway_assay(model), rtol=1e-8)
    assert day["inhibition"][idx] == pytest.approx(direct, abs=0.01)
    alone = replace(d, metabolites={})
    lib0 = replace(LIB, drugs={**LIB.drugs, d.id: alone})
    day0 = daily_inhibition(resp, d.id, "200 mg QD", library=lib0, points_per_hour=1)
    assert day["mean_inhibition"] > day0["mean_inhibition"] + 0.05

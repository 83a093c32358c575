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
from jaksim.pharmacology.panel import daily_table, ic50_table, run_panel
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


# -- published behaviour (needs the shipped pathway models; ~20 s) --------------------------
DRUGS = ["tofacitinib", "upadacitinib", "baricitinib", "ruxolitinib", "abrocitinib"]
PATHWAYS = ["il4_type1", "il13_type2", "il6", "il7", "epo", "tpo"]


@pytest.fixture(scope="module")
def panel():
    return run_panel(PATHWAYS, DRUGS, np.logspace(-2, 5, 29), library=LIB)


@pytest.fixture(scope="module")
def ic50(panel):
    table = ic50_table(panel)
    return {(r.drug, r.pathway): r.ic50_nM for r in table.itertuples()}


@pytest.mark.slow
def test_tofacitinib_potency_order_follows_the_label(ic50):
    """Xeljanz USPI 12.1 (whole blood): JAK1/JAK3 56 < JAK1/JAK2 406 < JAK2/JAK2 1377 nM.
    IL-7 (gamma-c, JAK1/JAK3), IL-6 (JAK1/JAK2 receptor), EPO (JAK2/JAK2)."""
    assert ic50["tofacitinib", "il7"] < ic50["tofacitinib", "il6"] < ic50["tofacitinib", "epo"]
    assert ic50["tofacitinib", "epo"] > 3 * ic50["tofacitinib", "il7"]


@pytest.fixture(scope="module")
def ic50_slow():
    """IC50s in the slow-exchange limit (drug acts on complex activation only)."""
    resp = run_panel(["il6", "il7"], ["tofacitinib", "upadacitinib"], np.logspace(-2, 5, 29),
                     library=LIB, exchange="slow")  # fmt: skip
    return {(r.drug, r.pathway): r.ic50_nM for r in ic50_table(resp).itertuples()}


# Factor 10: potencies are translated from enzyme (1 mM ATP) or engineered-cell assays, never
# fitted to whole blood; two whole-blood studies of tofacitinib on a JAK1/JAK2 cytokine already
# differ 3.4x (label 406, Mohamed 119 nM), and with_drug's default fast-exchange limit (chosen
# from binding kinetics, not from these numbers; docs/pharmacology.md) puts every IC50 at
# ~0.3-0.4 K/fu, so 3x would be claimed for none of the four.
MOHAMED_2020 = {("upadacitinib", "il6"): 60.7, ("tofacitinib", "il6"): 119.0,
                ("upadacitinib", "il7"): 125.0, ("tofacitinib", "il7"): 79.1}  # fmt: skip


@pytest.mark.slow
def test_il6_upadacitinib_more_potent_than_tofacitinib(ic50):
    """Mohamed 2020: IL-6 -> pSTAT3 IC50 upadacitinib 60.7 vs tofacitinib 119 nM."""
    assert ic50["upadacitinib", "il6"] < ic50["tofacitinib", "il6"]


IL7_DIRECTION = (
    "known gap (docs/pharmacology.md, Known gaps): decided by tofacitinib's in-cell JAK3:JAK1 "
    "potency ratio, 3.7 from the library's 1 mM-ATP panel; the direction needs < ~0.7 (fast) / "
    "~0.95 (slow), e.g. the 0.5 of its Km-ATP panel if JAK1 and JAK3 had equal Km(ATP) "
    "(see test_il7_direction_is_decided_by_tofacitinib_jak3_over_jak1). The Km values that "
    "would settle which panel holds in cells were not found"
)
IL7_ABSOLUTE = (
    "known gap: in the fast-exchange limit IC50 ~0.3-0.4 K/fu and, as for the direction, "
    "upadacitinib's IL-7 block is too strong: 11 vs 125 nM (41 nM in the slow limit)"
)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=IL7_DIRECTION)
@pytest.mark.parametrize("exchange", ["fast", "slow"])
def test_il7_tofacitinib_more_potent_than_upadacitinib(request, exchange):
    """Mohamed 2020: IL-7 -> pSTAT5 IC50 upadacitinib 125 vs tofacitinib 79 nM. Strict xfail
    in both exchange limits: the direction does not depend on which limit applies."""
    table = request.getfixturevalue("ic50" if exchange == "fast" else "ic50_slow")
    assert table["tofacitinib", "il7"] < table["upadacitinib", "il7"]


@pytest.mark.parametrize("exchange", ["fast", "slow"])
def test_il7_direction_is_decided_by_tofacitinib_jak3_over_jak1(exchange):
    """What the reversed IL-7 comparison needs (docs/pharmacology.md, Known gaps): with
    tofacitinib's in-cell JAK3 potency at half its JAK1 potency - the ratio of its Km-ATP
    enzyme panel, 1.6 vs 3.2 nM (Meyer 2010), if JAK1 and JAK3 had the same Km(ATP) - and
    nothing else changed, both Mohamed 2020 directions come out, in either exchange limit.
    The library's 1 mM-ATP panel puts JAK3 3.7x weaker than JAK1 instead."""
    from jaksim.pharmacology.potency import cellular_potency

    k1 = cellular_potency(LIB.get("tofacitinib"), "JAK1", LIB)
    assert cellular_potency(LIB.get("tofacitinib"), "JAK3", LIB) > 3 * k1
    what_if = LIB.with_cellular("tofacitinib", {"JAK3": k1 / 2}, "Km-ATP panel ratio, equal Km")
    resp = run_panel(["il6", "il7"], ["tofacitinib", "upadacitinib"], np.logspace(-2, 5, 29),
                     library=what_if, exchange=exchange)  # fmt: skip
    x = {(r.drug, r.pathway): r.ic50_nM for r in ic50_table(resp, library=what_if).itertuples()}
    assert x["upadacitinib", "il6"] < x["tofacitinib", "il6"]
    assert x["tofacitinib", "il7"] < x["upadacitinib", "il7"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "key",
    [
        pytest.param(k, marks=pytest.mark.xfail(strict=True, reason=IL7_ABSOLUTE))
        if k == ("upadacitinib", "il7")
        else k
        for k in MOHAMED_2020
    ],
)
def test_whole_blood_ic50_within_a_factor_of_ten(ic50, key):
    assert 0.1 < ic50[key] / MOHAMED_2020[key] < 10


@pytest.mark.slow
def test_jak1_selective_drugs_spare_jak2_jak2_signalling(panel):
    """At approved regimens, JAK1-selective drugs inhibit IL-4/IL-13 -> STAT6 strongly while
    EPO/TPO -> STAT5 is inhibited clearly less than by baricitinib and ruxolitinib
    (JAK2/JAK2 sparing; McInnes 2019, Traves 2021)."""
    selective = [("upadacitinib", "15 mg QD"), ("upadacitinib", "30 mg QD"),
                 ("abrocitinib", "100 mg QD"), ("abrocitinib", "200 mg QD")]  # fmt: skip
    pan = [("baricitinib", "4 mg QD"), ("ruxolitinib", "15 mg BID")]
    daily = daily_table(panel, selective + pan, library=LIB)
    mean = daily.groupby(["drug", "regimen", "pathway"])["mean_inhibition"].first()
    for drug, reg in selective:
        for p in ("il4_type1", "il13_type2"):
            assert mean[drug, reg, p] > 0.5
        for p in ("epo", "tpo"):
            assert mean[drug, reg, p] < 0.35
            assert all(mean[drug, reg, p] < mean[d2, r2, p] - 0.3 for d2, r2 in pan)

"""Closed-form PK against derived facts, an independent solver, and the in-model ODE."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from jaksim.pharmacology.library import load_library
from jaksim.pharmacology.pk import (
    accumulation_ratio,
    concentration,
    exposure_metrics,
    ligand_concentrations,
    rate_constants,
    steady_state,
    system_matrix,
)
from jaksim.pharmacology.regimens import Regimen

LIB = load_library()
ALL_REGIMENS = [(d.id, r) for d in LIB.drugs.values() for r in d.regimens]


def bateman(t, dose_nmol, f, ka, k, v, lag=0.0):
    """One-compartment oral single dose (Bateman function), nM."""
    s = np.clip(t - lag, 0, None)
    return f * dose_nmol * ka / (v * (ka - k)) * (np.exp(-k * s) - np.exp(-ka * s))


def test_one_compartment_matches_bateman():
    d = next(x for x in LIB.drugs.values()
             if x.pk and x.pk.model == "one_compartment" and not x.pk.lag)  # fmt: skip
    reg = Regimen("single", 4.0, 1000.0)  # one dose within 48 h
    t = np.linspace(0, 48, 97)
    k = d.pk.clearance / d.pk.volume
    expected = bateman(t, d.mg_to_nmol(4.0), d.pk.bioavailability, d.pk.ka, k, d.pk.volume)
    np.testing.assert_allclose(concentration(d, reg, t, days=1), expected, rtol=1e-10, atol=1e-12)


def test_lag_delays_the_curve():
    d = LIB.get("upadacitinib")
    ir = Regimen("single IR", 15.0, 1000.0)
    t = np.linspace(0, 10, 41)
    c = concentration(d, ir, t, days=1)
    assert np.all(c[t <= d.pk.lag] == 0) and np.all(c[t > d.pk.lag] > 0)


def test_superposition_of_doses():
    d = LIB.get("tofacitinib")
    reg = d.regimen("5 mg BID")
    t = np.linspace(0, 36, 145)
    single = Regimen("one", reg.dose, 1e6)
    total = sum(
        concentration(d, single, t - k * reg.interval, days=1) * (t >= k * reg.interval)
        for k in range(3)
    )
    np.testing.assert_allclose(concentration(d, reg, t, days=1.5), total, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("drug", "regimen"), ALL_REGIMENS)
def test_steady_state_average_is_dose_over_clearance(drug, regimen):
    """Cavg,ss = F * Dose / (CL * tau) for linear PK (AUC over one interval at steady state
    equals the single-dose AUC to infinity)."""
    d = LIB.get(drug)
    reg = d.regimen(regimen)
    ss = steady_state(d, reg)
    f = d.pk.dose_fraction(reg.release)
    expected = f * d.mg_to_nmol(reg.dose) / (d.pk.clearance * reg.interval)
    assert ss.cavg == pytest.approx(expected, rel=2e-4)
    assert ss.cmin <= ss.cavg <= ss.cmax


def test_accumulation_ratio_one_compartment():
    """With fast absorption (tofacitinib ka 13.8/h), C_ss(t) / C_1(t) -> 1/(1 - exp(-k tau))."""
    d = LIB.get("tofacitinib")
    reg = d.regimen("5 mg BID")
    t = np.array([6.0, 11.0])
    c1 = concentration(d, Regimen("one", reg.dose, 1e6), t, days=1)
    css = steady_state(d, reg, t=t).c
    k = d.pk.clearance / d.pk.volume
    expected = 1 / (1 - np.exp(-k * reg.interval))
    np.testing.assert_allclose(css / c1, expected, rtol=1e-9)
    assert accumulation_ratio(d.pk, reg.interval) == pytest.approx(expected)


@pytest.mark.parametrize("release", ["immediate", "extended"])
def test_two_compartment_matches_scipy(release):
    """Upadacitinib (2 compartments, lag; ER = mixed zero-order into central + first-order from
    the depot) vs scipy DOP853 on dA/dt = K A + u, written here from the popPK description."""
    d = LIB.get("upadacitinib")
    pk = d.pk
    reg = Regimen("test", 15.0, 24.0, release)
    K = system_matrix(pk, release)
    amount = pk.dose_fraction(release) * d.mg_to_nmol(reg.dose)
    er = release == "extended"
    f0 = pk.er_zero_order_fraction if er else 0.0
    lag = pk.er_lag if er else pk.lag
    t_eval = np.linspace(0, 48, 97)
    starts = reg.dose_times(2) + lag
    y = np.zeros(3)
    out = []
    edges = sorted({0.0, 48.0, *starts, *(starts + pk.er_duration)})
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        if np.any(np.isclose(starts, a)):
            y = y + np.array([(1.0 - f0) * amount, 0, 0])  # first-order share into the depot
        n_on = sum(1 for s in starts if s <= a < s + pk.er_duration)
        u = np.array([0.0, n_on * f0 * amount / pk.er_duration, 0.0])  # zero-order into central
        sel = t_eval[(t_eval >= a) & (t_eval < b)]
        sol = solve_ivp(lambda _, x, u=u: K @ x + u, (a, b), y, method="DOP853",
                        t_eval=np.append(sel, b), rtol=1e-11, atol=1e-12)  # fmt: skip
        out.append(sol.y[1, :-1])
        y = sol.y[:, -1]
    ref = np.concatenate(out) / pk.volume
    got = concentration(d, reg, t_eval[:-1], days=2)
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-9)
    if er:  # the split is what makes ER differ from one route: both shares are present
        assert 0.0 < f0 < 1.0 and pk.er_ka != pk.ka


def test_extended_release_keeps_exposure_and_lowers_peak():
    d = LIB.get("upadacitinib")
    ir, er = (replace(d.regimen("15 mg QD"), release=r) for r in ("immediate", "extended"))
    s_ir, s_er = steady_state(d, ir), steady_state(d, er)
    assert s_er.cavg == pytest.approx(d.pk.er_relative_bioavailability * s_ir.cavg, rel=1e-4)
    assert s_er.cmax < s_ir.cmax


def test_rate_constants_two_compartment():
    d = LIB.get("upadacitinib")
    k = rate_constants(d.pk)
    assert k["k12"] * d.pk.volume == pytest.approx(d.pk.intercompartmental_clearance)
    assert k["k21"] * d.pk.peripheral_volume == pytest.approx(d.pk.intercompartmental_clearance)


def _ode_reference(K, amount, starts, t_eval):
    """Bolus doses of ``amount`` into state 0 at ``starts``; scipy DOP853 on dA/dt = K A."""
    y, out = np.zeros(K.shape[0]), []
    edges = sorted({0.0, float(t_eval[-1]) + 1e-9, *starts})
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        if np.any(np.isclose(starts, a)):
            y = y + np.eye(K.shape[0])[0] * amount
        sel = t_eval[(t_eval >= a) & (t_eval < b)]
        sol = solve_ivp(lambda _, x: K @ x, (a, b), y, method="DOP853",
                        t_eval=np.append(sel, b), rtol=1e-11, atol=1e-12)  # fmt: skip
        out.append(sol.y[:, :-1])
        y = sol.y[:, -1]
    return np.concatenate(out, axis=1)


def test_metabolite_closed_form_matches_scipy():
    """Filgotinib (2 compartments) + GS-829845 fed by the parent's elimination, vs DOP853."""
    d = LIB.get("filgotinib")
    reg = d.regimen("200 mg QD")
    met = d.metabolites["GS-829845"]
    K = system_matrix(d.pk, "immediate", [met])
    assert K.shape == (4, 4) and K[3, 1] == pytest.approx(d.pk.clearance / d.pk.volume)
    t = np.linspace(0, 72, 145)
    ref = _ode_reference(K, d.mg_to_nmol(reg.dose), reg.dose_times(3), t)
    got = ligand_concentrations(d, reg, t, days=3)
    np.testing.assert_allclose(got["filgotinib"], ref[1] / d.pk.volume, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got["GS-829845"], ref[3] / met.pk.volume, rtol=1e-6, atol=1e-9)
    # the parent is unchanged by the metabolite compartment
    np.testing.assert_allclose(got["filgotinib"], concentration(d, reg, t, days=3), rtol=1e-9)


def test_metabolite_steady_state_mass_balance():
    """At steady state the metabolite's AUC over one interval is fm F Dose / CL_m (mol), and
    steady_state=True equals the profile after many doses."""
    d = LIB.get("filgotinib")
    reg = d.regimen("200 mg QD")
    met = d.metabolites["GS-829845"]
    grid = np.linspace(0, 24, 4801)
    grid[-1] = 24 * (1 - 1e-12)
    ss = ligand_concentrations(d, reg, grid, steady_state=True)["GS-829845"]
    auc = np.trapezoid(ss, grid)
    expected = met.pk.fraction_formed * d.mg_to_nmol(reg.dose) / met.pk.clearance
    assert auc == pytest.approx(expected, rel=1e-4)
    late = ligand_concentrations(d, reg, grid[:-1] + 24 * 40, days=41)["GS-829845"]
    np.testing.assert_allclose(late, ss[:-1], rtol=1e-6)


def test_exposure_metrics_against_closed_forms():
    """One compartment: terminal half-life ln2 / min(k, ka), AUC_tau = F Dose / CL, accumulation
    AUC_tau,ss / AUC_0-tau after the first dose (Bateman integral), Cmax in ng/mL from nM."""
    d = LIB.get("deucravacitinib")
    reg = d.regimen("6 mg QD")
    m = exposure_metrics(d, reg)["deucravacitinib"]
    k = d.pk.clearance / d.pk.volume
    assert m["half_life"] == pytest.approx(np.log(2) / min(k, d.pk.ka))
    auc = d.pk.bioavailability * reg.dose * 1e6 / d.pk.clearance  # ng*h/L
    assert m["auc_tau"] == pytest.approx(auc * 1e-3, rel=1e-4)
    ss = steady_state(d, reg)
    assert m["cmax"] == pytest.approx(ss.cmax * d.molecular_weight * 1e-3, rel=1e-6)
    # AUC_tau,ss = F D / CL; first dose: AUC_0-tau = F D / CL (1 - (ka e^-k t - k e^-ka t)/(ka - k))
    ka, tau = d.pk.ka, reg.interval
    first = 1 - (ka * np.exp(-k * tau) - k * np.exp(-ka * tau)) / (ka - k)
    assert m["accumulation"] == pytest.approx(1 / first, rel=1e-4)


def test_abrocitinib_active_metabolites_carry_the_labelled_share_of_activity():
    """Two metabolites at once (M1, M2): each molar AUC ratio is CL_parent / CL_m (exact for
    linear formation from the parent's elimination), and the potency-adjusted unbound exposure
    splits parent : M1 : M2 as the label's ~60 : 10 : 30 from which the potencies were derived
    (a check of the wiring through ``parent_equivalent``, not a prediction)."""
    from jaksim.pharmacology.assays import parent_equivalent
    from jaksim.pharmacology.pk import ligand_concentrations

    d = LIB.get("abrocitinib")
    reg = d.regimen("200 mg QD")
    t = np.linspace(0.0, 24.0, 4801)
    c = ligand_concentrations(d, reg, t, steady_state=True)
    auc = {k: np.trapezoid(v, t) for k, v in c.items()}  # nM*h, molar
    for mid, met in d.metabolites.items():
        assert auc[mid] / auc[d.id] == pytest.approx(d.pk.clearance / met.pk.clearance, rel=1e-3)
    total = np.trapezoid(parent_equivalent(d, c), t)
    share = {k: np.trapezoid(parent_equivalent(d, {d.id: c[d.id] * (k == d.id)} | {
        m: c[m] * (k == m) for m in d.metabolites}), t) / total for k in c}  # fmt: skip
    assert share == pytest.approx({"abrocitinib": 0.6, "M1": 0.1, "M2": 0.3}, abs=0.01)

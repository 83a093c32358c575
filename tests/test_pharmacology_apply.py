"""with_drug / dosing_protocol on a small pathway-like model with analytic answers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import jaksim
from jaksim.pharmacology import (
    dosing_protocol,
    drug_targets,
    load_library,
    metabolite_species,
    with_drug,
)
from jaksim.pharmacology.pk import concentration, ligand_concentrations
from jaksim.pharmacology.potency import cellular_potency
from jaksim.spec.model import Compartment, Model, Parameter, Reaction, Species

LIB = load_library()


def toy(receptor: bool = False) -> Model:
    """X made at rate k*act_JAK1*act_JAK3 (pair logic 'both needed'), degraded at kd:
    X_ss = k/kd * act_JAK1 * act_JAK3. With ``receptor``: X is made in proportion to a surface
    chain IL4RA_JAK1 (made at ksyn, degraded at kdeg; 1 nM at steady state)."""
    species = [Species("X", "cyt", 0.0)]
    params = [
        Parameter("act_JAK1", 1.0, assumed="test"),
        Parameter("act_JAK3", 1.0, assumed="test"),
        Parameter("k", 2.0, "nM/s", assumed="test"),
        Parameter("kd", 0.5, "1/s", assumed="test"),
    ]
    rate = "k*act_JAK1*act_JAK3"
    reactions = [Reaction("decay", (("X", 1),), (), "kd*X", compartment="cyt")]
    if receptor:
        species.append(Species("IL4RA_JAK1", "cyt", 1.0))
        params += [Parameter("ksyn", 1e-4, "nM/s", assumed="test"),
                   Parameter("kdeg", 1e-4, "1/s", assumed="test")]  # fmt: skip
        reactions += [
            Reaction("syn", (), (("IL4RA_JAK1", 1),), "ksyn", compartment="cyt"),
            Reaction("deg", (("IL4RA_JAK1", 1),), (), "kdeg*IL4RA_JAK1", compartment="cyt"),
        ]
        rate += "*IL4RA_JAK1"
    reactions.append(Reaction("make", (), (("X", 1),), rate, compartment="cyt"))
    return Model(
        id="toy",
        compartments=(Compartment("cyt", 1.0),),
        species=tuple(species),
        parameters=tuple(params),
        reactions=tuple(reactions),
    )


def test_equilibrium_occupancy_drives_activity():
    drug = LIB.get("tofacitinib")
    model = with_drug(toy(), drug)
    assert "act_JAK1" not in model.parameter_ids() and "drug_conc" in model.parameter_ids()
    assert [r.rate for r in model.reactions] == [r.rate for r in toy().reactions]
    conc = np.array([0.0, 10.0, 100.0, 1000.0])
    res = jaksim.simulate_ensemble(model, np.array([0.0, 60.0]), params={"drug_conc": conc},
                                   outputs=["X", "act_JAK1", "act_JAK3"])  # fmt: skip
    cu = drug.fraction_unbound * conc
    k1, k3 = (cellular_potency(drug, j, LIB) for j in ("JAK1", "JAK3"))
    act1, act3 = k1 / (k1 + cu), k3 / (k3 + cu)
    np.testing.assert_allclose(res["act_JAK1"][:, -1], act1, rtol=1e-10)
    np.testing.assert_allclose(res["act_JAK3"][:, -1], act3, rtol=1e-10)
    # X relaxes to k/kd * act1 * act3 with rate kd: after 60 s (30 time constants) it is there
    np.testing.assert_allclose(res["X"][:, -1], 4.0 * act1 * act3, rtol=1e-6)


def test_kinetic_binding_relaxes_exponentially():
    drug = LIB.get("tofacitinib")
    model = with_drug(toy(), drug, binding="kinetic", residence_time=200.0)
    c = 300.0
    t = np.array([0.0, 50.0, 200.0, 2000.0])
    res = jaksim.simulate(model, t, params={"drug_conc": c}, outputs=["occ_JAK1"], rtol=1e-9,
                          atol=1e-12)  # fmt: skip
    k1 = cellular_potency(drug, "JAK1", LIB)
    cu, koff = drug.fraction_unbound * c, 1 / 200.0
    kon = koff / k1
    occ_eq = cu / (cu + k1)
    expected = occ_eq * (1 - np.exp(-(kon * cu + koff) * t))
    np.testing.assert_allclose(res["occ_JAK1"], expected, rtol=1e-6, atol=1e-9)


def test_receptor_antibody_sequesters_its_target_chain():
    """Dupilumab binds free IL4RA_JAK1; the bound chain turns over like the free one, so at
    steady state free chain = R0 / (1 + (C/Kd) * koff/(koff + kdeg)) (koff = kon*Kd)."""
    dupi = LIB.get("dupilumab")
    assert drug_targets(toy(), dupi) == ()
    assert drug_targets(toy(receptor=True), dupi) == ("IL4RA_JAK1",)
    model = with_drug(toy(receptor=True), dupi)
    c = np.array([0.0, 0.033, 3.3])
    res = jaksim.simulate_ensemble(model, np.array([0.0, 60.0]), params={"drug_conc": c},
                                   outputs=["X", "IL4RA_JAK1"], preequilibrate=True)  # fmt: skip
    koff, kdeg = 1e-3 * dupi.receptor_kd, 1e-4
    free = 1.0 / (1.0 + c / dupi.receptor_kd * koff / (koff + kdeg))
    np.testing.assert_allclose(res["IL4RA_JAK1"][:, -1], free, rtol=1e-5)
    np.testing.assert_allclose(res["X"][:, -1], 4.0 * free, rtol=1e-5)


def test_exchange_limit_sets_which_steps_carry_the_drug():
    """A toy with the pathways' catalytic-step factor: Y made at
    k*(1 - c + c*act_JAK1*act_JAK3), c = act_cat_coupling. Fast exchange (c = 1):
    Y_ss = k/kd * act1 * act3; slow (c = 0): the drug leaves this step alone, Y_ss = k/kd."""
    drug = LIB.get("tofacitinib")
    base = toy()
    base = replace(
        base,
        species=(*base.species, Species("Y", "cyt", 0.0)),
        parameters=(*base.parameters, Parameter("act_cat_coupling", 1.0, assumed="test")),
        reactions=(
            *base.reactions,
            Reaction("make_Y", (), (("Y", 1),),
                     "k*(1 - act_cat_coupling + act_cat_coupling*act_JAK1*act_JAK3)",
                     compartment="cyt"),
            Reaction("decay_Y", (("Y", 1),), (), "kd*Y", compartment="cyt"),
        ),
    )  # fmt: skip
    conc = np.array([0.0, 30.0, 300.0])
    cu = drug.fraction_unbound * conc
    k1, k3 = (cellular_potency(drug, j, LIB) for j in ("JAK1", "JAK3"))
    act = k1 / (k1 + cu) * k3 / (k3 + cu)
    for exchange, expected in (("fast", 4.0 * act), ("slow", np.full(3, 4.0))):
        model = with_drug(base, drug, exchange=exchange)
        assert model.metadata["drug_exchange"] == exchange
        res = jaksim.simulate_ensemble(model, np.array([0.0, 60.0]), params={"drug_conc": conc},
                                       outputs=["X", "Y"])  # fmt: skip
        np.testing.assert_allclose(res["Y"][:, -1], expected, rtol=1e-6)
        # the activation-like step carries the drug in both limits
        np.testing.assert_allclose(res["X"][:, -1], 4.0 * act, rtol=1e-6)


def test_shipped_pathways_couple_catalytic_steps_through_one_parameter():
    """Every shipped pathway has act_cat_coupling = 1 (the JAK-activity convention: act_<JAK>
    scales every catalytic step); with_drug sets it from the exchange limit and keeps all
    other parameter ids."""
    model = jaksim.load_model("il7")
    assert model.get_parameter("act_cat_coupling").value == 1.0
    rates = {r.id: r.rate for r in model.reactions}
    assert "act_cat_coupling" not in rates["activate_IL7_RC"]
    assert "act_cat_coupling" in rates["dock_IL7_RC"]
    assert "act_cat_coupling" in rates["phos_STAT5_IL7_RC"]
    slow = with_drug(model, "upadacitinib", exchange="slow")
    assert slow.get_parameter("act_cat_coupling").value == 0.0
    kept = set(model.parameter_ids()) - {"act_JAK1", "act_JAK3"}
    assert kept <= set(slow.parameter_ids())


def test_bad_arguments():
    with pytest.raises(ValueError, match="binding must be"):
        with_drug(toy(), "tofacitinib", binding="fast")
    with pytest.raises(ValueError, match="exchange must be"):
        with_drug(toy(), "tofacitinib", exchange="medium")
    with pytest.raises(ValueError, match="already carries a drug"):
        with_drug(with_drug(toy(), "tofacitinib"), "baricitinib")


@pytest.mark.parametrize(("drug", "regimen"), [("tofacitinib", "5 mg BID"),
                                               ("upadacitinib", "15 mg QD")])  # fmt: skip
def test_pk_species_in_the_model_match_the_closed_form(drug, regimen):
    """PK as ODE species (with_drug(..., regimen) + dosing_protocol, solved by jaksim's rodas)
    agrees with the closed-form superposition used by the assays."""
    d = LIB.get(drug)
    model = with_drug(toy(), d, regimen=regimen)
    proto = dosing_protocol(d, regimen, days=2, model=model)
    t_h = np.linspace(0.0, 47.5, 96)
    res = jaksim.simulate(model, t_h * 3600.0, protocol=proto, outputs=["drug_conc", "act_JAK1"],
                          rtol=1e-8, atol=1e-10)  # fmt: skip
    assert res.status == 0
    ref = concentration(d, d.regimen(regimen), t_h, days=2)
    np.testing.assert_allclose(res["drug_conc"], ref, rtol=1e-5, atol=1e-6)
    k1 = cellular_potency(d, "JAK1", LIB)
    np.testing.assert_allclose(res["act_JAK1"], k1 / (k1 + d.fraction_unbound * ref), rtol=1e-5)


def test_metabolite_species_in_the_model_match_the_closed_form():
    """Filgotinib 2-compartment PK plus GS-829845 as ODE species (pk_met_GS_829845) agree with
    ligand_concentrations from the first dose (rtol 1e-5); drug_conc stays the parent."""
    d = LIB.get("filgotinib")
    model = with_drug(toy(), d, regimen="200 mg QD")
    sid = metabolite_species("GS-829845")
    assert sid == "pk_met_GS_829845" and sid in model.species_ids()
    proto = dosing_protocol(d, "200 mg QD", days=3, model=model)
    t_h = np.linspace(0.0, 71.5, 144)
    res = jaksim.simulate(model, t_h * 3600.0, protocol=proto, outputs=["drug_conc", sid],
                          rtol=1e-9, atol=1e-10)  # fmt: skip
    assert res.status == 0
    ref = ligand_concentrations(d, d.regimen("200 mg QD"), t_h, days=3)
    np.testing.assert_allclose(res["drug_conc"], ref["filgotinib"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(res[sid], ref["GS-829845"], rtol=1e-5, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("exchange", ["fast", "slow"])
def test_exchange_limits_equal_rescaled_rate_constants_in_a_pathway(exchange):
    """EPO (JAK2 x JAK2) with tofacitinib at a fixed concentration equals the drug-free pathway
    with its rate constants rescaled by the pair activity act**2, act = K/(K + fu C) per slot
    (two JAK2 slots, each inhibited independently): the activation constant only (slow
    exchange) or activation, docking and STAT phosphorylation (fast exchange)."""
    model = jaksim.load_model("epo")
    drug = LIB.get("tofacitinib")
    c = 300.0
    k2 = cellular_potency(drug, "JAK2", LIB)
    act = k2 / (k2 + drug.fraction_unbound * c)
    scaled = ["kact_EPO_RC"] + (
        ["kdock_EPO_RC", "kphos_EPO_RC_STAT5"] if exchange == "fast" else []
    )
    ref_params = {p: model.get_parameter(p).value * act**2 for p in scaled}
    t = np.array([0.0, 300.0, 900.0])
    kw = dict(outputs=["pSTAT5_total"], preequilibrate=True, rtol=1e-9, atol=1e-12,
              protocol=jaksim.Protocol((jaksim.Change(0.0, "EPO", "set", 1.0),)))  # fmt: skip
    drugged = jaksim.simulate(with_drug(model, drug, exchange=exchange), t,
                              params={"drug_conc": c}, **kw)  # fmt: skip
    ref = jaksim.simulate(model, t, params=ref_params, **kw)
    assert ref["pSTAT5_total"][-1] > 2 * ref["pSTAT5_total"][0]  # the cytokine signals
    np.testing.assert_allclose(drugged["pSTAT5_total"], ref["pSTAT5_total"], rtol=1e-6)


# -- several ligands at one kinase ---------------------------------------------------------
def test_two_kinase_inhibitors_compete_for_each_jak():
    """Mutually exclusive binding at one ATP site: act = 1/(1 + Cu1/K1 + Cu2/K2) per JAK, so
    X_ss = k/kd * act_JAK1 * act_JAK3 (analytic), and each drug alone is the one-drug rule."""
    tofa, upa = LIB.get("tofacitinib"), LIB.get("upadacitinib")
    model = with_drug(toy(), ["tofacitinib", "upadacitinib"])
    ids = set(model.parameter_ids())
    assert {"drug_conc", "drug2_conc", "drug_K_JAK1", "drug2_K_JAK1"} <= ids
    c1 = np.array([0.0, 100.0, 0.0, 300.0])
    c2 = np.array([0.0, 0.0, 50.0, 80.0])
    res = jaksim.simulate_ensemble(model, np.array([0.0, 200.0]),
                                   params={"drug_conc": c1, "drug2_conc": c2},
                                   outputs=["X"], rtol=1e-10, atol=1e-12)  # fmt: skip
    act = {}
    for j in ("JAK1", "JAK3"):
        load = (tofa.fraction_unbound * c1 / cellular_potency(tofa, j, LIB)
                + upa.fraction_unbound * c2 / cellular_potency(upa, j, LIB))  # fmt: skip
        act[j] = 1.0 / (1.0 + load)
    x_ss = 2.0 / 0.5 * act["JAK1"] * act["JAK3"]
    x_t = x_ss * (1 - np.exp(-0.5 * 200.0))  # X(0) = 0, relaxation at kd
    assert res["X"][:, 1] == pytest.approx(x_t, rel=1e-7)


def test_kinase_inhibitor_with_an_antibody_acts_through_both():
    """Upadacitinib on the JAKs and dupilumab on IL-4Ra in one model: each keeps its own
    symbols and mechanism; the antibody's bound chain species carries its prefix."""
    model = with_drug(toy(receptor=True), ["upadacitinib", "dupilumab"])
    assert {"drug_K_JAK1", "drug2_K_IL4RA", "drug2_conc"} <= set(model.parameter_ids())
    assert "IL4RA_JAK1_drug2" in model.species_ids()
    assert model.metadata["drug"] == "upadacitinib+dupilumab"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"drug": ["tofacitinib", "Xeljanz"]}, "given twice"),
        ({"drug": ["tofacitinib", "upadacitinib"], "binding": "kinetic"}, "one kinase"),
        ({"drug": ["tofacitinib", "upadacitinib"], "regimen": "5 mg BID"}, "one drug only"),
        ({"drug": []}, "at least one"),
    ],
)
def test_combination_errors_are_clear(kwargs, match):
    from jaksim.spec.errors import JaksimError

    drug = kwargs.pop("drug")
    with pytest.raises(JaksimError, match=match):
        with_drug(toy(), drug, **kwargs)

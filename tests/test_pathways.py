"""The shipped pathway library (models/pathways, models/combined): conventions and behaviour.

Behaviour is checked against published facts, not against the models' own output:

* pSTAT rises within minutes of cytokine addition, peaks around 10-60 min and is then lowered
  by SOCS feedback; a SOCS1-deficient IFN-gamma model stays high (Yamada 2003 FEBS Lett
  534:190, BIOMD0000000093 vs the SOCS1 knockout BIOMD0000000094, Fig. 2).
* Peak pSTAT versus cytokine dose is sigmoidal with an EC50 in the pM-nM range (cytokine-receptor
  affinities are pM-nM; Yamada's IFN-gamma KD is 1 nM).
* JAK and STAT totals are conserved; receptor totals relax to their synthesis/degradation
  balance.
* Removing a JAK's activity abolishes exactly the pathways whose JAK pair needs it
  (literature table in ``REQUIRED`` below, from the references in docs/pathways.md).

Compiled models are cached per module so each model compiles once; the checks over every
shipped file are marked slow.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import curve_fit

import jaksim
from jaksim.io.toml_model import load_model_file
from jaksim.simulation import Change, Protocol

MODELS = Path(__file__).resolve().parents[1] / "models"
PATHWAY_FILES = sorted((MODELS / "pathways").glob("*.toml"))
COMBINED_FILES = sorted((MODELS / "combined").glob("*.toml"))
ALL_FILES = PATHWAY_FILES + COMBINED_FILES
JAKS = ("JAK1", "JAK2", "JAK3", "TYK2")

# Cytokine species ids (the issue's convention) per single-pathway model.
CYTOKINE = {
    "il4_type1": "IL4", "il4_type2": "IL4", "il13_type2": "IL13", "il31": "IL31",
    "tslp": "TSLP", "il22": "IL22", "il5": "IL5", "ifng": "IFNG", "ifng_socs1_ko": "IFNG",
    "ifna": "IFNA", "il6": "IL6", "il2": "IL2", "il7": "IL7", "il15": "IL15", "il12": "IL12",
    "il23": "IL23", "epo": "EPO", "tpo": "TPO", "gmcsf": "GMCSF", "il3": "IL3",
}  # fmt: skip

# Kinases whose activity each pathway strictly needs (references in docs/pathways.md):
# gamma-c family JAK1+JAK3 (Russell 1995; Rodig 1998); type II IL-4R and IL-22R JAK1+TYK2;
# IFN-gamma, IL-31, IL-5, TSLP JAK1+JAK2; IL-12/IL-23 TYK2+JAK2; IL-6 JAK1 only (Guschin 1995);
# IFN-alpha JAK1, TYK2 only partly (Gauzzi 1996); EPO, TPO, GM-CSF, IL-3 JAK2 only.
# Which JAKs' kinase activity each pathway needs (act_<JAK> = 0 abolishes it), needs in part
# (the response survives, reduced), or needs only as a protein (scaffold: kinase loss leaves the
# response, protein loss abolishes it). Evidence per pathway: docs/pathways.md, pair logic.
REQUIRED = {
    "il2": {"JAK1", "JAK3"}, "il4_type1": {"JAK1", "JAK3"}, "il7": {"JAK1", "JAK3"},
    "il15": {"JAK1", "JAK3"}, "il4_type2": {"JAK1"}, "il13_type2": {"JAK1"},
    "il22": {"JAK1"}, "ifng": {"JAK2"}, "ifng_socs1_ko": {"JAK2"},
    "il31": {"JAK1", "JAK2"}, "il5": {"JAK1", "JAK2"}, "tslp": {"JAK1", "JAK2"},
    "il12": {"TYK2", "JAK2"}, "il23": {"TYK2", "JAK2"}, "il6": {"JAK1"}, "ifna": {"JAK1"},
    "epo": {"JAK2"}, "tpo": {"JAK2"}, "gmcsf": {"JAK2"}, "il3": {"JAK2"},
}  # fmt: skip
PARTIAL = {"ifna": {"TYK2"}, "ifng": {"JAK1"}, "ifng_socs1_ko": {"JAK1"}}
SCAFFOLD = {"il4_type2": {"TYK2"}, "il13_type2": {"TYK2"}, "il22": {"TYK2"}}

DEFAULT_SET = ("ifng", "il4_type1", "il6", "epo", "ifna")  # one per STAT class, fast set
T_FINE = np.arange(0.0, 4 * 3600.0 + 1.0, 150.0)  # s, 2.5-min grid to 4 h


@cache
def model(stem: str):
    path = next(p for p in ALL_FILES if p.stem == stem)
    return load_model_file(path)


@cache
def compiled(stem: str):
    return jaksim.compile_model(model(stem))


def readout(stem: str) -> str:
    return model(stem).metadata["readout"]


def peak_readouts(stem: str, params: dict[str, np.ndarray], t=T_FINE) -> np.ndarray:
    """Peak of the model's readout per ensemble member (pre-equilibrated, default protocol)."""
    res = jaksim.simulate_ensemble(compiled(stem), t, params=params, preequilibrate=True)
    assert res.n_failed == 0, res.messages
    return res[readout(stem)].max(axis=1)


def jak_activities(m) -> set[str]:
    """Kinases with an ``act_<JAK>`` parameter (not other ``act_*`` switches)."""
    return {p.id[4:] for p in m.parameters if p.id.startswith("act_") and p.id[4:] in JAKS}


def species_index(stem: str) -> dict[str, int]:
    return {sid: i for i, sid in enumerate(compiled(stem).state_ids)}


def stems(files) -> list[str]:
    return [p.stem for p in files]


def slow_except(names, *, among):
    """Parametrize over ``among`` with everything outside ``names`` marked slow."""
    return [n if n in names else pytest.param(n, marks=pytest.mark.slow) for n in among]


# -- every file: conventions, sources --------------------------------------------------------


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.stem)
def test_model_loads_validates_and_follows_conventions(path):
    m = load_model_file(path)  # validates, refusing parameters without source or assumed
    assert m.id == path.stem
    for kind in (m.species, m.compartments, m.parameters):
        unsourced = [c.id for c in kind if not (c.source or c.assumed)]
        assert not unsourced, f"{path.name}: no source/assumed for {unsourced}"
    meta = m.metadata
    for key in ("readout", "cytokine", "jak_pair", "pair_logic", "stats", "cell_type"):
        assert meta.get(key), f"{path.name}: [model.metadata] lacks {key!r}"
    outputs = {a.id for a in m.assignments}
    assert meta["readout"] in outputs
    for stat in meta["stats"].split(","):
        assert f"p{stat}_total" in outputs
    assert any(o.startswith("nuclear_") for o in outputs)
    assert any(o.endswith("_mRNA") for o in outputs)
    for cytokine in meta["cytokine"].split(","):
        sp = m.get_species(cytokine)
        assert sp.initial == 0.0 and sp.boundary, f"{cytokine} must start at 0, clamped"
    if path.stem in CYTOKINE:
        assert meta["cytokine"] == CYTOKINE[path.stem]
    # every JAK in the pair logic has its act_ parameter, and no other JAK is wired in
    named = set(re.findall(r"JAK[123]|TYK2", meta["pair_logic"]))
    acts = jak_activities(m)
    assert acts == named
    for j in acts:
        p = m.get_parameter(f"act_{j}")
        assert p.value == 1.0 and p.units == "dimensionless"


# -- library structure: one template per pathway, combined models reuse them ---------------


@pytest.mark.parametrize("path", PATHWAY_FILES, ids=lambda p: p.stem)
def test_pathway_file_is_metadata_plus_its_pathway_template(path):
    doc = tomllib.loads(path.read_text())
    assert doc["include"] == ["../modules/pathways.toml"]
    (use,) = doc["use"]
    assert use["template"] == ("ifng" if path.stem == "ifng_socs1_ko" else path.stem)
    assert set(doc) <= {"format_version", "include", "model", "use", "inputs"}


@pytest.mark.parametrize("path", COMBINED_FILES, ids=lambda p: p.stem)
def test_combined_model_is_the_union_of_its_pathways(path):
    """Every component of each member pathway is in the combined model, unchanged."""
    combined = model(path.stem)
    members = combined.metadata["pathways"].split(",")
    for kind in ("compartments", "species", "parameters", "reactions", "assignments"):
        have = {c.id: c for c in getattr(combined, kind)}
        union = {c.id for stem in members for c in getattr(model(stem), kind)}
        assert set(have) == union, kind
        for stem in members:
            for c in getattr(model(stem), kind):
                assert have[c.id] == c, f"{stem}: {kind} {c.id} differs in {path.name}"


# Published cytokine-receptor affinities (nM) and receptor numbers (per cell) with the range
# each model value must lie in; sources in models/modules/pathways.toml and docs/pathways.md.
KD_RANGE = {  # (stem, kon id, koff id): (low, high) nM, and a word of the source
    ("epo", "kon_EPO_EPOR", "koff_EPO_EPOR"): (0.07, 0.38, "Exp Hematol 1989"),
    ("tpo", "kon_TPO_MPL", "koff_TPO_MPL"): (0.16, 0.56, "Broudy 1997"),
    ("il2", "kon_IL2_IL2RB_JAK1", "koff_IL2_IL2RB_JAK1"): (0.01, 0.1, "Leuk Res 1990"),
    ("il15", "kon_IL15_IL2RB_JAK1", "koff_IL15_IL2RB_JAK1"): (0.5, 2.0, "Leuk Res 1990"),
    ("il4_type1", "kon_IL4_IL4RA_JAK1", "koff_IL4_IL4RA_JAK1"): (0.02, 0.3, "Keegan"),
    ("il4_type2", "kon_IL4_IL4RA_JAK1", "koff_IL4_IL4RA_JAK1"): (0.02, 0.3, "Keegan"),
    ("il13_type2", "kon_IL13_IL13RA1_TYK2", "koff_IL13_IL13RA1_TYK2"): (1.0, 10.0, "Aman 1996"),
    ("gmcsf", "kon_GMCSF_CSF2RA", "koff_GMCSF_CSF2RA"): (1.0, 10.0, "PMID 10572088"),
    ("ifna", "kon_IFNA_IFNAR2_JAK1", "koff_IFNA_IFNAR2_JAK1"): (0.4, 5.0, "Lavoie 2011"),
}  # fmt: skip
COPIES_RANGE = {  # (stem, Rtot id): (low, high) receptors per cell
    ("epo", "Rtot_EPOR"): (38, 390),  # rat marrow sites/cell .. proerythroblasts
    ("tpo", "Rtot_MPL"): (184, 2705),  # cord-blood .. peripheral-blood megakaryocytes (+1 SD)
}
MOLECULES_PER_NM = 6.02214076e23 * 1e-9 * 1.4e-12  # in the 1.4 pL cytoplasm: 843


@pytest.mark.parametrize("key", list(KD_RANGE), ids=lambda k: k[0])
def test_ligand_affinity_is_the_published_one(key):
    stem, kon, koff = key
    low, high, cited = KD_RANGE[key]
    m = model(stem)
    kd = m.get_parameter(koff).value / m.get_parameter(kon).value  # (1/s)/(1/(nM*s)) = nM
    assert low <= kd <= high
    assert cited in (m.get_parameter(koff).source + m.get_parameter(kon).source)


@pytest.mark.parametrize("key", list(COPIES_RANGE), ids=lambda k: k[1])
def test_receptor_number_is_the_published_one(key):
    stem, rid = key
    low, high = COPIES_RANGE[key]
    p = model(stem).get_parameter(rid)
    assert p.units == "nM" and p.source
    assert low <= p.value * MOLECULES_PER_NM <= high


def test_pathways_of_one_class_differ_by_their_data():
    """EPO and TPO (same class, same STAT) no longer respond identically."""
    peaks = {stem: peak_readouts(stem, {"act_JAK2": np.ones(1)})[0] for stem in ("epo", "tpo")}
    assert not np.isclose(peaks["epo"], peaks["tpo"], rtol=1e-3)


@pytest.mark.parametrize("stem", list(REQUIRED))
def test_each_pathway_wires_exactly_the_literature_jak_pair(stem):
    """No JAK3 in EPO etc.: which act_* a model has is its JAK dependence (the table above)."""
    acts = jak_activities(model(stem))
    assert acts == REQUIRED[stem] | PARTIAL.get(stem, set()) | SCAFFOLD.get(stem, set())


def test_il25_and_il33_are_not_wired_to_jaks():
    """IL-25 and IL-33 signal via Act1/TRAF6 and MyD88, not JAKs (literature-facts section 3)."""
    for path in ALL_FILES:
        ids = {s.id for s in model(path.stem).species}
        assert not ids & {"IL25", "IL33"}, path.name


@pytest.mark.slow
@pytest.mark.parametrize("stem", stems(ALL_FILES))
def test_every_model_simulates_its_default_protocol(stem):
    res = jaksim.simulate(compiled(stem), np.linspace(0.0, 7200.0, 13), preequilibrate=True)
    assert res.status == 0, res.message
    assert np.all(np.isfinite(res.states))
    assert res[readout(stem)].max() > 1.0  # nM: a visible response to the default dose


# -- conservation -------------------------------------------------------------------------


def _ifng_moieties() -> dict[str, dict[str, float]]:
    """Molecules of each conserved moiety per species of the IFN-gamma model, by hand."""
    complexes = ["IFNG_RC_C", "IFNG_RC_Ca", "IFNG_RC_Cp", "IFNG_RC_Cp_STAT1", "IFNG_RC_endo"]
    jak1 = ["JAK1", "IFNGR1_JAK1", "IFNGR1_JAK1_endo", "IFNG_IFNGR1_JAK1", *complexes]
    jak2 = ["JAK2", "IFNGR2_JAK2", "IFNGR2_JAK2_endo", *complexes]
    stat1 = {"STAT1": 1, "pSTAT1": 1, "STAT1_n": 1, "IFNG_RC_Cp_STAT1": 1,
             "pSTAT1_pSTAT1": 2, "pSTAT1_pSTAT1_n": 2}  # fmt: skip
    return {"JAK1": dict.fromkeys(jak1, 1.0), "JAK2": dict.fromkeys(jak2, 1.0), "STAT1": stat1}


def _amount_weights(stem: str, counts: dict[str, float]) -> np.ndarray:
    """Row vector w with w @ y = amount (nM * pL) of the moiety."""
    m, idx = model(stem), species_index(stem)
    size = {c.id: c.size for c in m.compartments}
    w = np.zeros(len(idx))
    for sid, n in counts.items():
        w[idx[sid]] = n * size[m.get_species(sid).compartment]
    return w


def _in_row_space(L: np.ndarray, w: np.ndarray) -> bool:
    coef, *_ = np.linalg.lstsq(L.T, w, rcond=None)
    return np.allclose(L.T @ coef, w, atol=1e-9 * np.abs(w).max())


def test_ifng_jak_and_stat_totals_are_conservation_laws():
    c = compiled("ifng")
    L = np.asarray(c.conservation)
    moieties = _ifng_moieties()
    assert L.shape[0] == len(moieties)  # JAK1, JAK2, STAT1 and nothing else
    res = jaksim.simulate(c, T_FINE, preequilibrate=True)
    for name, counts in moieties.items():
        w = _amount_weights("ifng", counts)
        assert _in_row_space(L, w), name
        totals = res.states @ w
        np.testing.assert_allclose(totals, totals[0], rtol=1e-6, err_msg=name)


def test_receptor_total_relaxes_to_synthesis_degradation_balance():
    """Without ligand, d(total)/dt = kdeg*Rtot - kdeg*total, so total -> Rtot (not conserved)."""
    c = compiled("ifng")
    ss = jaksim.steady_state(c)
    for chain, jak in (("IFNGR1", "JAK1"), ("IFNGR2", "JAK2")):
        total = ss[chain] + ss[f"{chain}_{jak}"] + ss[f"{chain}_{jak}_endo"]
        expected = model("ifng").get_parameter(f"Rtot_{chain}").value
        assert total == pytest.approx(expected, rel=1e-6)
        w = _amount_weights("ifng", {chain: 1, f"{chain}_{jak}": 1, f"{chain}_{jak}_endo": 1})
        assert not _in_row_space(np.asarray(c.conservation), w)


@pytest.mark.parametrize("stem", slow_except(("ifna", "keratinocyte_th2"), among=stems(ALL_FILES)))
def test_one_conservation_law_per_jak_and_stat(stem):
    """Laws = JAK + STAT pools (+ IRF9 with ISGF3); receptors and SOCS are turned over."""
    m = model(stem)
    expected = jak_activities(m)
    expected |= set(m.metadata["stats"].split(","))
    expected |= {"IRF9"} & set(m.species_ids())
    assert np.linalg.matrix_rank(np.asarray(compiled(stem).conservation)) == len(expected)


# -- dynamics -------------------------------------------------------------------------------


# The issue: pSTAT "peaks around 10-60 min" after cytokine addition; literature-facts.md
# (MEMORY row "typical copy numbers"): pSTAT peak 10-30 min, SOCS feedback effective after
# 30-60 min; Yamada 2003 Fig. 2 (IFN-gamma). "Around" is read as 5 min past 60 min, two steps
# of the 2.5-min grid: the peak of a flat maximum is only located to about that.
PEAK_WINDOW_MIN = (10.0, 65.0)
# Known deviation, not a property of IFN-alpha signalling (docs/pathways.md, "Behaviour"): in
# the model only the STAT1 homodimer induces SOCS1, most pSTAT1 goes into STAT1:STAT2/ISGF3,
# so IFN-alpha makes ~25x less SOCS1 than IFN-gamma and peaks late (~68 min at its default
# dose, ~60 min even at 50 nM); USP18 is not modelled. Only this pathway gets a later bound,
# and test_ifna_peak_is_in_the_issue_window records the deviation as an expected failure.
LATE_PEAK_MIN = {"ifna": 75.0}


@pytest.mark.parametrize("stem", slow_except(DEFAULT_SET, among=list(CYTOKINE)))
def test_pstat_rises_within_minutes_peaks_and_is_lowered_by_feedback(stem):
    res = jaksim.simulate(compiled(stem), T_FINE, preequilibrate=True)
    y = res[readout(stem)]
    peak, t_peak = y.max(), T_FINE[y.argmax()] / 60.0
    assert y[0] < 1e-6 * peak  # unstimulated steady state: no phosphorylated STAT
    assert y[T_FINE == 300.0][0] > 0.01 * peak  # visible within 5 min
    if stem == "ifng_socs1_ko":
        assert y[-1] > 0.9 * peak  # sustained without SOCS1 (Yamada 2003 Fig. 2)
        return
    low, high = PEAK_WINDOW_MIN
    assert low <= t_peak <= LATE_PEAK_MIN.get(stem, high), f"{stem} peaks at {t_peak} min"
    assert y[-1] < 0.8 * peak  # SOCS feedback lowers it after the peak


@pytest.mark.xfail(strict=True, reason="IFN-alpha SOCS1 feedback weak, no USP18 (LATE_PEAK_MIN)")
def test_ifna_peak_is_in_the_issue_window():
    """Passes (and so fails as strict xfail) once IFN-alpha feedback is completed."""
    y = jaksim.simulate(compiled("ifna"), T_FINE, preequilibrate=True)[readout("ifna")]
    assert T_FINE[y.argmax()] / 60.0 <= PEAK_WINDOW_MIN[1]


def test_socs1_knockout_sustains_ifng_signalling():
    """Yamada 2003: SOCS1-deficient cells keep nuclear pSTAT1 high for hours (BIOMD0000000094)."""
    late = T_FINE >= 2 * 3600
    wt = jaksim.simulate(compiled("ifng"), T_FINE, preequilibrate=True)
    ko = jaksim.simulate(compiled("ifng_socs1_ko"), T_FINE, preequilibrate=True)
    # no SOCS1 is made; the implicit solver's round-off may leave ~1e-16 nM (1e-4 molecules)
    assert np.all(np.abs(ko["SOCS1"]) < 1e-12)
    assert ko["nuclear_STAT1_STAT1"][late].min() > 3 * wt["nuclear_STAT1_STAT1"][late].max()
    assert ko["pSTAT1_total"].max() >= wt["pSTAT1_total"].max()


def _hill(dose, top, ec50, n):
    return top * dose**n / (ec50**n + dose**n)


@pytest.mark.parametrize("stem", slow_except(("ifng",), among=list(CYTOKINE)))
def test_dose_response_of_peak_pstat_is_sigmoidal_with_pm_nm_ec50(stem):
    doses = np.logspace(-4, 2, 13)  # nM
    protocol = Protocol((Change(0.0, CYTOKINE[stem], "set", doses),))
    t = np.arange(0.0, 3 * 3600.0 + 1.0, 300.0)
    res = jaksim.simulate_ensemble(compiled(stem), t, protocol=protocol, preequilibrate=True)
    assert res.n_failed == 0
    peak = res[readout(stem)].max(axis=1)
    assert np.all(np.diff(peak) >= -1e-6 * peak.max())  # monotone in dose
    (top, ec50, n), _ = curve_fit(
        _hill, doses, peak, p0=(peak.max(), 0.1, 1.0), bounds=([0, 1e-6, 0.2], [1e5, 1e3, 5])
    )
    fitted = _hill(doses, top, ec50, n)
    r2 = 1 - np.sum((peak - fitted) ** 2) / np.sum((peak - peak.mean()) ** 2)
    assert r2 > 0.98
    assert 1e-3 <= ec50 <= 10.0  # 1 pM .. 10 nM
    assert 0.5 <= n <= 3.0


# -- JAK requirements -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "stem", slow_except(("il4_type1", "epo", "ifna", "il6"), among=list(REQUIRED))
)
def test_removing_a_jak_abolishes_exactly_the_pathways_that_need_it(stem):
    used = sorted(REQUIRED[stem] | PARTIAL.get(stem, set()) | SCAFFOLD.get(stem, set()))
    members = 1 + len(used)  # wild type, then one kinase at a time set to 0
    params = {f"act_{j}": np.where(np.arange(members) == i + 1, 0.0, 1.0) for i, j in
              enumerate(used)}  # fmt: skip
    peak = peak_readouts(stem, params)
    for i, j in enumerate(used):
        frac = peak[i + 1] / peak[0]
        if j in REQUIRED[stem]:
            assert frac < 0.01, f"{stem} without {j}: {frac:.3f} of control"
        elif j in SCAFFOLD.get(stem, set()):
            assert frac > 0.999, f"{stem} without {j} activity: {frac:.3f} of control"
        else:
            assert 0.2 < frac < 0.95, f"{stem} without {j}: {frac:.3f} of control"


def test_selective_jak_loss_in_the_keratinocyte_model():
    """No TYK2 protein: IL-4/IL-13 (STAT6) lost, TSLP/IL-31 (STAT5) kept; no JAK2 activity: the
    reverse; no TYK2 activity: STAT6 kept (TYK2 is a scaffold in the type II receptor)."""
    m = compiled("keratinocyte_th2")
    out = jaksim.simulate_ensemble(
        m,
        T_FINE,
        params={"act_TYK2": np.array([1.0, 1.0, 1.0, 0.0]),
                "act_JAK2": np.array([1.0, 1.0, 0.0, 1.0])},
        initial={"TYK2": np.array([m.y0[m.state_ids.index("TYK2")], 0.0,
                                   m.y0[m.state_ids.index("TYK2")],
                                   m.y0[m.state_ids.index("TYK2")]])},
        preequilibrate=True,
    )  # fmt: skip
    assert out.n_failed == 0
    stat6 = out["pSTAT6_total"].max(axis=1)
    stat5 = out["pSTAT5_total"].max(axis=1)
    assert stat6[1] < 0.01 * stat6[0] and stat5[1] > 0.5 * stat5[0]
    assert stat5[2] < 0.01 * stat5[0] and stat6[2] > 0.5 * stat6[0]
    assert stat6[3] > 0.999 * stat6[0]


def test_every_complex_uses_the_one_slot_rule():
    """Each complex's pair logic is the product over its two JAK slots of
    (1 - catreq*(1 - act)); homodimers carry the same JAK twice (so a JAK1/JAK1 complex at
    act_JAK1 = a signals a**2), and no reaction uses a JAK activity outside that rule."""
    for path in PATHWAY_FILES:
        m = model(path.stem)
        pairs = [a for a in m.assignments if a.id.startswith("act_pair_")]
        assert pairs, path.stem
        for a in pairs:
            cplx = a.id[len("act_pair_") :]
            jaks = re.findall(r"act_(JAK[123]|TYK2)", a.expression)
            assert len(jaks) == 2, (path.stem, a.expression)
            want = (f"(1 - catreq_{cplx}_1*(1 - act_{jaks[0]}))"
                    f"*(1 - catreq_{cplx}_2*(1 - act_{jaks[1]}))")  # fmt: skip
            assert a.expression == want
        for r in m.reactions:
            assert not re.search(r"act_(JAK[123]|TYK2)", r.rate or ""), (path.stem, r.id)
    # the homodimer rule, numerically: EPO at act_JAK2 = 0.5 equals both slots at 0.5
    epo = model("epo")
    pair = next(a for a in epo.assignments if a.id == "act_pair_EPO_RC")
    from jaksim.spec.expr import evaluate, parse

    vals = {p.id: p.value for p in epo.parameters} | {"act_JAK2": 0.5}
    assert evaluate(parse(pair.expression), vals) == pytest.approx(0.25)


def test_haematopoietic_cytokines_need_jak2_only():
    """EPO, TPO, GM-CSF, IL-3 are JAK2/JAK2: no JAK1 or JAK3 parameter, JAK2 loss removes pSTAT5."""
    m = model("haematopoietic_progenitor")
    assert jak_activities(m) == {"JAK2"}
    peak = peak_readouts("haematopoietic_progenitor", {"act_JAK2": np.array([1.0, 0.0])})
    assert peak[1] < 0.01 * peak[0]


def test_shared_socs3_pool_gives_cross_talk_in_the_keratinocyte_model():
    """IL-22 (STAT3 -> SOCS3) given 2 h earlier blunts the TSLP (STAT5) response: shared SOCS3."""
    pretreat = np.array([0.0, 1.0])  # nM IL-22 from t = 0; the other cytokines stay at 0
    protocol = Protocol((Change(0.0, "IL22", "set", pretreat), Change(7200.0, "TSLP", "set", 1.0)))
    res = jaksim.simulate_ensemble(
        compiled("keratinocyte_th2"), T_FINE, protocol=protocol, preequilibrate=True
    )
    after = T_FINE >= 7200.0
    assert res["SOCS3"][1, T_FINE == 7200.0][0] > 1.0  # nM, induced by IL-22
    tslp_peak = res["pSTAT5_total"][:, after].max(axis=1)
    assert tslp_peak[1] < 0.8 * tslp_peak[0]


def test_ligand_depleting_variant_consumes_the_cytokine(tmp_path):
    """With the `cytokine_depleting` template, binding and endocytosis consume the cytokine."""
    shutil.copytree(MODELS / "modules", tmp_path / "modules")
    # the receptor-class templates instantiate the cytokine; swap it in a copy of the modules
    classes = tmp_path / "modules" / "pathway_classes.toml"
    text = classes.read_text()
    assert text.count('template = "cytokine"\n') == 3  # one per receptor class
    classes.write_text(text.replace('template = "cytokine"\n', 'template = "cytokine_depleting"\n'))
    (tmp_path / "pathways").mkdir()
    shutil.copy(MODELS / "pathways" / "ifng.toml", tmp_path / "pathways" / "ifng_depleting.toml")
    m = load_model_file(tmp_path / "pathways" / "ifng_depleting.toml")
    assert not m.get_species("IFNG").boundary
    dose = 0.001  # nM in 1000 pL of medium: ~600 molecules per cell, fewer than its ~1700 IFNGR1
    protocol = Protocol((Change(0.0, "IFNG", "set", dose),))
    res = jaksim.simulate(m, T_FINE, protocol=protocol, preequilibrate=True)
    assert res.status == 0
    assert res["IFNG"][0] == pytest.approx(dose)
    assert np.all(np.diff(res["IFNG"]) <= 1e-15)
    # amount (nM*pL) gone from the medium = amount bound now + amount degraded in endosomes
    size = {c.id: c.size for c in m.compartments}
    lost = (dose - res["IFNG"]) * size["ext"]
    bound_ids = ["IFNG_IFNGR1_JAK1", "IFNG_RC_C", "IFNG_RC_Ca", "IFNG_RC_Cp", "IFNG_RC_Cp_STAT1"]
    bound = sum(res[k] for k in [*bound_ids, "IFNG_RC_endo"]) * size["cyt"]
    assert np.all(lost >= bound * (1 - 1e-6) - 1e-12)
    assert lost[-1] > 1.5 * bound[-1] > 0.0  # a sizeable part has been degraded by 4 h

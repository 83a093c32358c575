"""Virtual drug-parameter populations (jaksim.pharmacology.uncertainty) and the intervals the
pharmacology experiment kinds report with them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from jaksim.pharmacology.library import load_library
from jaksim.pharmacology.uncertainty import sample_drugs, sampled_library, sigma_log, summarize

LIB = load_library()
Z90 = 1.6448536269514722


def test_sampled_potencies_have_the_stated_spread_and_are_reproducible():
    """Upadacitinib: JAK1 from a READ anchor (90 % fold 2), JAK2 = READ ratio x JAK1, so
    ln K_JAK1 has sd ln(2)/1.645 and ln(K_JAK2/K_JAK1) the same; medians are the nominal
    values (log-normal around them)."""
    d = LIB.get("upadacitinib")
    a = sample_drugs(d, 4000, library=LIB, seed=3, pk=False)
    b = sample_drugs(d, 4000, library=LIB, seed=3, pk=False)
    k1 = np.array([x.cellular["JAK1"].value for x in a])
    k2 = np.array([x.cellular["JAK2"].value for x in a])
    assert np.array_equal(k1, [x.cellular["JAK1"].value for x in b])
    want = np.log(2.0) / Z90
    assert np.std(np.log(k1)) == pytest.approx(want, rel=0.05)
    assert np.std(np.log(k2 / k1)) == pytest.approx(want, rel=0.05)
    assert np.median(k1) == pytest.approx(d.cellular["JAK1"].value, rel=0.03)
    assert {x.id for x in a[:2]} == {"upadacitinib#0", "upadacitinib#1"}


def test_a_stated_range_overrides_the_confidence_fold():
    d = LIB.get("upadacitinib")
    (anchor,) = d.anchors
    ranged = replace(anchor.ic50, range=(anchor.ic50.value / 4, anchor.ic50.value * 4))
    assert sigma_log(ranged, LIB) == pytest.approx(np.log(4) / Z90)
    assert sigma_log(anchor.ic50, LIB) == pytest.approx(np.log(2) / Z90)


def test_intervals_collapse_to_the_nominal_value_without_uncertainty():
    """With every fold 1 and PK fixed, every sample is the nominal drug: the interval of the
    mean daily inhibition is the nominal value itself (an exact check of the plumbing)."""
    from jaksim.pharmacology.panel import daily_table, run_panel

    one = {c: replace(q, value=1.0) for c, q in LIB.potency_fold_90.items()}
    lib = replace(LIB, potency_fold_90=one)
    lib_s, ids = sampled_library(lib, ["upadacitinib"], 5, seed=1, pk=False)
    conc = np.logspace(0, 5, 21)
    nominal = daily_table(run_panel(["il6"], ["upadacitinib"], conc, library=lib),
                          [("upadacitinib", "15 mg QD")], library=lib)  # fmt: skip
    resp = run_panel(["il6"], ids["upadacitinib"], conc, library=lib_s)
    sampled = daily_table(resp, [(i, "15 mg QD") for i in ids["upadacitinib"]], library=lib_s)
    s = summarize(sampled, "mean_inhibition", ["drug", "regimen", "pathway"]).iloc[0]
    x = nominal["mean_inhibition"].iloc[0]
    assert s["mean_inhibition_q05"] == pytest.approx(x, rel=1e-9)
    assert s["mean_inhibition_q95"] == pytest.approx(x, rel=1e-9)
    assert s["samples"] == 5


def test_clinical_kind_writes_intervals(tmp_path):
    from jaksim.experiment import run_experiment

    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[experiment]\nname = "c"\nkind = "clinical_regimen"\n\n[clinical_regimen]\n'
        'pathways = ["il6", "epo"]\n'
        'concentrations = { low = "1 nM", high = "100000 nM", points = 16 }\n'
        "uncertainty = { samples = 12, seed = 2 }\n"
        'regimens = [{ drug = "upadacitinib", regimen = "15 mg QD" }]\n'
    )
    import pandas as pd

    out = run_experiment(cfg, out=tmp_path / "out", quiet=True)
    d = pd.read_csv(out / "daily_inhibition.csv").set_index("pathway")
    for p in ("il6", "epo"):
        row = d.loc[p]
        assert row.mean_inhibition_q05 < row.mean_inhibition_median < row.mean_inhibition_q95
        assert row.samples == 12
    assert d.loc["il6", "mean_inhibition_q05"] > d.loc["epo", "mean_inhibition_q95"]

"""Potency derivation: anchors inverted through the model's whole-blood assay, ratios from
one panel (jaksim.pharmacology.derive), and the library's stored values kept in step."""

from __future__ import annotations

import numpy as np
import pytest

from jaksim.pharmacology.derive import derive_potencies, invert_anchor, with_derived
from jaksim.pharmacology.library import load_library
from jaksim.pharmacology.panel import ic50_table, run_panel

LIB = load_library()


def test_inverted_potency_gives_the_anchor_ic50_back():
    """Independent check of the inversion: simulate the ordinary dose-response panel with the
    derived potency and fit a Hill curve; its IC50 is the anchor's published value."""
    d = LIB.get("upadacitinib")
    (anchor,) = d.anchors
    k = invert_anchor(d, LIB, anchor.pathway, anchor.jak, anchor.ic50.value,
                      {j: q.value for j, q in d.cellular.items()})  # fmt: skip
    lib = LIB.with_cellular("upadacitinib", {anchor.jak: k}, "test: derived")
    resp = run_panel([anchor.pathway], ["upadacitinib"], np.logspace(0, 3.5, 36), library=lib)
    (fit,) = ic50_table(resp, library=lib).itertuples()
    assert fit.ic50_nM == pytest.approx(anchor.ic50.value, rel=0.02)


def test_stored_potencies_equal_a_fresh_derivation_fast_drugs():
    """models/drugs.toml holds the derivation's result (3 significant digits)."""
    lib = LIB
    for name in ("tofacitinib", "upadacitinib"):
        derived = derive_potencies(name, lib)
        lib = with_derived(lib, name, derived)
        for jak, p in derived.items():
            assert LIB.get(name).cellular[jak].value == pytest.approx(p.value, rel=0.01), jak


@pytest.mark.slow
def test_stored_potencies_equal_a_fresh_derivation_all_drugs():
    lib = LIB
    for d in LIB.drugs.values():
        if not (d.anchors or d.ratios):
            continue
        derived = derive_potencies(d.id, lib)
        lib = with_derived(lib, d.id, derived)
        for jak, p in derived.items():
            assert d.cellular[jak].value == pytest.approx(p.value, rel=0.01), (d.id, jak)


def test_ratio_jaks_follow_their_reference():
    """A ratio sets K_j = ratio x K_of, also across drugs (abrocitinib's bridge to
    tofacitinib's JAK1 in one assay system)."""
    for d in LIB.drugs.values():
        current = {jak: q.value for jak, q in d.cellular.items()}
        for j, r in d.ratios.items():
            assert d.cellular[j].value == pytest.approx(
                r.ratio.value * r.reference(LIB, current), rel=0.01
            )


def test_anchor_on_a_pathway_without_that_jak_is_refused():
    from jaksim.spec.errors import PharmacologyError

    d = LIB.get("tofacitinib")
    with pytest.raises(PharmacologyError, match="does not use JAK3"):
        invert_anchor(d, LIB, "epo", "JAK3", 100.0, {j: q.value for j, q in d.cellular.items()})

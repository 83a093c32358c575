"""``jaksim explore``: the biology switches and the Bokeh app's callbacks (no server)."""

from __future__ import annotations

import numpy as np
import pytest

from jaksim.explore import Biology, signals, week_course
from jaksim.pharmacology import load_library
from jaksim.pharmacology.assays import inhibition_at, whole_blood_response
from jaksim.pharmacology.classroom import dose_daily_inhibition

CONC = np.concatenate([[0.0], np.geomspace(1, 1e5, 11)])


def test_unchanged_cells_give_the_whole_blood_assay():
    import jaksim

    lib = load_library()
    s = signals("il13_type2", "upadacitinib", Biology(), library=lib, conc=CONC)
    ref = whole_blood_response(jaksim.load_model("il13_type2"), ["upadacitinib"], CONC[1:])
    assert s["signal"][0] == pytest.approx(1.0)
    np.testing.assert_allclose(s["response"].inhibition, ref.inhibition, atol=1e-9)


def test_biology_switches():
    lib = load_library()

    def base(pathway, bio):
        return signals(pathway, "upadacitinib", bio, library=lib, conc=CONC[:2])["signal"][0]

    assert base("il13_type2", Biology(receptor=0.1)) < 0.5
    assert base("il13_type2", Biology(receptor=10.0)) > 1.0
    # no JAK1 protein: no IL-13 signal; no TYK2 protein either, although the drug-relevant
    # TYK2 slot is only a scaffold: the protein carries IL-13Ra1 into the complex
    assert base("il13_type2", Biology(jak_ko="JAK1")) < 1e-3
    assert base("il13_type2", Biology(jak_ko="TYK2")) < 1e-3
    assert base("il13_type2", Biology(jak_ko="JAK2")) == pytest.approx(1.0, rel=1e-6)
    assert base("epo", Biology(jak_ko="JAK2")) < 1e-3
    with pytest.raises(ValueError, match="unknown JAK"):
        base("epo", Biology(jak_ko="JAK4"))
    # nothing left to inhibit: the dose-response of dark cells is flat zero, not NaN
    dark = signals("epo", "upadacitinib", Biology(jak_ko="JAK2"), library=lib, conc=CONC)
    assert np.all(dark["response"].inhibition == 0)


def test_week_course_reaches_the_steady_state_day_and_feels_missed_doses():
    lib = load_library()
    resp = signals("il13_type2", "upadacitinib", Biology(), library=lib)["response"]
    wk = week_course(resp, lib, "upadacitinib", "15 mg QD", 15.0, [])
    last = wk["t"] >= 6 * 24
    day7 = np.trapezoid(wk["inhibition"][last], wk["t"][last]) / 24
    ss = dose_daily_inhibition(resp, "upadacitinib", "15 mg QD", 15.0, library=lib)
    assert day7 == pytest.approx(ss, rel=0.02)  # t1/2 ~15 h: a week is near steady state
    gap = week_course(resp, lib, "upadacitinib", "15 mg QD", 15.0, [6])
    assert np.mean(gap["inhibition"][last]) < 0.3 * np.mean(wk["inhibition"][last])
    np.testing.assert_allclose(wk["inhibition"], inhibition_at(resp, "upadacitinib", wk["c"]))


def test_app_callbacks_update_the_plots():
    pytest.importorskip("bokeh", reason="bokeh not installed (pip install bokeh)")
    from bokeh.document import Document

    from jaksim.explore import make_document

    doc = Document()
    make_document(doc, pathways=("il13_type2", "epo", "il7"))
    h = doc.jaksim
    drug_bars = lambda: np.array(h["bars"].data["drug"])  # noqa: E731
    start = drug_bars()
    h["dose"].value = 30.0  # more drug: less signal left
    assert np.all(drug_bars()[[0, 2]] < start[[0, 2]] - 1)
    h["missed"].active = [5, 6]  # the last two days without drug: signal back near normal
    assert np.all(drug_bars() > 98)
    h["missed"].active = []
    h["jak_ko"].value = "JAK2"
    assert h["bars"].data["none"][1] < 1e-3 and "EPO" in h["status"].text
    h["jak_ko"].value = "none"
    h["drug"].value = "tofacitinib"  # resets schedule and dose to the first approved one
    assert h["regimen"].value == "5 mg BID" and h["dose"].value == 5.0
    il7 = drug_bars()[2]
    h["whatif"].active = [0]
    h["K"]["JAK3"].value = 5.0  # a tofacitinib without its JAK3 potency spares IL-7
    assert drug_bars()[2] > il7 + 10
    assert len(h["week"]["il7"].data["t"]) == 7 * 24 * 4 + 1

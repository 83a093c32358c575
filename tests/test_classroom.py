"""The classroom selectivity explorer (``jaksim classroom``): data, page, and the page used as
a student would, in headless Chromium from disk with the network off."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import numpy as np
import pytest

import jaksim
from jaksim.pharmacology import load_library
from jaksim.pharmacology.assays import daily_inhibition, parent_equivalent
from jaksim.pharmacology.classroom import (
    classroom_data,
    dose_daily_inhibition,
    dose_profile,
    missed_dose_profile,
    pair_slots,
)
from jaksim.pharmacology.panel import run_panel
from jaksim.pharmacology.pk import ligand_concentrations
from jaksim.pharmacology.potency import potency_table
from jaksim.plot.classroom import render_classroom_page, write_classroom_page
from jaksim.spec.errors import ModelError

# Small grid to keep the suite fast; coarse on purpose: at 4 points per decade a reader that
# interpolated anything but logit(inhibition) vs log(concentration) would miss the Python value
# by far more than the tolerance below.
PATHWAYS = ["il13_type2", "epo", "il7"]
DRUGS = ["upadacitinib", "tofacitinib", "baricitinib"]
CONC = np.geomspace(0.1, 1e6, 29)
TOL = 2e-5  # fraction; the page rounds its inputs to 6 significant digits
LESSONS = Path(__file__).resolve().parents[1] / "docs" / "lessons"


@pytest.fixture(scope="module")
def responses():
    return run_panel(PATHWAYS, DRUGS, CONC)


@pytest.fixture(scope="module")
def page(responses, tmp_path_factory) -> Path:
    data = classroom_data(PATHWAYS, DRUGS, CONC, responses=responses)
    return write_classroom_page(data, tmp_path_factory.mktemp("classroom") / "selectivity.html")


def test_pair_slots_come_from_the_models_pair_rule():
    assert pair_slots(jaksim.load_model("il13_type2")) == [
        {"jak": "TYK2", "catreq": 0.0},
        {"jak": "JAK1", "catreq": 1.0},
    ]
    assert [s["jak"] for s in pair_slots(jaksim.load_model("epo"))] == ["JAK2", "JAK2"]
    assert [s["jak"] for s in pair_slots(jaksim.load_model("il7"))] == ["JAK1", "JAK3"]


def test_dose_profile_is_linear_in_dose():
    lib = load_library()
    t = np.linspace(0, 24, 49)
    one = dose_profile(lib, "filgotinib", "200 mg QD", t)  # parent + active metabolite
    half = dose_profile(lib, "filgotinib", "200 mg QD", t, dose=100.0)
    np.testing.assert_allclose(half, one / 2, rtol=1e-12)
    np.testing.assert_allclose(half, dose_profile(lib, "filgotinib", "100 mg QD", t), rtol=1e-12)


def test_slider_quantity_equals_daily_inhibition_at_approved_doses(responses):
    lib = load_library()
    for drug in DRUGS:
        d = lib.get(drug)
        for rname, reg in d.regimens.items():
            ref = daily_inhibition(responses["il13_type2"], drug, rname, library=lib)
            got = dose_daily_inhibition(responses["il13_type2"], drug, rname, reg.dose, library=lib)
            assert got == pytest.approx(ref["mean_inhibition"], rel=1e-12, abs=1e-15)
    # the QD schedule at 30 mg is the approved 30 mg QD regimen
    up30 = daily_inhibition(responses["epo"], "upadacitinib", "30 mg QD")["mean_inhibition"]
    assert dose_daily_inhibition(responses["epo"], "upadacitinib", "15 mg QD", 30.0) == (
        pytest.approx(up30, rel=1e-12)
    )


def test_page_is_self_contained(page):
    html = page.read_text(encoding="utf-8")
    assert page.stat().st_size < 5e6
    assert "<script src" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "default-src 'none'" in html  # the browser itself refuses any network request
    assert f"jaksim {jaksim.__version__}" in html


def test_page_data_and_hashes(responses):
    data = classroom_data(PATHWAYS, DRUGS, CONC, responses=responses)
    assert len(data["meta"]["library_hash"]) == 12 and len(data["meta"]["model_hash"]) == 12
    up = next(d for d in data["drugs"] if d["id"] == "upadacitinib")
    assert "atopic dermatitis" in up["indications"] and "Rinvoq" in up["brands"]
    assert up["targets"] == ["JAK1"]
    html = render_classroom_page(data)
    assert data["meta"]["library_hash"] in html and data["meta"]["model_hash"] in html
    # a string in the data cannot close the <script> element that carries it
    data["drugs"][0]["note"] = "</script><b>x</b>"
    assert "</script><b>" not in render_classroom_page(data)


def test_indications_need_a_source(tmp_path):
    from jaksim.pharmacology.library import default_library_path

    text = default_library_path().read_text(encoding="utf-8")
    bad = re.sub(r'indications_source = "Cibinqo[^\n]*\n', "", text, count=1)
    assert bad != text
    path = tmp_path / "drugs.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ModelError, match="abrocitinib.indications_source"):
        load_library(path)


# -- in a browser, as a student -------------------------------------------------------------
# the `browser` fixture (headless Chromium via playwright) is in conftest.py


def _open(browser, page_path: Path):
    ctx = browser.new_context(offline=True, viewport={"width": 1400, "height": 1000},
                              accept_downloads=True)  # fmt: skip
    tab = ctx.new_page()
    errors, requests = [], []
    tab.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:"))
           else None)  # fmt: skip
    tab.goto(page_path.as_uri())
    tab.wait_for_selector("body[data-ready='1']", timeout=15_000)
    return ctx, tab, errors, requests


def _shown(tab, side: str) -> dict[str, float]:
    """Panel 2's numbers as the page holds them (the fraction behind each drawn bar)."""
    cells = tab.query_selector_all(f"#t-daily td[data-side='{side}']")
    return {
        c.evaluate("e => e.parentElement.dataset.pathway"): float(c.get_attribute("data-value"))
        for c in cells
    }


def test_student_moves_the_dose_slider_and_switches_drugs(browser, page, responses, tmp_path):
    lib = load_library()
    ctx, tab, errors, requests = _open(browser, page)
    tab.screenshot(path=str(tmp_path / "classroom_start.png"), full_page=True)

    # start: upadacitinib 15 mg QD (A) vs tofacitinib 5 mg BID (B), the approved doses
    a0, b0 = _shown(tab, "A"), _shown(tab, "B")
    for p in PATHWAYS:
        ref = daily_inhibition(responses[p], "upadacitinib", "15 mg QD", library=lib)
        assert a0[p] == pytest.approx(ref["mean_inhibition"], abs=TOL)
        ref = daily_inhibition(responses[p], "tofacitinib", "5 mg BID", library=lib)
        assert b0[p] == pytest.approx(ref["mean_inhibition"], abs=TOL)
    assert "15 mg" in tab.inner_text("#dose-A-out")

    # the dose slider, by keyboard: 15 steps of 1 mg -> 30 mg
    tab.focus("#dose-A")
    for _ in range(15):
        tab.keyboard.press("ArrowRight")
    assert tab.inner_text("#dose-A-out").startswith("30 mg")
    a1 = _shown(tab, "A")
    for p in PATHWAYS:
        ref = dose_daily_inhibition(responses[p], "upadacitinib", "15 mg QD", 30.0, library=lib)
        assert a1[p] == pytest.approx(ref, abs=TOL)
    # a JAK1-selective drug: doubling the dose adds more IL-13 block than EPO block
    assert a1["il13_type2"] - a0["il13_type2"] > 2 * (a1["epo"] - a0["epo"]) > 0
    assert _shown(tab, "B") == b0  # the other drug did not move
    tab.screenshot(path=str(tmp_path / "classroom_upa30.png"), full_page=True)

    # occupancy in the JAK-pair picture: the day's mean of Cu / (Cu + K)
    up = lib.get("upadacitinib")
    c = dose_profile(lib, "upadacitinib", "15 mg QD", np.linspace(0, 24, 481), dose=30.0)
    k1 = potency_table(lib, ["upadacitinib"])["upadacitinib"]["JAK1"]
    occ = np.trapezoid(up.fraction_unbound * c / (up.fraction_unbound * c + k1), dx=0.05) / 24
    assert tab.evaluate("window.jaksimClassroom.last.A.occ.JAK1") == pytest.approx(occ, rel=1e-4)

    # the dose-response panel follows the signal menu
    before = tab.evaluate("document.getElementById('c-dr').toDataURL()")
    tab.select_option("#pw-1", "il7")
    assert tab.evaluate("document.getElementById('c-dr').toDataURL()") != before

    # switch drug B through its menu: the schedule resets to the first approved one
    tab.select_option("#drug-B", "baricitinib")
    assert tab.input_value("#reg-B") == "2 mg QD"
    b1 = _shown(tab, "B")
    for p in PATHWAYS:
        ref = daily_inhibition(responses[p], "baricitinib", "2 mg QD", library=lib)
        assert b1[p] == pytest.approx(ref["mean_inhibition"], abs=TOL)
    # baricitinib (JAK1/JAK2) spares EPO less than upadacitinib at its approved dose
    assert b1["epo"] / b1["il13_type2"] > a0["epo"] / a0["il13_type2"]
    tab.select_option("#reg-B", "4 mg QD")
    ref = daily_inhibition(responses["epo"], "baricitinib", "4 mg QD", library=lib)
    assert _shown(tab, "B")["epo"] == pytest.approx(ref["mean_inhibition"], abs=TOL)
    tab.screenshot(path=str(tmp_path / "classroom_bari4.png"), full_page=True)

    # exports: the current view as PNG and its numbers as CSV with sources
    with tab.expect_download() as dl:
        tab.click("#save-csv")
    csv = Path(dl.value.path()).read_text(encoding="utf-8")
    assert f"jaksim {jaksim.__version__}" in csv and "models/drugs.toml" in csv
    row = next(r for r in csv.splitlines() if r.startswith("B,baricitinib,") and ",epo," in r)
    assert float(row.split(",")[8]) == pytest.approx(ref["mean_inhibition"], rel=1e-4)
    assert "Olumiant" in row  # regimen / indication sources travel with the numbers
    with tab.expect_download() as dl:
        tab.click("#save-png")
    assert Path(dl.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    times = tab.evaluate("window.jaksimClassroom.redrawTimes")
    assert len(times) >= 18 and float(np.median(times)) < 500  # bench: well under 200 ms
    assert errors == [] and requests == []
    ctx.close()


def test_cli_writes_the_page(tmp_path, capsys):
    from jaksim.cli.main import main

    out = tmp_path / "page.html"
    argv = ["classroom", "--out", str(out), "--pathways", "epo", "--drugs", "ruxolitinib"]
    assert main([*argv, "--per-decade", "2"]) == 0
    assert "1 drugs x 1 pathways x 15 concentrations" in capsys.readouterr().out
    assert "Jakafi" in out.read_text(encoding="utf-8")


def test_missed_dose_profile():
    lib = load_library()
    t = np.linspace(0, 96, 385)
    for drug, reg in [("filgotinib", "200 mg QD"), ("upadacitinib", "15 mg QD")]:
        d = lib.get(drug)  # filgotinib: parent + active metabolite as parent-equivalent
        ref = parent_equivalent(d, ligand_concentrations(d, d.regimen(reg), t))
        np.testing.assert_allclose(missed_dose_profile(lib, drug, reg, t), ref, rtol=1e-12)
    # missing dose 2 (day 3): the same before it; after it, lower by one dose's own curve
    full = missed_dose_profile(lib, "upadacitinib", "15 mg QD", t)
    gap = missed_dose_profile(lib, "upadacitinib", "15 mg QD", t, missed=[2])
    np.testing.assert_allclose(gap[t < 48], full[t < 48], rtol=1e-12)
    after = t >= 48
    single = missed_dose_profile(lib, "upadacitinib", "15 mg QD", t[after] - 48, missed=[1, 2])
    assert single.max() > 10
    np.testing.assert_allclose(full[after] - gap[after], single, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("lesson", sorted(LESSONS.glob("*.py")), ids=lambda p: p.stem)
def test_lesson_runs(lesson, tmp_path, monkeypatch):
    """Each lesson (jupytext percent script) runs top to bottom; its asserts are its checks."""
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(lesson), run_name="__main__")

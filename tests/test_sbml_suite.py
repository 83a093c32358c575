"""SBML Test Suite: a fixed, tag-balanced sample by default; every case when ``-m slow``.

Pass criterion (the suite's README): ``|sim - expected| <= absolute + relative*|expected|`` for
every compared variable and output time. Skipped cases must name an unsupported construct.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jaksim.sbml_suite import run_case, run_suite

CASES = Path(__file__).resolve().parents[2] / "shared" / "sbml-test-suite" / "cases"
pytestmark = pytest.mark.skipif(not CASES.is_dir(), reason="SBML Test Suite not available")

# Up to three cases per tag (seeded random pick over every tag of the 1214 cases), so each
# feature is exercised in the fast test run; minus 962, 1589, 1591 and 1592
# (RandomEventExecution: ~10^4 events, 10-70 s each; 1589 and 1592 were skipped before
# algebraic rules and delay() were supported), which the slow whole-suite test runs.
SAMPLE = [
    56, 130, 182, 257, 265, 422, 764, 875, 922, 925, 949, 973, 992, 1000, 1022, 1121,
    1130, 1133, 1136, 1139, 1141, 1144, 1145, 1148, 1159, 1162, 1163, 1165, 1168, 1171, 1193,
    1195, 1199, 1247, 1265, 1276, 1279, 1282, 1289, 1291, 1294, 1321, 1460, 1472, 1477, 1496,
    1498, 1508, 1510, 1519, 1520, 1522, 1523, 1544, 1561, 1565, 1579, 1600,
    1607, 1618, 1619, 1621, 1625, 1628, 1691, 1775, 1777, 1814, 1816,
    1, 26, 1120, 1660,  # basic reaction; event; delayed t0 event + variable volume; avogadro
]  # fmt: skip
# Constructs jaksim refuses; a skip must be for one of these (or a non-time-course test).
KNOWN_UNSUPPORTED = (
    "algebraic rule", "fast reaction", "csymbol delay", "csymbol rateOf", "test type",
    "parameter without value", "compartment without size", "comp external model",
    "reaction without kinetic", "rateOf of an assignment-rule",
    "event assigning a concentration in a variable-size compartment",
)  # fmt: skip


def _check(result) -> None:
    assert result.status != "failed", f"{result.case}: {result.reason}"
    if result.status == "skipped":
        assert any(k in result.reason for k in KNOWN_UNSUPPORTED), result.reason


@pytest.mark.parametrize("case", SAMPLE)
def test_sample_case(case: int) -> None:
    _check(run_case(CASES / f"{case:05d}"))


def test_wrong_expected_values_fail(tmp_path: Path) -> None:
    """The comparison can fail: a case whose expected S1 is off by 1% is reported failed."""
    src = CASES / "00001"
    dst = tmp_path / "00001"
    shutil.copytree(src, dst)
    csv = dst / "00001-results.csv"
    lines = csv.read_text().splitlines()
    header, rows = lines[0], lines[1:]
    bumped = []
    for row in rows:
        t, s1, s2 = row.split(",")
        bumped.append(f"{t},{float(s1) * 1.01!r},{s2}")
    csv.write_text("\n".join([header, *bumped]) + "\n")
    result = run_case(dst)
    assert result.status == "failed" and "S1" in result.reason


def test_summary_line_format() -> None:
    summary = run_suite(CASES, cases=["1", "40", "1571"])
    assert summary.last_line() == "2 passed, 0 failed, 1 skipped"
    assert "| AlgebraicRule | 1 | 1 | 0 | 0 |" in summary.table()
    assert "| FastReaction | 1 | 0 | 0 | 1 |" in summary.table()


@pytest.mark.slow
def test_whole_suite() -> None:
    summary = run_suite(CASES)
    failed = [f"{r.case}: {r.reason}" for r in summary.results if r.status == "failed"]
    assert not failed, "\n".join(failed)
    for r in summary.results:
        _check(r)
    assert summary.counts["passed"] >= 0.85 * len(summary.results)

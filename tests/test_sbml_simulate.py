"""``simulate``, ``simulate_ensemble`` and ``jaksim simulate`` on SBML models with events.

Case 00026 of the SBML Test Suite: S1 -> S2 at rate k1*S1 (k1 = 1, unit volume, S1(0) = 1);
the state-triggered event ``S1 < 0.1`` resets S1 to 1. Checked against the suite's expected
values (its tolerance: 1e-4 absolute + 1e-4 relative) and against analytic solutions.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from jaksim.cli.main import main
from jaksim.simulation import Change, Protocol, simulate, simulate_ensemble

CASES = Path(__file__).resolve().parents[2] / "shared" / "sbml-test-suite" / "cases"
CASE = CASES / "00026" / "00026-sbml-l3v2.xml"
pytestmark = pytest.mark.skipif(not CASES.is_dir(), reason="SBML Test Suite not available")
T = np.linspace(0.0, 5.0, 51)


def _expected() -> dict[str, np.ndarray]:
    table = np.genfromtxt(CASE.parent / "00026-results.csv", delimiter=",", names=True)
    return {name: table[name] for name in table.dtype.names}


def _assert_suite_match(got: np.ndarray, want: np.ndarray) -> None:
    assert np.all(np.abs(got - want) <= 1e-4 + 1e-4 * np.abs(want))


@pytest.mark.parametrize("solver", ["rodas", "lsoda", "bdf"])
def test_simulate_executes_a_state_triggered_event(solver: str) -> None:
    res = simulate(CASE, T, solver=solver, rtol=1e-8, atol=1e-10)
    assert res.status == 0, res.message
    want = _expected()
    np.testing.assert_allclose(res.t, want["time"], rtol=1e-15)
    for sid in ("S1", "S2"):
        _assert_suite_match(res[sid], want[sid])
    # the event fired (S1 back near 1 after t = ln 10), so it was not ignored
    assert res["S1"][T > 2.4].max() > 0.9
    frame = res.to_dataframe()
    assert list(frame.columns) == ["time", "S1", "S2"]
    assert res.to_xarray()["S2"].shape == (51,)
    assert res["k1"][0] == 1.0  # parameter trajectories are recorded by the event driver


def test_outputs_selection_applies_to_event_models() -> None:
    res = simulate(CASE, T, outputs=["S2"])
    assert res.state_ids == ("S2",) and res.states.shape == (51, 1)


def test_protocol_change_of_a_parameter_is_honoured() -> None:
    """k1 -> 0 at t = 1 freezes S1 at e^-1 > 0.1: the event (due at ln 10) never fires."""
    proto = Protocol((Change(1.0, "k1", "set", 0.0),))
    res = simulate(CASE, T, protocol=proto, rtol=1e-9, atol=1e-12)
    after = T >= 1.0
    np.testing.assert_allclose(res["S1"][after], math.exp(-1.0), rtol=1e-7)
    np.testing.assert_allclose(res["S2"][after], 1.0 - math.exp(-1.0), rtol=1e-7)


def test_protocol_change_can_trigger_an_event() -> None:
    """S1 set to 0.05 at t = 1 makes ``S1 < 0.1`` true: the event resets S1 to 1 at once."""
    proto = Protocol((Change(1.0, "S1", "set", 0.05),))
    res = simulate(CASE, T, protocol=proto, rtol=1e-9, atol=1e-12)
    i1, i15 = np.searchsorted(T, [1.0, 1.5])
    assert res["S1"][i1] == pytest.approx(1.0, rel=1e-12)  # values at t are after t's events
    assert res["S1"][i15] == pytest.approx(math.exp(-0.5), rel=1e-7)
    s2 = (1.0 - math.exp(-1.0)) + (1.0 - math.exp(-0.5))
    assert res["S2"][i15] == pytest.approx(s2, rel=1e-7)


def test_ensemble_runs_event_members_one_by_one() -> None:
    """With k1 = 2 time runs twice as fast: member 1 at t equals the suite's values at 2t."""
    t = np.linspace(0.0, 2.5, 26)
    ens = simulate_ensemble(
        CASE, t, param_matrix=[[1.0], [2.0]], param_names=["k1"], rtol=1e-8, atol=1e-10
    )
    assert len(ens) == 2 and ens.n_failed == 0
    assert ens.stats.shape == (2, 5) and np.all(ens.stats[:, 0] > 0)
    want = _expected()
    for sid in ("S1", "S2"):
        _assert_suite_match(ens[sid][0], want[sid][:26])
        _assert_suite_match(ens[sid][1], want[sid][::2])
    np.testing.assert_array_equal(ens.to_xarray()["param_k1"], [1.0, 2.0])


def test_preequilibrate_is_refused_naming_the_events() -> None:
    with pytest.raises(ValueError, match=r"has events \(event1\): preequilibrate"):
        simulate(CASE, T, preequilibrate=True)


def test_cli_simulate_runs_sbml_events(tmp_path: Path) -> None:
    out = tmp_path / "c26.csv"
    assert main(["simulate", str(CASE), "--t-end", "5", "--points", "51", "--out", str(out)]) == 0
    got = np.genfromtxt(out, delimiter=",", names=True)
    want = _expected()
    for sid in ("S1", "S2"):
        _assert_suite_match(got[sid], want[sid])

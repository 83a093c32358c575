"""Simulation API: protocols, ensembles, failures, id handling and result conversion."""

from __future__ import annotations

import _kernels as K
import numpy as np
import pytest

from jaksim.simulation import (
    Change,
    EnsembleResult,
    Protocol,
    SimulationResult,
    simulate,
    simulate_ensemble,
)
from jaksim.spec.errors import SimulationError

KS, KD = 2.0, 0.5


def _pulse_exact(t, t_on=10.0, t_off=20.0):
    """x' = KS*u - KD*x with u = 1 on [t_on, t_off), else 0; x(0) = 0."""
    x = np.where(t < t_on, 0.0, KS / KD * (1 - np.exp(-KD * (np.minimum(t, t_off) - t_on))))
    x_off = KS / KD * (1 - np.exp(-KD * (t_off - t_on)))
    return np.where(t > t_off, x_off * np.exp(-KD * (t - t_off)), x)


PULSE = Protocol((Change(10.0, "u", "set", 1.0), Change(20.0, "u", "set", 0.0)))


@pytest.mark.parametrize("solver", ["rodas", "radau"])
def test_input_pulse_matches_piecewise_solution(solver):
    m = K.make_input(KS, KD)
    t = np.linspace(0, 40, 81)  # includes the change times 10 and 20
    res = simulate(m, t, protocol=PULSE, solver=solver, rtol=1e-10, atol=1e-13)
    assert res.status == 0
    np.testing.assert_allclose(res["x"], _pulse_exact(t), rtol=1e-8, atol=1e-11)


def test_solver_lands_on_change_times_not_in_t_eval():
    # Output only far from the switches: stepping over t = 10 or 20 would show as an O(1)
    # error (the kink at t = 20 is not visible to an error estimator that crosses it).
    m = K.make_input(KS, KD)
    t = np.array([0.0, 15.0, 33.0])
    res = simulate(m, t, protocol=PULSE, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(res["x"], _pulse_exact(t), rtol=1e-8, atol=1e-12)


def test_state_bolus_add_and_right_continuous_output():
    m = K.make_decay(k=0.5, y0=2.0)
    proto = Protocol((Change(5.0, "x", "add", 3.0),))
    t = np.array([0.0, 5.0, 8.0])
    res = simulate(m, t, protocol=proto, rtol=1e-10, atol=1e-13)
    x5 = 2 * np.exp(-2.5) + 3.0  # value reported at a change time is after the change
    np.testing.assert_allclose(res["x"], [2.0, x5, x5 * np.exp(-1.5)], rtol=1e-9)


def test_change_before_first_output_starts_integration_earlier():
    m = K.make_input(KS, KD)
    proto = Protocol((Change(-10.0, "u", "set", 1.0),))
    res = simulate(m, [0.0, 10.0], protocol=proto, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(res["x"], KS / KD * (1 - np.exp(-KD * np.array([10.0, 20.0]))),
                               rtol=1e-8)  # fmt: skip


def test_ensemble_equals_member_by_member():
    m = K.make_input(KS, KD)
    doses = np.array([0.1, 1.0, 3.0, 10.0])
    kd = np.array([0.2, 0.5, 1.0, 2.0])
    proto = Protocol((Change(10.0, "u", "set", doses), Change(20.0, "u", "set", 0.0)))
    t = np.linspace(0, 30, 31)
    ens = simulate_ensemble(m, t, params={"kd": kd}, protocol=proto, n_threads=2)
    assert isinstance(ens, EnsembleResult)
    assert ens.values.shape == (4, 31, 1) and ens.status.tolist() == [0] * 4
    for i in range(4):
        one = simulate(m, t, params={"kd": kd[i]},
                       protocol=Protocol((Change(10.0, "u", "set", doses[i]),
                                          Change(20.0, "u", "set", 0.0))))  # fmt: skip
        np.testing.assert_array_equal(ens.values[i, :, 0], one["x"])


def test_param_matrix_and_initial_arrays():
    m = K.make_abc()
    P = np.array([[1.0, 0.3], [2.0, 0.1]])
    ens = simulate_ensemble(m, [0.0, 1.0], param_matrix=P, initial={"A": [1.0, 2.0]},
                            rtol=1e-10, atol=1e-13)  # fmt: skip
    np.testing.assert_allclose(ens["A"][:, 1], [np.exp(-1.0), 2 * np.exp(-2.0)], rtol=1e-8)
    ds = ens.to_xarray()
    assert ds["A"].dims == ("member", "time") and "param_k1" in ds.coords


def test_failing_member_gets_nan_and_status_others_fine():
    m = K.make_blowup()
    a = np.array([0.0, 1.0, 0.0])  # member 1: x' = x^2 blows up at t = 1
    d = np.array([1.0, 0.0, 0.5])
    t = np.linspace(0, 3, 7)
    ens = simulate_ensemble(m, t, params={"a": a, "d": d}, max_steps=20_000)
    assert ens.status[1] != 0 and ens.status[[0, 2]].tolist() == [0, 0]
    assert np.isnan(ens.values[1]).all()
    np.testing.assert_allclose(ens.values[0, :, 0], np.exp(-t), rtol=1e-5)
    np.testing.assert_allclose(ens.values[2, :, 0], np.exp(-0.5 * t), rtol=1e-5)
    assert "step" in ens.messages[1] or "non-finite" in ens.messages[1]
    single = simulate(m, t, params={"a": 1.0, "d": 0.0})
    assert single.status != 0
    with pytest.raises(SimulationError):
        single.raise_for_status()


def test_max_steps_reported():
    res = simulate(K.make_robertson(), [0.0, 1e5], max_steps=20)
    assert res.status == -1 and "maximum" in res.message


def test_unknown_ids_raise_keyerror_with_suggestion():
    m = K.make_abc()
    with pytest.raises(KeyError, match="did you mean 'k1'"):
        simulate(m, [0, 1], params={"k11": 1.0})
    with pytest.raises(KeyError, match="did you mean 'A'"):
        simulate(m, [0, 1], initial={"AA": 1.0})
    with pytest.raises(KeyError, match="did you mean 'total'"):
        simulate(m, [0, 1], outputs=["totl"])
    with pytest.raises(KeyError, match="unknown target"):
        simulate(m, [0, 1], protocol=Protocol((Change(0.5, "Q", "set", 1.0),)))
    with pytest.raises(ValueError, match="op must be"):
        Change(1.0, "A", "multiply", 2.0)
    with pytest.raises(ValueError, match="increasing"):
        simulate(m, [1.0, 0.0])


def test_result_access_dataframe_and_xarray():
    m = K.make_abc()
    t = np.linspace(0, 5, 6)
    res = simulate(m, t, outputs=["B", "total"], rtol=1e-9, atol=1e-12)
    assert isinstance(res, SimulationResult)
    assert res.state_ids == ("B",) and res.output_ids == ("total",)
    df = res.to_dataframe()
    assert list(df.columns) == ["time", "B", "total"] and len(df) == 6
    np.testing.assert_allclose(df["total"], 1.0, rtol=1e-12)
    ds = res.to_xarray()
    np.testing.assert_array_equal(ds["B"].values, res["B"])
    assert res.stats["steps"] > 0 and res.stats["lu_decompositions"] >= res.stats["steps"]


def test_initial_assignments_applied_after_overrides():
    m = K.make_abc(init=True)  # B(0) = 2 * A(0)
    res = simulate(m, [0.0], initial={"A": 3.0})
    assert res["B"][0] == 6.0


def test_preequilibration_ignores_protocol_and_is_per_member():
    m = K.make_input(KS, KD)
    kd = np.array([0.5, 2.0])
    proto = Protocol((Change(0.0, "u", "set", 0.0),))  # wash-out at t = 0
    ens = simulate_ensemble(m, [0.0, 2.0], params={"u": 1.0, "kd": kd}, protocol=proto,
                            preequilibrate=True, rtol=1e-10, atol=1e-13)  # fmt: skip
    x_ss = KS / kd  # steady state of the unstimulated (u = 1 before t = 0) system
    np.testing.assert_allclose(ens["x"][:, 0], x_ss, rtol=1e-9)
    np.testing.assert_allclose(ens["x"][:, 1], x_ss * np.exp(-2 * kd), rtol=1e-8)


def test_model_object_is_compiled_and_inputs_are_the_default_protocol():
    from jaksim.spec.model import (
        Assignment,
        Compartment,
        Input,
        Model,
        Parameter,
        Reaction,
        Species,
    )

    k = 0.3
    model = Model(
        id="decay_bolus",
        compartments=(Compartment("cell", 1.0, assumed="test"),),
        species=(Species("A", "cell", 1.0, assumed="test"), Species("B", "cell", 0.0, assumed="t")),
        parameters=(Parameter("k", k, units="1/s", assumed="test"),),
        reactions=(Reaction("r", (("A", 1.0),), (("B", 1.0),), "k*A", compartment="cell"),),
        assignments=(Assignment("total", "A + B"),),
        inputs=(Input("A", ((5.0, 1.0),), op="add"),),
    )
    t = np.array([0.0, 2.0, 5.0, 9.0])
    res = simulate(model, t, rtol=1e-10, atol=1e-13)
    A_exact = np.where(t < 5, np.exp(-k * t), np.exp(-k * t) + np.exp(-k * (t - 5)))
    np.testing.assert_allclose(res["A"], A_exact, rtol=1e-8)
    np.testing.assert_allclose(res["total"], np.where(t < 5, 1.0, 2.0), rtol=1e-12)


def test_shipped_pathway_rodas_agrees_with_scipy_radau():
    t = np.linspace(0, 3600, 13)
    model = "ifng"  # by name, through the registry
    fast = simulate(model, t, rtol=1e-9, atol=1e-12)
    ref = simulate(model, t, solver="radau", rtol=1e-10, atol=1e-13)
    assert fast.status == 0 and ref.status == 0
    scale = np.abs(ref.states).max(axis=0) + 1e-9
    assert np.max(np.abs(fast.states - ref.states) / scale) < 1e-6
    np.testing.assert_allclose(fast.outputs, ref.outputs, rtol=1e-5, atol=1e-9)

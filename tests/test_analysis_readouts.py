"""Readouts against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from jaksim.analysis import readouts as ro


def test_peak_and_time_to_peak_of_t_exp_minus_t():
    t = np.linspace(0.0, 5.0, 5001)
    y = np.stack([t * np.exp(-t), 2 * t * np.exp(-t / 2)])  # peaks at t = 1 and t = 2
    np.testing.assert_allclose(ro.time_to_peak(t, y), [1.0, 2.0], atol=1e-3)
    np.testing.assert_allclose(ro.peak(t, y), [np.exp(-1), 4 * np.exp(-1)], rtol=1e-6)


def test_auc_trapezoid_converges_to_integral():
    t = np.linspace(0.0, np.pi, 2001)
    assert ro.auc(t, np.sin(t)) == pytest.approx(2.0, rel=1e-6)
    assert ro.auc(t, np.ones_like(t)) == pytest.approx(np.pi)


def test_value_at_interpolates_and_checks_range():
    t = np.array([0.0, 10.0, 20.0])
    y = np.array([[0.0, 10.0, 30.0]])
    assert ro.value_at(t, y, 15.0)[0] == pytest.approx(20.0)
    assert ro.value_at(t, y, 20.0)[0] == pytest.approx(30.0)
    with pytest.raises(ValueError, match="outside"):
        ro.value_at(t, y, 21.0)


def test_fold_and_inhibition_definitions():
    t = np.array([0.0, 1.0, 2.0])
    assert ro.fold_over_baseline(t, np.array([2.0, 8.0, 4.0])) == pytest.approx(4.0)
    # control rises 10 -> 110, drug-treated 10 -> 35: 75 % inhibition above baseline
    assert ro.percent_inhibition(35.0, 110.0, 10.0) == pytest.approx(75.0)
    assert np.isnan(ro.percent_inhibition(5.0, 10.0, 10.0))  # no control response


def test_failed_members_give_nan():
    t = np.array([0.0, 1.0])
    y = np.array([[1.0, 2.0], [np.nan, np.nan]])
    assert np.isnan(ro.peak(t, y)[1]) and ro.peak(t, y)[0] == 2.0
    assert np.isnan(ro.time_to_peak(t, y)[1])
    assert np.isnan(ro.auc(t, y)[1])

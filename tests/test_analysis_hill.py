"""Hill fits recover known EC50 / IC50 values from synthetic noisy data."""

from __future__ import annotations

import numpy as np
import pytest

from jaksim.analysis import fit_hill, hill_curve


def _data(rng, ic50=37.0, hill=1.3, y0=100.0, yinf=5.0, noise=3.0, reps=3):
    x = np.concatenate([[0.0], np.logspace(-1, 4, 11)])
    x = np.repeat(x, reps)
    with np.errstate(divide="ignore"):  # x = 0: (ic50/x)^h = inf, y = y0
        y = y0 + (yinf - y0) / (1 + (ic50 / x) ** hill)
    return x, y + rng.normal(0.0, noise, x.size)


def test_recovers_known_ic50_from_noisy_data():
    x, y = _data(np.random.default_rng(1))
    fit = fit_hill(x, y, sigma=np.full(x.size, 3.0))
    assert fit.ec50 == pytest.approx(37.0, rel=0.15)
    assert fit.hill == pytest.approx(1.3, rel=0.2)
    assert fit.y0 == pytest.approx(100.0, abs=4) and fit.yinf == pytest.approx(5.0, abs=4)
    assert fit.ec50_ci[0] < 37.0 < fit.ec50_ci[1]
    assert fit.stderr["log10_ec50"] > 0


def test_confidence_interval_has_nominal_coverage():
    # the 95 % interval from the covariance must contain the true IC50 about 95 % of the time
    rng = np.random.default_rng(2)
    hits = 0
    n = 200
    for _ in range(n):
        x, y = _data(rng)
        lo, hi = fit_hill(x, y, sigma=np.full(x.size, 3.0)).ec50_ci
        hits += lo < 37.0 < hi
    assert 0.89 <= hits / n <= 0.99


def test_rising_curve_and_initial_guess_far_from_truth():
    x = np.logspace(-3, 3, 9)
    y = hill_curve(x, 0.2, 7.5, np.log10(2.5e-2), 2.0)
    fit = fit_hill(x, y)
    assert fit.ec50 == pytest.approx(2.5e-2, rel=1e-6)
    assert fit.hill == pytest.approx(2.0, rel=1e-6)
    assert fit(np.array([2.5e-2]))[0] == pytest.approx((0.2 + 7.5) / 2)


def test_rejects_unusable_data():
    with pytest.raises(ValueError, match=">= 4 points"):
        fit_hill([1, 2, 3], [1, 2, 3])
    with pytest.raises(ValueError, match=">= 0"):
        fit_hill([-1, 1, 2, 3], [1, 2, 3, 4])

"""Sobol' indices of the Ishigami function and local sensitivities of an exact solution."""

from __future__ import annotations

import numpy as np
import pytest
from test_experiment_support import KB, T_TOTAL, K, write_toy

from jaksim.analysis import local_sensitivity, sobol_indices


def ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_ishigami_match_exact_values():
    # exact values for a = 7, b = 0.1 (Ishigami & Homma 1990; Sobol' & Levitan 1999)
    bounds = {f"x{i}": (-np.pi, np.pi) for i in (1, 2, 3)}
    table = sobol_indices(ishigami, bounds, n=2**13, seed=3)
    np.testing.assert_allclose(table["S1"], [0.3139, 0.4424, 0.0], atol=0.02)
    np.testing.assert_allclose(table["ST"], [0.5576, 0.4424, 0.2437], atol=0.02)
    assert np.all(table["ST_conf"] < 0.05)


def test_local_sensitivity_matches_exact_derivative(tmp_path):
    from jaksim.io.registry import load_model

    model = load_model(write_toy(tmp_path))
    t = np.linspace(0.0, 600.0, 13)
    # no stimulus (L = 0): from A = T, B(t) = B_ss (1 - exp(-(k + kb) t)), B_ss = T k/(k + kb)
    s = local_sensitivity(
        model, t, ["k", "kb"], observables=["B_obs"], rel_step=1e-4, rtol=1e-11, atol=1e-13
    )

    def b(k, kb):
        return T_TOTAL * k / (k + kb) * (1 - np.exp(-(k + kb) * t[1:]))

    h = 1e-6  # derivative of the closed form (independent of the solver)
    exact_k = (np.log(b(K * (1 + h), KB)) - np.log(b(K * (1 - h), KB))) / (2 * h)
    exact_kb = (np.log(b(K, KB * (1 + h))) - np.log(b(K, KB * (1 - h)))) / (2 * h)
    np.testing.assert_allclose(s.sel(parameter="k", observable="B_obs")[1:], exact_k, rtol=1e-4)
    np.testing.assert_allclose(s.sel(parameter="kb", observable="B_obs")[1:], exact_kb, atol=1e-4)
    assert np.isnan(s.sel(parameter="k", observable="B_obs")[0])  # B(0) = 0: undefined
    assert exact_k[0] == pytest.approx(1.0, abs=0.05)  # early on B grows in proportion to k

"""The Miyano 2022 AD QSP re-implementation (models/disease/ad_miyano2022.toml on jaksim's engine)
against the reference implementation's equations, transcribed independently below in numpy and
solved with scipy's odeint as the reference does, and against the trial numbers the paper's
model-based meta-analysis was fitted to."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import odeint

from jaksim.clinic import (
    baseline_states,
    load_population,
    reference_endpoints,
    sample_patients,
    simulate_disease,
)

# reference implementation (github.com/Tanaka-Group/AD_QSP_model, AD_QSP_model.py) parameter
# order of x[0..50]
ORDER = ("k1 k2 k3 b1 b2 b3 b4 b5 d1 d2 d3 b6 d4 d5 d6 d7 b7 b8 d8 k5 k9 d9 b9 k6 k10 k7 k8 "
         "k11 k12 d10 k13 k14 d11 k15 k16 d12 k17 k18 d13 k19 k20 d14 k21 k22 d15 k23 k24 d16 "
         "k25 k26 d17").split()  # fmt: skip
INIT = np.array([0.5931, 0.4069, 3.1, 8.7, 2.0, 21.0, 38.0, 40.5, 5.4, 3.0, 2.0, 1.5, 4.4, 9.7])
# de: [placebo/trial, IL4, IL13, IL17, IL22, IL31, TSLP, OX40, rIFNg, ea2 flag]
ARMS = {
    "placebo": [1e20, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    "dupilumab": [1e20, 0.99, 0.99, 0, 0, 0, 0, 0, 0, 1],
    "nemolizumab": [1e20, 0, 0, 0, 0, 0.99, 0, 0, 0, 1],
    "rIFNg": [1e20, 0, 0, 0, 0, 0, 0, 0, 210, 1],
    "tralokinumab": [1e20, 0, 0.99, 0, 0, 0, 0, 0, 0, 0],
}
# the same arms as inputs of the jaksim model
JAKSIM_ARMS = {
    "placebo": {},
    "dupilumab": {"block_IL4": 0.99, "block_IL13": 0.99},
    "nemolizumab": {"block_IL31": 0.99},
    "rIFNg": {"c_rIFNg": 210.0},
    "tralokinumab": {"block_IL13": 0.99, "e_a2": 0.4396},
}


def reference_rhs(c, t, de, x):
    """The reference diff_eq, transcribed (independent of the TOML model and its compiler)."""
    p = dict(zip(ORDER, x, strict=True))
    k3 = min(p["k3"], de[0])
    ea2 = max(0.4396, de[9])
    il4, il13 = (1 - de[1]) * c[6], (1 - de[2] * ea2) * c[7]
    il17, il22, il31 = (1 - de[3]) * c[8], (1 - de[4]) * c[9], (1 - de[5]) * c[10]
    tslp, ox40, ifng = (1 - de[6]) * c[12], (1 - de[7]) * c[13], c[11] + de[8]
    den = 4 + p["k9"] * ifng + p["k10"] * il4
    loss = p["d9"] / (1 + p["b9"] * ox40)
    return np.array([
        (1 - c[0]) * (p["k1"] + p["k2"] * il22 + k3)
        / ((1 + p["b1"] * il4) * (1 + p["b2"] * il13) * (1 + p["b3"] * il17)
           * (1 + p["b4"] * il22) * (1 + p["b5"] * il31))
        - c[0] * (p["d1"] * (1 + p["d3"] * c[1]) + p["d2"] * il31),
        p["d8"] / (1 + p["b6"] * c[0])
        - c[1] * ((1 + p["d4"] * c[1]) * (1 + p["d5"] * il17) * (1 + p["d6"] * il22)
                  * (1 + p["d7"] * ifng) / ((1 + p["b7"] * il4) * (1 + p["b8"] * il13)) + p["d8"]),
        p["k5"] * c[1] * (1 + p["k9"] * ifng) / den - loss * c[2],
        p["k6"] * c[1] * (1 + p["k10"] * il4) / den - loss * c[3],
        p["k7"] * c[1] / den - loss * c[4],
        p["k8"] * c[1] / den - loss * c[5],
        p["k11"] * c[3] + p["k12"] - p["d10"] * c[6],
        p["k13"] * c[3] + p["k14"] - p["d11"] * c[7],
        p["k15"] * c[4] + p["k16"] - p["d12"] * c[8],
        p["k17"] * c[5] + p["k18"] - p["d13"] * c[9],
        p["k19"] * c[3] + p["k20"] - p["d14"] * c[10],
        p["k21"] * c[2] + p["k22"] - p["d15"] * c[11],
        p["k23"] * c[1] + p["k24"] - p["d16"] * c[12],
        p["k25"] * tslp + p["k26"] - p["d17"] * c[13],
    ])  # fmt: skip


def reference_easi(sim):
    return 72 * (2 * sim[:, 1] + 2 * (1 - sim[:, 0])) / 4


def test_population_file_has_the_51_reference_parameters():
    pop = load_population()
    assert pop.names == tuple(ORDER)
    assert np.all(pop.sigma > 0)


def test_reimplementation_matches_reference_transcription():
    """Same virtual patients, baseline (1000 weeks untreated) and five arms over 24 weeks:
    jaksim's Rodas on the TOML model vs scipy odeint on the transcribed reference equations
    (rtol 1e-8 both). Tolerance 0.02 EASI points (of 72) and 1e-3 relative on the baseline."""
    n = 6
    z = np.random.default_rng(7).standard_normal((51, n))
    patients = sample_patients(n, z=z)
    x = np.array([patients[k] for k in ORDER])  # (51, n)
    base, status = baseline_states(patients)
    assert np.all(status == 0)
    t = np.arange(0.0, 24.01, 0.1)
    ours = {arm: simulate_disease(patients, base, t, constant=inp, rtol=1e-9)["EASI"]
            for arm, inp in JAKSIM_ARMS.items()}  # fmt: skip
    for i in range(n):
        de0 = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 1.0])
        ss = odeint(reference_rhs, INIT, np.linspace(0, 1000, 10001), args=(de0, x[:, i]),
                    rtol=1e-8, atol=1e-6)[-1]  # fmt: skip
        for j, sid in enumerate(("s", "p", "Th2", "IL13", "OX40L")):
            ref = ss[[0, 1, 3, 7, 13][j]]
            assert base[sid][i] == pytest.approx(ref, rel=1e-3, abs=1e-6), sid
        for arm, de in ARMS.items():
            sim = odeint(reference_rhs, ss, t, args=(np.array(de, float), x[:, i]),
                         rtol=1e-8, atol=1e-6)  # fmt: skip
            np.testing.assert_allclose(ours[arm][i], reference_easi(sim), atol=0.02,
                                       err_msg=f"{arm}, patient {i}")  # fmt: skip


def test_population_reproduces_the_trials_the_model_was_fitted_to():
    """1000 virtual patients with the reference's drug effects (dupilumab 0.99 on IL-4 and
    IL-13). The paper's MBMA fitted dupilumab to the 300 mg qw + TCS arm of LIBERTY AD CHRONOS
    (Blauvelt 2017 Lancet 389:2287): week-16 EASI-75 64 % vs 23 % for placebo + TCS (MEMORY;
    the paper's Figure 3 reports a 7.4 % RMSE of EASI-75 over its nine drugs). Consistency
    check of the re-implementation, tolerance 10 percentage points."""
    patients = sample_patients(1000, seed=3)
    base, status = baseline_states(patients)
    assert np.mean(status == 0) > 0.99
    t = np.array([0.0, 16.0])
    easi = np.stack([simulate_disease(patients, base, t, constant=JAKSIM_ARMS[a])["EASI"]
                     for a in ("placebo", "dupilumab")])  # fmt: skip
    e0 = 72 * (2 * base["p"] + 2 * (1 - base["s"])) / 4
    ref = reference_endpoints(easi, e0)
    assert ref["kept"].mean() > 0.95
    placebo75, dupi75 = ref["easi75"][:, 1]
    assert placebo75 == pytest.approx(23.0, abs=10.0)
    assert dupi75 == pytest.approx(64.0, abs=10.0)
    # dupilumab improves EASI more than placebo on average (the sign a wrong block would flip)
    assert ref["mean_improvement"][1, 1] > ref["mean_improvement"][0, 1] + 10


def test_itch_extension_leaves_the_reference_states_alone():
    """The itch state reads the cytokines but feeds nothing back: EASI with its rate set to a
    different value is unchanged."""
    patients = sample_patients(5, seed=2)
    base, _ = baseline_states(patients)
    t = np.array([0.0, 4.0, 16.0])
    a = simulate_disease(patients, base, t, constant={"block_IL13": 0.5})
    b = simulate_disease(patients, base, t, constant={"block_IL13": 0.5, "k_itch": 0.5})
    np.testing.assert_allclose(a["EASI"], b["EASI"], rtol=1e-6)
    assert not np.allclose(a["itch"][:, 1], b["itch"][:, 1])

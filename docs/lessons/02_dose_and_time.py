# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 2: Dose, time and missed doses
#
# A drug's level in blood rises after each dose and falls until the next one. How much of a
# signal is blocked follows that level through the dose-response curve, so the *average* block
# over a day depends on the dose, the schedule (once or twice a day) and on doses being taken.
# Run as a script or open as a notebook (`jupytext --to notebook 02_dose_and_time.py`).

# %%
import numpy as np

from jaksim.pharmacology import load_library
from jaksim.pharmacology.assays import inhibition_at
from jaksim.pharmacology.classroom import dose_daily_inhibition, dose_profile, missed_dose_profile
from jaksim.pharmacology.panel import run_panel

lib = load_library()
t = np.linspace(0, 24, 97)  # hours after the morning dose, at steady state

# %% [markdown]
# ## 1. Drug levels over a day at steady state

# %%
for drug, regimen in [("upadacitinib", "15 mg QD"), ("tofacitinib", "5 mg BID")]:
    c = dose_profile(lib, drug, regimen, t)
    print(f"{drug} {regimen}: peak {c.max():.0f} nM, trough {c.min():.1f} nM")

# %% [markdown]
# ## 2. Doubling the dose doubles the levels (linear pharmacokinetics) ...

# %%
c15 = dose_profile(lib, "upadacitinib", "15 mg QD", t)
c30 = dose_profile(lib, "upadacitinib", "15 mg QD", t, dose=30.0)
assert np.allclose(c30, 2 * c15)

# %% [markdown]
# ## ... but not the block: the dose-response curve is an S

# %%
responses = run_panel(["il13_type2", "epo"], ["upadacitinib"], np.geomspace(0.1, 1e5, 25))
for dose in [7.5, 15, 30, 45]:
    il13, epo = (dose_daily_inhibition(responses[p], "upadacitinib", "15 mg QD", dose, library=lib)
                 for p in ("il13_type2", "epo"))  # fmt: skip
    print(f"{dose:5.1f} mg: IL-13 {100 * il13:5.1f} %   EPO {100 * epo:4.1f} %")
gain = [dose_daily_inhibition(responses["il13_type2"], "upadacitinib", "15 mg QD", d, library=lib)
        for d in (15, 30)]  # fmt: skip
assert gain[1] < 2 * gain[0]  # doubling the dose less than doubles the block

# %% [markdown]
# ## 3. Missed doses
# A week of once-daily dosing in which the doses of days 4 and 5 are forgotten (doses are
# numbered from 0, so `missed=[3, 4]`). Day 5 runs from 96 to 120 h.

# %%
week = np.linspace(0, 7 * 24, 7 * 24 * 4 + 1)
taken = missed_dose_profile(lib, "upadacitinib", "15 mg QD", week, missed=[])
missed = missed_dose_profile(lib, "upadacitinib", "15 mg QD", week, missed=[3, 4])
block_taken = inhibition_at(responses["il13_type2"], "upadacitinib", taken)
block_missed = inhibition_at(responses["il13_type2"], "upadacitinib", missed)
day5 = (week >= 4 * 24) & (week < 5 * 24)
print(f"IL-13 block on day 5: {100 * block_taken[day5].mean():.1f} % when every dose is taken, "
      f"{100 * block_missed[day5].mean():.1f} % after two missed doses")  # fmt: skip
assert block_missed[day5].mean() < 0.2 * block_taken[day5].mean()

# %% [markdown]
# **Try it:** do the same for tofacitinib 5 mg BID (two doses a day, half-life ~3 h) and
# miss one dose (`missed=[6]`: the 7th dose). Which drug forgives a missed dose better, and why?

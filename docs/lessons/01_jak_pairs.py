# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 1: Why can a JAK1 inhibitor spare red blood cells?
#
# Every cytokine receptor carries **two JAK enzymes**. IL-13 (itch, skin inflammation) uses
# TYK2 and JAK1, but only JAK1's enzyme activity is needed; EPO (the hormone that makes red
# blood cells) uses two JAK2s. A drug that blocks JAK1 far more than JAK2 should therefore block
# IL-13 at doses that leave EPO alone.
#
# Open this file as a notebook (`jupytext --to notebook 01_jak_pairs.py`) or run it as a script:
# `python docs/lessons/01_jak_pairs.py`. The `assert` lines are "check your answer" cells: the
# test suite runs every lesson, so they also keep the lesson true when the model changes.

# %%
import numpy as np

import jaksim
from jaksim.pharmacology import load_library
from jaksim.pharmacology.classroom import pair_slots
from jaksim.pharmacology.panel import daily_table, ic50_table, run_panel
from jaksim.pharmacology.potency import potency_table

lib = load_library()

# %% [markdown]
# ## 1. Which JAKs does each receptor use?
# `catreq` 1: the JAK's enzyme activity is needed; 0: the JAK only holds the receptor.

# %%
for name in ["il13_type2", "epo", "il7"]:
    print(f"{name:12s}", pair_slots(jaksim.load_model(name)))

# %% [markdown]
# ## 2. How strongly does each drug bind each JAK inside cells?
# K (nM of free drug for half occupancy; lower = stronger).

# %%
K = potency_table(lib, ["upadacitinib", "tofacitinib"])
for drug, row in K.items():
    print(f"{drug:13s}", "  ".join(f"{j} {v:8.0f}" for j, v in row.items()))
print("upadacitinib JAK2/JAK1:", round(K["upadacitinib"]["JAK2"] / K["upadacitinib"]["JAK1"]))
print("tofacitinib  JAK2/JAK1:", round(K["tofacitinib"]["JAK2"] / K["tofacitinib"]["JAK1"], 1))

# %% [markdown]
# ## 3. The whole-blood experiment, in silico
# Blood with drug is stimulated with the cytokine; pSTAT is read 15 minutes later.

# %%
conc = np.geomspace(1, 1e5, 21)  # nM, total drug in blood
responses = run_panel(["il13_type2", "epo"], ["upadacitinib", "tofacitinib"], conc)
ic50 = ic50_table(responses)
print(ic50[["drug", "pathway", "jak_pair", "ic50_nM"]].to_string(index=False))

# %% [markdown]
# **Question.** For which drug is the EPO IC50 the larger multiple of the IL-13 IC50?

# %%
ratio = ic50.pivot(index="drug", columns="pathway", values="ic50_nM")
ratio = ratio["epo"] / ratio["il13_type2"]
print(ratio.round(1))
assert ratio["upadacitinib"] > 5 * ratio["tofacitinib"]

# %% [markdown]
# ## 4. At the approved doses, over one day

# %%
daily = daily_table(responses, [("upadacitinib", "15 mg QD"), ("tofacitinib", "5 mg BID")])
table = daily.pivot(index="drug", columns="pathway", values="mean_inhibition") * 100
print(table.round(1))
assert table.loc["upadacitinib", "il13_type2"] > 10 * table.loc["upadacitinib", "epo"]

# %% [markdown]
# **Try it:** add `"il7"` (a gamma-c, JAK1/JAK3 signal) to the panel. Which drug blocks it more,
# and which JAK explains why? (Hint: compare the two drugs' K for JAK3.)

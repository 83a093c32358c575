# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 0: From receptor to gene, and the brake that switches it off
#
# Interferon-gamma (IFN-γ) binds its receptor, whose two chains carry JAK1 and JAK2. The JAKs
# phosphorylate STAT1 (pSTAT1); two pSTAT1 pair up (a dimer), enter the nucleus and switch on
# genes. One of those genes is **SOCS1**, a protein that goes back to the receptor and blocks
# the JAKs: the signal switches itself off (negative feedback).
#
# **Learning goals.** After this lesson you can
# 1. name the steps from cytokine to gene (receptor, JAK, pSTAT1, nuclear dimer, mRNA, protein);
# 2. read the order of events from time courses (what peaks first, and why);
# 3. explain what negative feedback does to a signal, by comparing normal cells with cells
#    that cannot make SOCS1 (a "knockout", after Yamada et al. 2003).
#
# Run as a script (`python docs/lessons/00_receptor_to_gene.py`) or open as a notebook
# (`jupytext --to notebook 00_receptor_to_gene.py`). The `assert` lines check the numbers the
# questions rely on; the test suite runs every lesson, so they stay true when the model changes.
#
# **Teacher version:** with `TEACHER = True` the answers are printed under each question. Set it
# to `False` (or delete the "Answer" cells) for the students' copy.

# %%
import matplotlib.pyplot as plt
import numpy as np

import jaksim

TEACHER = True

# %% [markdown]
# ## 1. The two models
# `ifng` is the normal cell; `ifng_socs1_ko` is the same cell with SOCS1 transcription switched
# off (one parameter set to 0). Both are stimulated with 10 nM IFN-γ at time 0.

# %%
normal = jaksim.load_model("ifng")
knockout = jaksim.load_model("ifng_socs1_ko")
print(normal.description)
print(knockout.description)
ko_values = {p.id: p.value for p in knockout.parameters}
changed = {p.id: (p.value, ko_values[p.id]) for p in normal.parameters
           if p.value != ko_values[p.id]}  # fmt: skip
print("parameters that differ (normal, knockout):", changed)
assert list(changed) == ["Vmax_SOCS1_pSTAT1_pSTAT1_n"]

# %% [markdown]
# ## 2. Simulate four hours of signalling
# The readouts: `pSTAT1_total` (all phosphorylated STAT1), `nuclear_STAT1_STAT1` (the active
# dimer in the nucleus), `SOCS1_mRNA` (the gene's message) and `SOCS1` (the brake protein);
# all in nM.

# %%
t = np.linspace(0, 4 * 3600, 241)  # seconds: one point a minute
minutes = t / 60
shown = ["pSTAT1_total", "nuclear_STAT1_STAT1", "SOCS1_mRNA", "SOCS1"]
runs = {}
for name, model in [("normal", normal), ("SOCS1 knockout", knockout)]:
    res = jaksim.simulate(model, t)
    res.raise_for_status()
    runs[name] = {k: res[k] for k in shown}

fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
for ax, k in zip(axes.flat, shown, strict=True):
    for name, ls in [("normal", "-"), ("SOCS1 knockout", "--")]:
        ax.plot(minutes, runs[name][k], ls, lw=2.5, label=name)
    ax.set_title(k)
    ax.set_ylabel("nM")
for ax in axes[1]:
    ax.set_xlabel("minutes after IFN-γ")
axes[0, 0].legend()
fig.tight_layout()
fig.savefig("receptor_to_gene.png", dpi=100)

# %% [markdown]
# **Question 1.** In normal cells, in what order do pSTAT1, SOCS1 mRNA and SOCS1 protein reach
# their peaks? Why must it be this order?

# %%
wt = runs["normal"]
peak_min = {k: float(minutes[np.argmax(wt[k])]) for k in shown}
print({k: f"{v:.0f} min" for k, v in peak_min.items()})
assert peak_min["pSTAT1_total"] < peak_min["SOCS1_mRNA"] < peak_min["SOCS1"]

# %%
if TEACHER:
    print("Answer 1: pSTAT1 (~40 min), then SOCS1 mRNA (~75 min), then SOCS1 protein (~2 h).\n"
          "Each step needs the one before it: the nuclear pSTAT1 dimer turns the SOCS1 gene on,\n"
          "the mRNA must be exported and translated before there is protein. The brake arrives\n"
          "late, which is why the signal first overshoots.")  # fmt: skip

# %% [markdown]
# **Question 2.** After its peak, how far does pSTAT1 fall by 4 hours in normal cells, and in
# knockout cells? What does SOCS1 do to the signal?

# %%
ko = runs["SOCS1 knockout"]
left = {name: r["pSTAT1_total"][-1] / r["pSTAT1_total"].max() for name, r in runs.items()}
print({name: f"{100 * v:.0f} % of its peak left at 4 h" for name, v in left.items()})
assert left["normal"] < 0.4 and left["SOCS1 knockout"] > 0.9
assert ko["pSTAT1_total"].max() > 1.3 * wt["pSTAT1_total"].max()
assert np.all(ko["SOCS1"] == 0)  # no SOCS1 gene activity: no SOCS1 protein at all

# %%
if TEACHER:
    print("Answer 2: normal cells keep ~20 % of the peak pSTAT1 at 4 h; knockout cells keep\n"
          "~100 %, and their signal climbs higher. SOCS1 is a negative feedback: the signal\n"
          "makes its own brake, so it becomes a pulse instead of staying on.")  # fmt: skip

# %% [markdown]
# **Question 3.** Do more genes turn on in the knockout? Compare the nuclear dimer at 4 h.

# %%
dimer_ratio = ko["nuclear_STAT1_STAT1"][-1] / wt["nuclear_STAT1_STAT1"][-1]
print(f"nuclear pSTAT1 dimer at 4 h: knockout / normal = {dimer_ratio:.1f}")
assert dimer_ratio > 4

# %%
if TEACHER:
    print(f"Answer 3: yes, ~{dimer_ratio:.0f}x more active dimer in the nucleus at 4 h, so\n"
          "IFN-γ target genes stay on. SOCS1-deficient mice die young of uncontrolled IFN-γ\n"
          "signalling (Alexander 1999), the whole-animal version of this curve.")  # fmt: skip

# %% [markdown]
# **Try it:** JAK inhibitors act at the top of the chain. Add
# `from jaksim.pharmacology import with_drug` and simulate `with_drug(normal, "baricitinib")`
# with the parameter `drug_conc` set to 100 (nM). Which curves fall, and why does SOCS1 fall too?

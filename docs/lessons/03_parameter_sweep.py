# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Lesson 3: A parameter sweep from a config file
#
# Scientists rarely run one simulation: they ask "what if this number were different?" and run
# many. jaksim does that from a small text file (TOML) that says which model, which stimulus,
# what to measure and what to vary. Here we vary two things at once for the IL-6 pathway: the
# **IL-6 dose** and the **amount of receptor** (gp130, `Rtot_IL6ST`) on the cell.
#
# **Learning goals.** After this lesson you can
# 1. read and write an experiment file (model, protocol, readouts, sweep axes);
# 2. run it and open its results as a table;
# 3. read a dose-response curve (EC50: the dose for half the maximum response) and a heatmap,
#    and say how receptor level changes a cell's sensitivity to a cytokine.
#
# Run as a script (`python docs/lessons/03_parameter_sweep.py`) or open as a notebook
# (`jupytext --to notebook 03_parameter_sweep.py`). It writes `sweep.toml`, `results/` and two
# figures into the current folder. The `assert` lines check the numbers the questions rely on.
#
# **Teacher version:** with `TEACHER = True` the answers are printed under each question; set
# it to `False` (or delete the "Answer" cells) for the students' copy.

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from jaksim.analysis.hill import fit_hill
from jaksim.experiment import as_grid, open_results, run_experiment
from jaksim.plot.results import plot_heatmap

TEACHER = True

# %% [markdown]
# ## 1. Write the experiment file
# 6 IL-6 doses (log-spaced, 3 pM - 3 nM) x 3 receptor levels (half, normal, double) = 18
# simulations. The readout is pSTAT3 15 minutes after IL-6 is added.

# %%
Path("sweep.toml").write_text("""
[experiment]
name = "il6_dose_x_receptor"
output = "results/il6_dose_x_receptor"

[model]
ref = "il6"

[time]
end = "15 min"
points = 16

[protocol]
preequilibrate = true
[[protocol.stimulus]]
species = "IL6"
concentration = "1 nM"          # replaced by the sweep below

[[readouts]]
observable = "pSTAT3_total"
metrics = ["peak"]
at = ["15 min"]

[sweep]
[[sweep.axes]]
kind = "stimulus"
name = "IL6"
low = 0.003
high = 3
scale = "log"
points = 6
unit = "nM"

[[sweep.axes]]
kind = "parameter"
name = "Rtot_IL6ST"
label = "receptor_level"
values = [0.5, 1, 2]
relative = true                 # x the model's own value
""", encoding="utf-8")  # fmt: skip

# %% [markdown]
# ## 2. Run it and open the results

# %%
out = run_experiment("sweep.toml", quiet=True)
ds = open_results(out).load()
grid = as_grid(ds)
y = grid["readouts"].sel(readout="pSTAT3_total:value_at_15min")
print(y.to_pandas().round(1))
doses = grid["IL6"].values.astype(float)
levels = grid["receptor_level"].values.astype(float)
assert y.shape == (6, 3)

# %% [markdown]
# ## 3. Dose-response curves, one per receptor level, with Hill fits

# %%
fig, ax = plt.subplots(figsize=(7, 5))
ec50, top = {}, {}
for level in levels:
    resp = y.sel(receptor_level=level).values
    h = fit_hill(doses, resp)
    ec50[level], top[level] = h.ec50, float(resp.max())
    line = ax.semilogx(doses, resp, "o", ms=8, label=f"receptor x {level:g}: EC50 {h.ec50:.2g} nM")
    fine = np.geomspace(doses[0], doses[-1], 100)
    ax.semilogx(fine, h(fine), "-", lw=2.5, color=line[0].get_color())
ax.set_xlabel("IL-6 (nM)")
ax.set_ylabel("pSTAT3 at 15 min (nM)")
ax.legend()
fig.tight_layout()
fig.savefig("dose_response.png", dpi=100)
print({f"x{k:g}": f"EC50 {v:.3g} nM, max {top[k]:.0f} nM" for k, v in ec50.items()})

# %% [markdown]
# **Question 1.** Doubling the receptor: does the largest response go up? Does the EC50 go up
# or down? Which cells notice a low IL-6 level first?

# %%
assert top[2.0] > 1.7 * top[1.0] and top[1.0] > 1.7 * top[0.5]  # ceiling ~ receptor number
assert max(ec50.values()) < 1.2 * min(ec50.values())  # ... but the EC50 hardly moves

# %%
if TEACHER:
    print("Answer 1: the ceiling rises with receptor (more receptor-JAK complexes to\n"
          "phosphorylate STAT3). The EC50 barely moves (see the numbers above): the dose for\n"
          "half of each cell's own maximum is set (in this model) by how tightly IL-6 binds, not\n"
          "by receptor number. In absolute terms, though, cells with more receptor give a\n"
          "bigger signal at every dose, so they notice low IL-6 first.")  # fmt: skip

# %% [markdown]
# ## 4. The same numbers as a heatmap

# %%
ax = plot_heatmap(ds, "IL6", "receptor_level", "pSTAT3_total:value_at_15min")
ax.set_title("pSTAT3 at 15 min")
ax.figure.tight_layout()
ax.figure.savefig("heatmap.png", dpi=100)

# %% [markdown]
# **Question 2.** On the heatmap, find the corner with the strongest signal. Which two changes
# would a cell need to make to get there from the middle?

# %%
corner = np.unravel_index(np.argmax(y.values), y.shape)
print("strongest:", f"IL-6 {doses[corner[0]]:.3g} nM, receptor x {levels[corner[1]]:g}")
assert corner == (len(doses) - 1, len(levels) - 1)

# %%
if TEACHER:
    print(
        "Answer 2: top right, highest IL-6 and double receptor: more cytokine AND more\n"
        "receptor. Inflamed tissue does both (more IL-6, receptor-rich immune cells)."
    )

# %% [markdown]
# **Try it:** add a third axis, `kind = "parameter"`, `name = "ksocs3_IL6_RC"` (how strongly
# SOCS3 blocks the receptor), `values = [0.25, 1, 4]`, `relative = true`, and read pSTAT3 at
# 60 min instead of 15. Why does SOCS3 matter more at 60 min than at 15?

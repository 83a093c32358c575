"""Shared fixtures of the experiment tests (no tests here): a two-state model with an exact
solution and experiment-file builders.

Model: A <-> B with A -> B at rate ``f = k + kL * L / (1 + drug_conc / IC)`` and B -> A at
``kb``; total ``T = A + B`` is conserved. Before the stimulus (L = 0) the steady state is
``A_ss = T kb / (k + kb)``; after ``L`` is set to ``c`` at t = 0,

    A(t) = A_inf + (A_ss - A_inf) exp(-(f + kb) t),   A_inf = T kb / (f + kb).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from jaksim.experiment.engine import Engine, ModelRef

__all__ = [
    "TOY_MODEL",
    "toy_exact",
    "write_toy",
    "toy_load",
    "TOY_ENGINE",
    "base_config",
    "ligand_kb_sweep",
]

T_TOTAL, K, KB, KL, IC = 10.0, 1e-3, 1e-2, 1e-3, 10.0

TOY_MODEL = f"""
format_version = 1
[model]
id = "toy"
description = "A <-> B switched by a ligand L; exact solution known"
[[compartments]]
id = "cell"
size = 1.0
units = "pL"
assumed = "test model"
[[species]]
id = "L"
compartment = "cell"
initial = 0.0
units = "nM"
assumed = "test model"
[[species]]
id = "A"
compartment = "cell"
initial = {T_TOTAL}
units = "nM"
assumed = "test model"
[[species]]
id = "B"
compartment = "cell"
initial = 0.0
units = "nM"
assumed = "test model"
[[parameters]]
id = "k"
value = {K}
units = "1/s"
assumed = "test model"
[[parameters]]
id = "kb"
value = {KB}
units = "1/s"
assumed = "test model"
[[parameters]]
id = "kL"
value = {KL}
units = "1/(nM*s)"
assumed = "test model"
[[parameters]]
id = "IC"
value = {IC}
units = "nM"
assumed = "test model"
[[parameters]]
id = "drug_conc"
value = 0.0
units = "nM"
assumed = "test model: stands in for jaksim.pharmacology.with_drug"
[[reactions]]
id = "forward"
reactants = ["A"]
products = ["B"]
rate = "(k + kL*L/(1 + drug_conc/IC))*A"
[[reactions]]
id = "back"
reactants = ["B"]
products = ["A"]
rate = "kb*B"
[[assignments]]
id = "B_obs"
expression = "B"
units = "nM"
"""


def toy_exact(t, c, *, k=K, kb=KB, drug=0.0, total=T_TOTAL):
    """Exact B(t) (nM) after L = c nM at t = 0, from the pre-equilibrated state."""
    t = np.asarray(t, dtype=float)
    f = k + KL * c / (1.0 + drug / IC)
    a_ss = total * kb / (k + kb)
    a_inf = total * kb / (f + kb)
    a = a_inf + (a_ss - a_inf) * np.exp(-(f + kb) * t)
    return total - a


def write_toy(directory: Path) -> Path:
    path = Path(directory) / "toy.toml"
    path.write_text(TOY_MODEL)
    return path


def toy_load(ref: ModelRef):
    """Load the model and ignore the drug: the toy model has its own ``drug_conc``."""
    from jaksim.io.registry import load_model

    return load_model(ref.ref)


TOY_ENGINE = Engine(load=toy_load)


def base_config(directory: Path, extra: str = "", *, name: str = "toy_run") -> Path:
    """Write an experiment file for the toy model with ``extra`` appended; return its path."""
    write_toy(directory)
    text = (
        f"""
[experiment]
name = "{name}"
seed = 7
chunk_size = 3

[model]
ref = "toy.toml"

[time]
end = "10 min"
points = 31

[protocol]
preequilibrate = true
[[protocol.stimulus]]
species = "L"
concentration = "5 nM"

[[readouts]]
observable = "B_obs"
metrics = ["final", "auc", "peak"]
at = ["2 min"]
"""
        + extra
    )
    path = Path(directory) / f"{name}.toml"
    path.write_text(text)
    return path


def ligand_kb_sweep(points: int, kb_per_min: list[float]) -> str:
    """A ``[sweep]`` grid: ``points`` log-spaced L (0.1 to 100 nM) x the listed ``kb`` (1/min)."""
    values = ", ".join(f"{v:g}" for v in kb_per_min)
    return f"""
[sweep]
[[sweep.axes]]
kind = "stimulus"
name = "L"
low = 0.1
high = 100
scale = "log"
points = {points}
unit = "nM"
[[sweep.axes]]
kind = "parameter"
name = "kb"
values = [{values}]
unit = "1/min"
"""

"""Analysis of simulation results: readouts, Hill fits, sensitivities (no simulation inside,
except :func:`~jaksim.analysis.sensitivity.local_sensitivity`, which runs one ensemble)."""

from .hill import HillFit, fit_hill, hill_curve
from .readouts import (
    auc,
    final,
    fold_over_baseline,
    peak,
    percent_inhibition,
    time_to_peak,
    value_at,
)
from .sensitivity import local_sensitivity, sobol_indices

__all__ = [
    "HillFit",
    "auc",
    "final",
    "fit_hill",
    "fold_over_baseline",
    "hill_curve",
    "local_sensitivity",
    "peak",
    "percent_inhibition",
    "sobol_indices",
    "time_to_peak",
    "value_at",
]

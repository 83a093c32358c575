"""Experiments from config files: schema, sweeps, runner, executors and results store.

>>> from jaksim.experiment import load_config, run_experiment, open_results  # doctest: +SKIP
>>> out = run_experiment("experiments/il6_dose_response.toml")               # doctest: +SKIP
>>> ds = open_results(out)                                                    # doctest: +SKIP
"""

from .kinds import ExperimentKind, get_kind, register_kind
from .loading import LoadedConfig, load_config, parse_config
from .runner import RunOptions, check_experiment, run_experiment
from .store import as_grid, open_results, read_readouts

__all__ = [
    "ExperimentKind",
    "LoadedConfig",
    "RunOptions",
    "as_grid",
    "check_experiment",
    "get_kind",
    "load_config",
    "open_results",
    "parse_config",
    "read_readouts",
    "register_kind",
    "run_experiment",
]

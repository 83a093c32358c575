"""jaksim: JAK/STAT signalling and JAK-inhibitor pharmacology, compiled to numba.

Public API (see the README for a tour)::

    import jaksim
    model = jaksim.load_model("il6")
    res = jaksim.simulate(model, t_eval=np.linspace(0, 3600, 61))
    df = res.to_dataframe()
"""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any

from ._version import __version__

# Public names -> defining module. Imported lazily so `import jaksim` stays fast (numba and
# scipy load only when a simulation is actually requested).
_EXPORTS = {
    "Model": "jaksim.spec.model",
    "load_model": "jaksim.io.registry",
    "list_models": "jaksim.io.registry",
    "compile_model": "jaksim.compile",
    "simulate": "jaksim.simulation",
    "simulate_ensemble": "jaksim.simulation",
    "steady_state": "jaksim.simulation",
    "Protocol": "jaksim.simulation",
    "Change": "jaksim.simulation",
}

# Stage subpackages, reachable as attributes (``jaksim.pharmacology.with_drug``) without an
# explicit import, like numpy's submodules; also imported lazily.
_SUBPACKAGES = ("spec", "io", "compile", "solve", "simulation", "analysis", "pharmacology",
                "clinic", "plot", "experiment", "fit", "cli")  # fmt: skip

__all__ = ["__version__", *_EXPORTS]

# a library logs to its package logger and never configures handlers (the CLI does)
logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _SUBPACKAGES:
        return import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'jaksim' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public API (tab completion shows ``simulate``, not the lazy-import machinery)."""
    return sorted([*__all__, *_SUBPACKAGES])

"""Parameter estimation: PEtab v1 problems, likelihood with forward-sensitivity gradient,
multistart optimisation and profile likelihoods (stage ``fit``, above ``experiment``)."""

from .objective import ObjectiveResult, PetabObjective
from .optimize import (
    MultistartResult,
    ProfileResult,
    StartResult,
    minimize,
    multistart,
    profile,
    sample_starts,
)
from .petab import ObservableDef, PetabProblem, lint, load_petab
from .sensitivity import SensitivityModel, build_sensitivity_model

__all__ = [
    "ObjectiveResult",
    "PetabObjective",
    "MultistartResult",
    "ProfileResult",
    "StartResult",
    "minimize",
    "multistart",
    "profile",
    "sample_starts",
    "ObservableDef",
    "PetabProblem",
    "lint",
    "load_petab",
    "SensitivityModel",
    "build_sensitivity_model",
]

"""From pathway inhibition to the clinic: atopic-dermatitis severity (EASI), itch and blood
counts in virtual patients under JAK-inhibitor and biologic regimens. See docs/clinic.md.

Stage between ``pharmacology`` and ``plot`` (docs/architecture.md): it uses the pharmacology
layer's PK and whole-blood dose-responses and jaksim's engine; experiment kinds use it.
"""

from .disease import (
    BLOCK_INPUTS,
    STATES,
    baseline_states,
    load_population,
    reference_endpoints,
    sample_patients,
    simulate_disease,
)

__all__ = [
    "BLOCK_INPUTS",
    "STATES",
    "baseline_states",
    "load_population",
    "reference_endpoints",
    "sample_patients",
    "simulate_disease",
]

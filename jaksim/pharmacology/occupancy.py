"""Target occupancy of a kinase (or receptor) by a drug.

Equilibrium (rapid binding): ``occ = Cu / (Cu + K)`` with the unbound concentration
``Cu = fu * C`` and the in-cell potency ``K`` (nM, :func:`.potency.cellular_potency`). For a
competitive inhibitor acting on a catalytic step, the remaining activity is ``1 - occ``.

Kinetic binding (built into models by :func:`.apply.with_drug`):
``d occ/dt = kon * Cu * (1 - occ) - koff * occ`` with ``koff = 1/residence`` and
``kon = koff / K`` (same equilibrium). Slow off-rates make inhibition outlast the plasma
concentration (hysteresis).
"""

from __future__ import annotations

import numpy as np

__all__ = ["equilibrium_occupancy", "DEFAULT_RESIDENCE_TIME_S"]

#: Residence time (s) used for kinetic binding when none is given. Assumed: reversible
#: type-I JAK inhibitors dissociate within minutes (koff ~1e-2 1/s).
DEFAULT_RESIDENCE_TIME_S = 100.0


def equilibrium_occupancy(c_total, fraction_unbound: float, potency) -> np.ndarray:
    """Fraction of target bound at equilibrium.

    Parameters
    ----------
    c_total : float or array
        Total drug concentration (nM).
    fraction_unbound : float
        fu in (0, 1].
    potency : float or array
        In-cell IC50 / Kd for the unbound drug (nM); broadcast against ``c_total``.
    """
    cu = fraction_unbound * np.asarray(c_total, dtype=float)
    return cu / (cu + np.asarray(potency, dtype=float))

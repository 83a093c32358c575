"""Dosing regimens: dose, interval and release form, and the dosing events they imply.

A :class:`Regimen` is plain data (mg, h). :func:`dose_events` turns it into input events for a
PK model: an immediate-release dose is a bolus into the absorption depot at ``t_dose + lag``;
an extended-release dose is split (the mixed absorption of the upadacitinib popPK, Kluender
2019): a fraction ``f0`` enters the *central* compartment at rate ``f0*F*dose/T_er`` from
``t_dose + lag`` to ``t_dose + lag + T_er``, and ``(1 - f0)*F*dose`` is a bolus into the depot
at ``t_dose + lag``, absorbed first-order. The same events drive the closed-form PK
(:mod:`jaksim.pharmacology.pk`) and the PK species inside a model (:mod:`.apply`), so the two
agree by construction of their inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Regimen", "DoseEvents", "dose_events"]


@dataclass(frozen=True)
class Regimen:
    """A repeated dose.

    Parameters
    ----------
    name : str
        Label, e.g. ``"15 mg QD"``.
    dose : float
        Dose per administration, mg.
    interval : float
        Dosing interval tau, h (24 = QD, 12 = BID).
    release : {"immediate", "extended"}
        Extended release: the drug's mixed zero-/first-order ER input (``pk.er_duration``,
        ``pk.er_zero_order_fraction``, ``pk.er_ka``, ``pk.er_lag``).
    source : str
        Label / trial the regimen comes from.
    """

    name: str
    dose: float
    interval: float
    release: str = "immediate"
    source: str = ""

    def dose_times(self, days: float, start: float = 0.0) -> np.ndarray:
        """Administration times (h) in ``[start, start + 24*days)``, shape (n_doses,)."""
        n = int(np.ceil(days * 24.0 / self.interval - 1e-9))
        return start + self.interval * np.arange(n)


@dataclass(frozen=True)
class DoseEvents:
    """Absorbed-input events (h, nmol) implied by a regimen for one drug.

    ``bolus_times``/``bolus_amounts``: amounts put in the absorption depot;
    ``infusion_starts``/``infusion_stops``/``infusion_rates`` (nmol/h): zero-order input into
    the central compartment. Amounts already include the bioavailability F.
    """

    bolus_times: np.ndarray
    bolus_amounts: np.ndarray
    infusion_starts: np.ndarray
    infusion_stops: np.ndarray
    infusion_rates: np.ndarray


def dose_events(
    regimen: Regimen,
    *,
    nmol_per_mg: float,
    bioavailability: float,
    lag: float,
    er_duration: float | None,
    days: float,
    zero_order_fraction: float = 1.0,
) -> DoseEvents:
    """Input events of ``regimen`` over ``days`` days (doses at 0, tau, 2 tau, ...).

    Parameters
    ----------
    nmol_per_mg : float
        1e6 / molecular weight (g/mol).
    bioavailability, lag, er_duration : float
        F (fraction) of the regimen's release form, absorption lag (h) of that form,
        zero-order input time (h) for extended release.
    zero_order_fraction : float
        Extended release: fraction of each dose given as the zero-order input into the central
        compartment; the rest is a bolus into the depot.
    """
    times = regimen.dose_times(days) + lag
    amount = regimen.dose * nmol_per_mg * bioavailability
    empty = np.empty(0)
    if regimen.release != "extended":
        return DoseEvents(times, np.full(times.size, amount), empty, empty, empty)
    if not er_duration or er_duration <= 0:
        raise ValueError(f"regimen {regimen.name!r} is extended release: er_duration > 0")
    f0 = float(zero_order_fraction)
    # a zero share leaves no events of that kind, so consumers see one input route only
    bolus = times if f0 < 1.0 else empty
    starts = times if f0 > 0.0 else empty
    return DoseEvents(
        bolus,
        np.full(bolus.size, (1.0 - f0) * amount),
        starts,
        starts + er_duration,
        np.full(starts.size, f0 * amount / er_duration),
    )

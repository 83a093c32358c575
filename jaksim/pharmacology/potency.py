"""Kinase potency: enzyme IC50 -> Ki (Cheng-Prusoff) -> in-cell IC50 at cellular ATP.

For an ATP-competitive inhibitor ``IC50 = Ki (1 + [ATP]/Km_ATP)`` (Cheng & Prusoff 1973
Biochem Pharmacol 22:3099). An enzyme IC50 measured at ``[ATP]_assay`` gives
``Ki = IC50 / (1 + [ATP]_assay/Km)``, and inside a cell, at ``[ATP]_cell`` (1-5 mM), the same
inhibitor has ``IC50_cell = Ki (1 + [ATP]_cell/Km)``. Because Km(ATP) differs between the JAKs,
the shift differs too (Thorarensen 2014 ACS Chem Biol 9:1552). A published in-cell kinase
potency (``[drugs.X.cellular]``) overrides the translation for that JAK; an allosteric JH2
binder (deucravacitinib) has no ATP shift, so its cellular potency is used as given.

All concentrations are nM; in-cell potencies refer to the *unbound* drug concentration.
"""

from __future__ import annotations

from .library import JAKS, Drug, DrugLibrary

__all__ = ["cheng_prusoff_ki", "ic50_at_atp", "cellular_potency", "potency_table"]

#: Potency used for a JAK without any data: effectively no inhibition (nM).
NO_INHIBITION = 1e9


def cheng_prusoff_ki(ic50: float, atp: float, km: float) -> float:
    """Ki (nM) of an ATP-competitive inhibitor from its IC50 (nM) at ``atp`` (nM), Km (nM)."""
    return ic50 / (1.0 + atp / km)


def ic50_at_atp(ki: float, atp: float, km: float) -> float:
    """IC50 (nM) of an ATP-competitive inhibitor with ``ki`` at ATP concentration ``atp``."""
    return ki * (1.0 + atp / km)


def cellular_potency(drug: Drug, jak: str, library: DrugLibrary) -> float:
    """In-cell IC50 (nM, unbound drug) of ``drug`` on ``jak``.

    Order of precedence: published cellular value; Cheng-Prusoff translation of the enzyme
    IC50 (ATP-competitive drugs); :data:`NO_INHIBITION` when the drug has no data for ``jak``
    (receptor antibodies, JAKs outside an allosteric drug's panel).
    """
    if jak not in JAKS:
        raise ValueError(f"unknown kinase {jak!r}; expected one of {JAKS}")
    if jak in drug.cellular:
        return drug.cellular[jak].value
    if drug.mechanism == "atp_competitive" and jak in drug.enzymatic:
        km = library.km_atp[jak].value
        ki = cheng_prusoff_ki(drug.enzymatic[jak].value, drug.enzymatic_atp, km)
        return ic50_at_atp(ki, library.atp_cell.value, km)
    return NO_INHIBITION


def potency_table(library: DrugLibrary, drugs=None) -> dict[str, dict[str, float]]:
    """``{drug: {jak: in-cell IC50 nM}}`` for ``drugs`` (default: all kinase inhibitors)."""
    names = drugs or [d.id for d in library.drugs.values() if d.mechanism != "receptor_block"]
    return {
        library.get(n).id: {j: cellular_potency(library.get(n), j, library) for j in JAKS}
        for n in names
    }

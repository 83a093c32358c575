"""JAK-inhibitor pharmacology: drug library, potency, occupancy, PK, regimens, assays.

``with_drug(model, "upadacitinib")`` plugs a drug into any pathway model through its
``act_JAKx`` parameters; ``dosing_protocol`` doses the PK species it adds; the assays in
:mod:`jaksim.pharmacology.assays` reproduce enzyme, whole-blood and clinical-exposure
experiments. See docs/pharmacology.md.
"""

from .apply import dosing_protocol, drug_targets, metabolite_species, with_drug
from .library import Drug, DrugLibrary, load_library, sample_pk
from .pk import exposure_metrics, ligand_concentrations
from .regimens import Regimen

__all__ = [
    "Drug",
    "DrugLibrary",
    "Regimen",
    "load_library",
    "with_drug",
    "dosing_protocol",
    "drug_targets",
    "metabolite_species",
    "sample_pk",
    "ligand_concentrations",
    "exposure_metrics",
]

"""The drug library: JAK inhibitors (and a receptor antibody) as immutable data.

``models/drugs.toml`` is read into :class:`DrugLibrary`; every number is converted to the
library's working units on load (nM, h, L, mg, g/mol) and keeps its source. The schema is
closed: an unknown key, a missing unit or a value of the wrong kind raises
:class:`~jaksim.spec.errors.ModelError` naming the file and the field.

Examples
--------
>>> lib = load_library()
>>> lib.get("tofacitinib").pk.clearance
20.4
>>> lib.get("Rinvoq").id  # brand names and codes are aliases
'upadacitinib'
>>> lib.get("tofacitnib")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
jaksim.spec.errors.ModelError: ...drugs.tofacitnib: unknown drug (did you mean 'tofacitinib'?)...
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..spec.errors import ModelError, UnitError, did_you_mean
from ..spec.units import convert
from .regimens import Regimen

__all__ = [
    "JAKS",
    "Quantity",
    "PKParams",
    "MetabolitePK",
    "Metabolite",
    "PKReference",
    "PublishedPotency",
    "PotencyAnchor",
    "PotencyRatio",
    "Drug",
    "DrugLibrary",
    "load_library",
    "default_library_path",
    "sample_pk",
]

JAKS = ("JAK1", "JAK2", "JAK3", "TYK2")
MECHANISMS = ("atp_competitive", "allosteric_jh2", "receptor_block")
PK_MODELS = ("one_compartment", "two_compartment")
CONFIDENCE = ("READ", "READ-2ND", "DERIVED", "MEMORY", "ASSUMED")
_DISPOSITION = ("clearance", "volume", "peripheral_volume", "intercompartmental_clearance")


@dataclass(frozen=True)
class Quantity:
    """A sourced number, already converted to the library's working unit ``units``."""

    value: float
    units: str
    source: str = ""
    assumed: str = ""
    confidence: str = ""
    apparent: bool = False  # PK: an apparent (divided by F) clearance / volume
    cv: float | None = None  # inter-individual variability (CV, fraction) from a popPK
    range: tuple[float, float] | None = None  # reported CI / range, in ``units``


@dataclass(frozen=True)
class PKParams:
    """Oral / SC absorption PK (working units h, L, 1/h).

    ``clearance`` and volumes are apparent (CL/F, V/F) when the source gives them so
    (``apparent``); F is then already inside them and must not be applied again, so
    ``bioavailability`` - the fraction of each dose that enters the depot - is 1 and the
    published absolute F is kept, for information only, in ``absolute_bioavailability``.
    Extended release (ER) is the mixed zero- and first-order input of the upadacitinib
    phase I-III popPK (Kluender 2019): a fraction ``er_zero_order_fraction`` of each ER dose
    enters the central compartment at a constant rate over ``er_duration`` (h; None: no ER
    form), the rest is put in the depot and absorbed first-order with ``er_ka`` (1/h; None:
    ``ka``), both after ``er_lag`` (h; None: ``lag``). ``er_relative_bioavailability`` is the ER
    form's F relative to immediate release (it multiplies ``bioavailability`` for ER doses).
    """

    model: str
    ka: float
    bioavailability: float
    clearance: float
    volume: float
    lag: float = 0.0
    peripheral_volume: float = 0.0
    intercompartmental_clearance: float = 0.0
    er_duration: float | None = None
    er_ka: float | None = None
    er_relative_bioavailability: float = 1.0
    er_zero_order_fraction: float = 1.0
    er_lag: float | None = None
    apparent: bool = False
    absolute_bioavailability: float | None = None
    quantities: dict[str, Quantity] = field(default_factory=dict, compare=False, repr=False)

    def dose_fraction(self, release: str = "immediate") -> float:
        """Fraction of a dose that enters the depot: F (1 with apparent CL/F, V/F), times the
        ER form's relative F for extended release."""
        rel = self.er_relative_bioavailability if release == "extended" else 1.0
        return self.bioavailability * rel

    def absorption_rate(self, release: str = "immediate") -> float:
        """First-order absorption rate constant (1/h) out of the depot for ``release``."""
        return self.er_ka if release == "extended" and self.er_ka else self.ka

    def absorption_lag(self, release: str = "immediate") -> float:
        """Lag time (h) between administration and the start of absorption for ``release``."""
        return self.er_lag if release == "extended" and self.er_lag is not None else self.lag


@dataclass(frozen=True)
class MetabolitePK:
    """Linear PK of a metabolite formed from the parent's elimination (working units h, L).

    A fraction ``fraction_formed`` of the parent's elimination flux (mol/mol) enters the
    metabolite, which is eliminated with ``clearance`` from ``volume``. When clearance and
    volume are apparent (CL_m/fm, V_m/fm: what a popPK fit of the metabolite alone gives),
    fm is inside them, so ``fraction_formed`` is 1 (the published fm, if any, is kept in
    ``published_fraction_formed``): the same "apply once" rule as F for the parent.
    """

    fraction_formed: float
    clearance: float
    volume: float
    apparent: bool = False
    published_fraction_formed: float | None = None
    quantities: dict[str, Quantity] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Metabolite:
    """An active metabolite: its binding, PK and in-cell potency relative to the parent.

    ``potency_relative[JAK]`` is IC50_metabolite / IC50_parent in cells (10 = ten-fold
    weaker); the lead wires it into occupancy, this module only carries it.
    """

    id: str
    name: str
    molecular_weight: float  # g/mol
    fraction_unbound: float
    pk: MetabolitePK
    potency_relative: dict[str, Quantity] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class PKReference:
    """Published steady-state exposure of one analyte at one regimen, for testing only.

    Never used to set a parameter (docs/pharmacology.md, "PK against labels"). Quantities in
    ng/mL (``cmax``, ``cmin``), ng*h/mL (``auc_tau``), h (``half_life``, ``tmax``) and
    dimensionless (``accumulation``; ``auc_ratio``, a metabolite's AUC_tau over the parent's,
    both in ng*h/mL); ``miss`` is the diagnosis of a known miss (> 20 %)
    that the label test marks as a strict xfail. ``role`` is ``"prediction"`` (the value is
    independent of the parameters) or ``"consistency"`` (it comes from the same popPK model as
    the parameters, so the row checks the transcription and simplifications).
    """

    regimen: str
    analyte: str
    source: str
    population: str = ""
    confidence: str = ""
    role: str = "prediction"
    metrics: dict[str, Quantity] = field(default_factory=dict)
    miss: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishedPotency:
    """A published cellular / whole-blood IC50 (total concentration, nM) for comparison.

    Either ``pathway_class`` (``"JAK1/JAK3"``) or ``cytokine`` + ``readout`` identifies it.
    """

    ic50: Quantity
    pathway_class: str = ""
    cytokine: str = ""
    readout: str = ""


@dataclass(frozen=True)
class PotencyAnchor:
    """A whole-blood IC50 (total drug, nM) that sets one JAK's in-cell potency by inverting the
    model's whole-blood assay on ``pathway`` (:mod:`jaksim.pharmacology.derive`)."""

    jak: str
    pathway: str
    ic50: Quantity


@dataclass(frozen=True)
class PotencyRatio:
    """``K_<jak> = ratio * K_<of>``: a JAK's in-cell potency relative to another JAK of the same
    drug (``of = "JAK1"``) or of another drug (``of = "tofacitinib.JAK1"``), taken from one
    consistent panel (engineered cells, label folds, one enzyme panel)."""

    jak: str
    of: str
    ratio: Quantity

    def reference(self, library: DrugLibrary, current: dict[str, float]) -> float:
        """In-cell K (nM) the ratio multiplies: ``current[of]`` for a JAK of the same drug, the
        library's stored value of the other drug for ``"<drug>.<JAK>"``."""
        if "." in self.of:
            other, jak = self.of.rsplit(".", 1)
            return library.get(other).cellular[jak].value
        return current[self.of]


@dataclass(frozen=True)
class Drug:
    """One drug: mechanism, potency per JAK, binding, PK and approved regimens.

    ``enzymatic`` holds cell-free IC50s (nM) measured at ``enzymatic_atp`` (nM of ATP);
    ``cellular`` holds in-cell kinase potencies (nM, unbound) that override the Cheng-Prusoff
    translation for that JAK: published ones, or ones DERIVED from ``anchors`` (whole-blood
    IC50s inverted through the model) and ``ratios`` (one consistent selectivity panel) by
    :func:`jaksim.pharmacology.derive.derive_potencies`, which a test keeps in step.
    ``receptor_kd`` (nM) and ``target`` apply to ``mechanism == "receptor_block"``.
    """

    id: str
    name: str
    mechanism: str
    molecular_weight: float  # g/mol
    fraction_unbound: float
    enzymatic: dict[str, Quantity] = field(default_factory=dict)
    enzymatic_atp: float | None = None  # nM
    cellular: dict[str, Quantity] = field(default_factory=dict)
    published: tuple[PublishedPotency, ...] = ()
    anchors: tuple[PotencyAnchor, ...] = ()
    ratios: dict[str, PotencyRatio] = field(default_factory=dict)
    pk: PKParams | None = None
    regimens: dict[str, Regimen] = field(default_factory=dict)
    metabolites: dict[str, Metabolite] = field(default_factory=dict)
    pk_reference: tuple[PKReference, ...] = ()
    target: str = ""
    receptor_kd: float | None = None
    aliases: tuple[str, ...] = ()
    note: str = ""
    indications: tuple[str, ...] = ()  # approved uses, plain words (classroom table)
    indications_source: str = ""

    def regimen(self, name: str) -> Regimen:
        """The regimen called ``name`` (e.g. ``"15 mg QD"``); did-you-mean on a typo."""
        if name in self.regimens:
            return self.regimens[name]
        key = name.replace(" ", "").lower()
        for rname, reg in self.regimens.items():
            if rname.replace(" ", "").lower() == key:
                return reg
        raise ModelError(
            f"drug {self.id!r} has no regimen {name!r}{did_you_mean(name, self.regimens)}; "
            f"known: {sorted(self.regimens)}",
            field=f"drugs.{self.id}.regimens",
        )

    def mg_to_nmol(self, mg: float) -> float:
        """Amount in nmol of ``mg`` milligrams."""
        return mg * 1e6 / self.molecular_weight


@dataclass(frozen=True)
class DrugLibrary:
    """All drugs of a library file, plus the cellular ATP and per-JAK Km(ATP) (nM)."""

    drugs: dict[str, Drug]
    atp_cell: Quantity
    km_atp: dict[str, Quantity]
    file: str = ""
    #: 90 % fold range (hi/value = value/lo) of a potency input without its own ``range``,
    #: by confidence code (``[uncertainty.potency_fold_90]``; :mod:`.uncertainty`)
    potency_fold_90: dict[str, Quantity] = field(default_factory=dict)

    def get(self, name: str | Drug) -> Drug:
        """Drug by id or alias (case-insensitive); did-you-mean on an unknown name."""
        if isinstance(name, Drug):
            return name
        key = name.strip().lower()
        for drug in self.drugs.values():
            if key == drug.id or key in (a.lower() for a in drug.aliases):
                return drug
        hint = did_you_mean(key, self.drugs) or did_you_mean(
            next((d for d in self.drugs if d.startswith(key)), ""), self.drugs
        )
        raise ModelError(
            f"unknown drug{hint}; known: {sorted(self.drugs)}",
            file=self.file,
            field=f"drugs.{name}",
        )

    def names(self) -> tuple[str, ...]:
        return tuple(self.drugs)

    def with_cellular(self, name: str, potencies: dict[str, float], why: str) -> DrugLibrary:
        """A copy in which drug ``name`` has the in-cell potencies ``{JAK: nM unbound}``
        (overriding its published cellular values or Cheng-Prusoff translation).

        For what-if questions ("what if tofacitinib were twice as potent on JAK3?"); ``why``
        is stored as the values' ``assumed`` reason so that tables built from the copy say
        where the numbers came from.
        """
        drug = self.get(name)
        unknown = sorted(set(potencies) - set(JAKS))
        if unknown:
            raise ValueError(f"unknown kinase(s) {unknown}; expected some of {JAKS}")
        if any(not v > 0 for v in potencies.values()):
            raise ValueError(f"potencies must be positive nM, got {potencies}")
        cellular = {**drug.cellular, **{
            j: Quantity(float(v), "nM", assumed=why, confidence="ASSUMED")
            for j, v in potencies.items()
        }}  # fmt: skip
        return replace(self, drugs={**self.drugs, drug.id: replace(drug, cellular=cellular)})


_PK_FIELDS = (
    "ka", "clearance", "volume", "lag", "peripheral_volume", "intercompartmental_clearance",
    "er_duration", "er_ka", "er_lag",
)  # fmt: skip


def _lognormal(q: Quantity | None, z: float) -> float | None:
    """``value * exp(omega z)`` with ``omega^2 = ln(1 + cv^2)`` (popPK exponential eta, so the
    typical value is the median); the value itself without a ``cv``."""
    if q is None:
        return None
    if not q.cv:
        return q.value
    return q.value * float(np.exp(np.sqrt(np.log1p(q.cv**2)) * z))


def sample_pk(drug: Drug, n: int, rng: np.random.Generator) -> list[Drug]:
    """``n`` copies of ``drug`` whose PK parameters are drawn from their popPK variability.

    Every PK value with a ``cv`` (parent and metabolites) is log-normal around its typical
    value: ``P_i = P * exp(eta)``, ``eta ~ N(0, ln(1 + cv^2))``, independent between
    parameters (the sources give no correlations here); values without ``cv`` are fixed.
    Bioavailability is capped at 1.

    Parameters
    ----------
    drug : Drug
        A library drug with PK.
    n : int
        Number of virtual subjects.
    rng : numpy.random.Generator
        Seeded generator (``np.random.default_rng(seed)``) for reproducible populations.

    Returns
    -------
    list of Drug
        Same drug with per-subject ``pk`` and metabolite ``pk``; feed each to
        :func:`jaksim.pharmacology.pk.ligand_concentrations` or ``steady_state``.
    """
    if drug.pk is None:
        raise ValueError(f"drug {drug.id!r} has no PK parameters")
    out = []
    for _ in range(n):
        q = drug.pk.quantities
        new = {k: _lognormal(q.get(k), rng.standard_normal()) for k in _PK_FIELDS if k in q}
        pk = replace(drug.pk, **new)
        if "bioavailability" in q and not drug.pk.apparent:
            pk = replace(
                pk,
                bioavailability=min(1.0, _lognormal(q["bioavailability"], rng.standard_normal())),
            )
        mets = {}
        for mid, met in drug.metabolites.items():
            mq = met.pk.quantities
            mpk = replace(
                met.pk,
                **{k: _lognormal(mq[k], rng.standard_normal()) for k in ("clearance", "volume")},
            )
            mets[mid] = replace(met, pk=mpk)
        out.append(replace(drug, pk=pk, metabolites=mets))
    return out


def default_library_path() -> Path:
    """The shipped ``models/drugs.toml`` (source tree or installed wheel)."""
    from ..io.registry import shipped_root

    return shipped_root("models") / "drugs.toml"


def load_library(path: str | Path | None = None) -> DrugLibrary:
    """Load and validate a drug library file (default: the shipped ``models/drugs.toml``).

    Raises
    ------
    ModelError
        Unknown key, missing or wrong unit, negative dose, regimen without PK, ... The message
        starts with ``file: field:``.
    """
    return _load_cached(str(Path(path) if path else default_library_path()))


@lru_cache(maxsize=8)
def _load_cached(path: str) -> DrugLibrary:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ModelError(f"cannot read drug library: {exc}", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"invalid TOML: {exc}", file=path) from None
    return _Reader(path).library(data)


class _Reader:
    """Closed-schema reader; every error names the file and the dotted field path."""

    def __init__(self, file: str):
        self.file = file
        self._models: list[str] | None = None  # shipped model names, read once per load

    def model_names(self) -> list[str]:
        """Shipped model names (anchor pathways must be one); reading every model file's
        header once per library load, not once per anchor."""
        if self._models is None:
            from ..io.registry import list_models

            self._models = [m[0] for m in list_models()]
        return self._models

    def error(self, where: str, message: str) -> ModelError:
        return ModelError(message, file=self.file, field=where)

    def table(self, data: Any, where: str, allowed: set[str], required: set[str] = frozenset()):
        if not isinstance(data, dict):
            raise self.error(where, f"expected a table, got {type(data).__name__}")
        for key in data:
            if key not in allowed:
                raise self.error(
                    f"{where}.{key}",
                    f"unknown key{did_you_mean(key, allowed)}; allowed: {sorted(allowed)}",
                )
        for key in sorted(required - set(data)):
            raise self.error(f"{where}.{key}", "missing required key")
        return data

    def quantity(
        self, data: Any, where: str, unit: str, *, positive: bool = True, sourced: bool = True
    ) -> Quantity:
        """A ``{value, units, source|assumed, confidence}`` table converted to ``unit``.

        ``sourced=False`` for values whose source is their parent's (a regimen's dose).
        """
        keys = {"value", "units", "source", "assumed", "confidence", "apparent", "cv", "range"}
        if not isinstance(data, dict):
            raise self.error(where, f"expected {{ value = ..., units = {unit!r} }}, got {data!r}")
        self.table(data, where, keys, {"value", "units"})
        value = data["value"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"{where}.value", f"expected a number, got {value!r}")
        if positive and value < 0:
            raise self.error(f"{where}.value", f"must be >= 0, got {value}")
        if sourced and not (data.get("source") or data.get("assumed")):
            raise self.error(where, "needs a `source` or an `assumed` reason")
        conf = data.get("confidence", "")
        if conf and conf not in CONFIDENCE:
            raise self.error(f"{where}.confidence", f"{conf!r} is not one of {CONFIDENCE}")
        try:
            converted = convert(float(value), data["units"], unit)
        except UnitError as exc:
            raise self.error(
                f"{where}.units", f"{exc.message} (expected a unit of {unit})"
            ) from None
        cv = data.get("cv")
        if cv is not None and (isinstance(cv, bool) or not isinstance(cv, int | float) or cv < 0):
            raise self.error(f"{where}.cv", f"expected a coefficient of variation >= 0, got {cv!r}")
        rng = data.get("range")
        if rng is not None:
            ok = isinstance(rng, list) and len(rng) == 2
            ok = ok and all(isinstance(v, int | float) and not isinstance(v, bool) for v in rng)
            if not ok or rng[0] > rng[1]:
                raise self.error(f"{where}.range", f"expected [low, high], got {rng!r}")
            rng = tuple(convert(float(v), data["units"], unit) for v in rng)
        return Quantity(
            converted,
            unit,
            data.get("source", ""),
            data.get("assumed", ""),
            conf,
            bool(data.get("apparent", False)),
            None if cv is None else float(cv),
            rng,
        )

    def library(self, data: dict) -> DrugLibrary:
        self.table(data, "", {"format_version", "cell", "km_atp", "drugs", "uncertainty"},
                   {"drugs", "cell"})  # fmt: skip
        if data.get("format_version", 1) != 1:
            raise self.error("format_version", f"unsupported {data['format_version']!r}; use 1")
        cell = self.table(data["cell"], "cell", {"atp"}, {"atp"})
        atp = self.quantity(cell["atp"], "cell.atp", "nM")
        km_tab = self.table(data.get("km_atp", {}), "km_atp", set(JAKS))
        km = {j: self.quantity(v, f"km_atp.{j}", "nM") for j, v in km_tab.items()}
        drugs = {name: self.drug(name, tab) for name, tab in data["drugs"].items()}
        for drug in drugs.values():
            if drug.mechanism == "atp_competitive" and drug.enzymatic:
                missing = [j for j in drug.enzymatic if j not in km]
                if missing:
                    raise self.error("km_atp", f"no Km(ATP) for {missing} (needed by {drug.id})")
        unc = self.table(data.get("uncertainty", {}), "uncertainty", {"potency_fold_90"})
        ftab = self.table(unc.get("potency_fold_90", {}), "uncertainty.potency_fold_90",
                          set(CONFIDENCE))  # fmt: skip
        folds = {c: self.quantity(v, f"uncertainty.potency_fold_90.{c}", "dimensionless")
                 for c, v in ftab.items()}  # fmt: skip
        for c, q in folds.items():
            if q.value < 1:
                raise self.error(
                    f"uncertainty.potency_fold_90.{c}", f"a fold is >= 1, got {q.value}"
                )
        return DrugLibrary(drugs, atp, km, self.file, folds)

    def drug(self, name: str, tab: Any) -> Drug:
        where = f"drugs.{name}"
        allowed = {
            "name", "aliases", "mechanism", "molecular_weight", "fraction_unbound", "enzymatic",
            "cellular", "published", "pk", "regimens", "target", "receptor", "note", "anchors",
            "ratios", "metabolites", "pk_reference", "indications", "indications_source",
        }  # fmt: skip
        self.table(tab, where, allowed, {"mechanism", "molecular_weight", "fraction_unbound"})
        mech = tab["mechanism"]
        if mech not in MECHANISMS:
            raise self.error(f"{where}.mechanism", f"{mech!r}{did_you_mean(mech, MECHANISMS)}")
        fu = self.quantity(tab["fraction_unbound"], f"{where}.fraction_unbound", "dimensionless")
        if not 0 < fu.value <= 1:
            raise self.error(f"{where}.fraction_unbound", f"must be in (0, 1], got {fu.value}")
        enz, atp = {}, None
        if "enzymatic" in tab:
            etab = self.table(tab["enzymatic"], f"{where}.enzymatic", {"atp", *JAKS}, {"atp"})
            atp = self.quantity(etab["atp"], f"{where}.enzymatic.atp", "nM").value
            enz = {j: self.quantity(v, f"{where}.enzymatic.{j}", "nM") for j, v in etab.items()}
            enz.pop("atp")
        ctab = self.table(tab.get("cellular", {}), f"{where}.cellular", set(JAKS))
        cell = {j: self.quantity(v, f"{where}.cellular.{j}", "nM") for j, v in ctab.items()}
        if mech != "receptor_block" and not (enz or cell):
            raise self.error(where, "a kinase inhibitor needs `enzymatic` or `cellular` potency")
        kd, target = None, tab.get("target", "")
        if mech == "receptor_block":
            if not target or "receptor" not in tab:
                raise self.error(where, "receptor_block needs `target` and [receptor] kd")
            rtab = self.table(tab["receptor"], f"{where}.receptor", {"kd"}, {"kd"})
            kd = self.quantity(rtab["kd"], f"{where}.receptor.kd", "nM").value
        pk = self.pk(tab["pk"], f"{where}.pk") if "pk" in tab else None
        regimens = {
            rname: self.regimen(rtab, f"{where}.regimens.{rname}", rname, pk)
            for rname, rtab in tab.get("regimens", {}).items()
        }
        published = tuple(
            self.published(p, f"{where}.published[{i}]")
            for i, p in enumerate(tab.get("published", []))
        )
        anchors = tuple(
            self.anchor(a, f"{where}.anchors[{i}]") for i, a in enumerate(tab.get("anchors", []))
        )
        rtab = self.table(tab.get("ratios", {}), f"{where}.ratios", set(JAKS))
        ratios = {j: self.ratio(j, v, f"{where}.ratios.{j}") for j, v in rtab.items()}
        derived = [a.jak for a in anchors] + list(ratios)
        if len(set(derived)) < len(derived):
            raise self.error(where, f"a JAK is set by more than one anchor/ratio: {derived}")
        for j in derived:
            if j not in cell:
                raise self.error(
                    f"{where}.cellular.{j}",
                    "a JAK set by an anchor or ratio needs its derived value here (run "
                    "`python -m jaksim.pharmacology.derive` and copy the printed values)",
                )
        raw_m = tab.get("metabolites", {})
        mtab = self.table(
            raw_m, f"{where}.metabolites", set(raw_m) if isinstance(raw_m, dict) else set()
        )
        if mtab and pk is None:
            raise self.error(f"{where}.metabolites", "metabolites need the parent's [pk]")
        metabolites = {
            m: self.metabolite(m, mt, f"{where}.metabolites.{m}") for m, mt in mtab.items()
        }
        refs = tuple(
            self.pk_reference(r, f"{where}.pk_reference[{i}]", name, regimens, metabolites)
            for i, r in enumerate(tab.get("pk_reference", []))
        )
        return Drug(
            id=name,
            name=tab.get("name", name),
            mechanism=mech,
            molecular_weight=self.quantity(
                tab["molecular_weight"], f"{where}.molecular_weight", "g/mol"
            ).value,
            fraction_unbound=fu.value,
            enzymatic=enz,
            enzymatic_atp=atp,
            cellular=cell,
            published=published,
            anchors=anchors,
            ratios=ratios,
            pk=pk,
            regimens=regimens,
            metabolites=metabolites,
            pk_reference=refs,
            target=target,
            receptor_kd=kd,
            aliases=tuple(tab.get("aliases", ())),
            note=tab.get("note", ""),
            indications=self.indications(tab, where),
            indications_source=tab.get("indications_source", ""),
        )

    def indications(self, tab: Any, where: str) -> tuple[str, ...]:
        """Approved uses: a list of strings, which must name where they come from."""
        ind = tab.get("indications", [])
        if not isinstance(ind, list) or not all(isinstance(i, str) for i in ind):
            raise self.error(f"{where}.indications", "a list of strings")
        if ind and not tab.get("indications_source"):
            raise self.error(f"{where}.indications_source", "indications need a source")
        return tuple(ind)

    def pk(self, tab: Any, where: str) -> PKParams:
        units = {
            "ka": "1/h", "lag": "h", "bioavailability": "dimensionless", "clearance": "L/h",
            "volume": "L", "peripheral_volume": "L", "intercompartmental_clearance": "L/h",
            "er_duration": "h", "er_ka": "1/h", "er_relative_bioavailability": "dimensionless",
            "er_zero_order_fraction": "dimensionless", "er_lag": "h",
        }  # fmt: skip
        self.table(tab, where, {"model", *units}, {"model", "ka", "clearance", "volume"})
        if tab["model"] not in PK_MODELS:
            raise self.error(f"{where}.model", f"{tab['model']!r} is not one of {PK_MODELS}")
        q = {k: self.quantity(tab[k], f"{where}.{k}", u) for k, u in units.items() if k in tab}
        apparent = self.apparent_flag(q, where, _DISPOSITION)
        two = tab["model"] == "two_compartment"
        for key in ("peripheral_volume", "intercompartmental_clearance"):
            if two != (key in q):
                need = "needs" if two else "is only for two_compartment, not"
                raise self.error(f"{where}.{key}", f"model {tab['model']!r} {need} this key")
        for key in ("ka", "clearance", "volume"):
            if q[key].value <= 0:
                raise self.error(f"{where}.{key}", f"must be > 0, got {q[key].value}")
        f = q["bioavailability"].value if "bioavailability" in q else 1.0
        if not 0 < f <= 1:
            raise self.error(f"{where}.bioavailability", f"must be in (0, 1], got {f}")
        for key in ("er_ka", "er_relative_bioavailability", "er_zero_order_fraction", "er_lag"):
            if key in q and "er_duration" not in q:
                raise self.error(
                    f"{where}.{key}", f"{key} is for the extended-release form: add er_duration"
                )
        f_er = q["er_relative_bioavailability"].value if "er_relative_bioavailability" in q else 1.0
        if not 0 < f_er <= 1:
            raise self.error(
                f"{where}.er_relative_bioavailability", f"must be in (0, 1], got {f_er}"
            )
        f0 = q["er_zero_order_fraction"].value if "er_zero_order_fraction" in q else 1.0
        if not 0 <= f0 <= 1:
            raise self.error(f"{where}.er_zero_order_fraction", f"must be in [0, 1], got {f0}")
        if "er_duration" in q and not q["er_duration"].value > 0:
            raise self.error(f"{where}.er_duration", f"must be > 0 h, got {q['er_duration'].value}")
        return PKParams(
            model=tab["model"],
            ka=q["ka"].value,
            # F is applied once: apparent CL/F and V/F already contain it
            bioavailability=1.0 if apparent else f,
            apparent=apparent,
            absolute_bioavailability=q["bioavailability"].value if "bioavailability" in q else None,
            er_ka=q["er_ka"].value if "er_ka" in q else None,
            er_relative_bioavailability=f_er,
            er_zero_order_fraction=f0,
            er_lag=q["er_lag"].value if "er_lag" in q else None,
            clearance=q["clearance"].value,
            volume=q["volume"].value,
            lag=q["lag"].value if "lag" in q else 0.0,
            peripheral_volume=q["peripheral_volume"].value if two else 0.0,
            intercompartmental_clearance=q["intercompartmental_clearance"].value if two else 0.0,
            er_duration=q["er_duration"].value if "er_duration" in q else None,
            quantities=q,
        )

    def apparent_flag(self, q: dict[str, Quantity], where: str, disposition: tuple) -> bool:
        """Whether the disposition parameters are apparent; all of them or none."""
        for key, qq in q.items():
            if qq.apparent and key not in disposition:
                raise self.error(
                    f"{where}.{key}.apparent", f"only {list(disposition)} can be apparent"
                )
        flags = {k: q[k].apparent for k in disposition if k in q}
        if len(set(flags.values())) > 1:
            raise self.error(
                where,
                "clearances and volumes must be all apparent (CL/F, V/F) or all absolute, got "
                + ", ".join(f"{k}: apparent={v}" for k, v in flags.items()),
            )
        return any(flags.values())

    def metabolite(self, mid: str, tab: Any, where: str) -> Metabolite:
        self.table(
            tab, where,
            {"name", "molecular_weight", "fraction_unbound", "pk", "potency_relative", "note"},
            {"molecular_weight", "fraction_unbound", "pk"},
        )  # fmt: skip
        fu = self.quantity(tab["fraction_unbound"], f"{where}.fraction_unbound", "dimensionless")
        if not 0 < fu.value <= 1:
            raise self.error(f"{where}.fraction_unbound", f"must be in (0, 1], got {fu.value}")
        units = {"fraction_formed": "dimensionless", "clearance": "L/h", "volume": "L"}
        ptab = self.table(tab["pk"], f"{where}.pk", set(units), {"clearance", "volume"})
        q = {k: self.quantity(ptab[k], f"{where}.pk.{k}", u) for k, u in units.items() if k in ptab}
        apparent = self.apparent_flag(q, f"{where}.pk", ("clearance", "volume"))
        for key in ("clearance", "volume"):
            if q[key].value <= 0:
                raise self.error(f"{where}.pk.{key}", f"must be > 0, got {q[key].value}")
        fm = q["fraction_formed"].value if "fraction_formed" in q else None
        if fm is None and not apparent:
            raise self.error(
                f"{where}.pk.fraction_formed",
                "needed unless clearance and volume are apparent (CL_m/fm, V_m/fm)",
            )
        if fm is not None and not 0 < fm <= 1:
            raise self.error(f"{where}.pk.fraction_formed", f"must be in (0, 1], got {fm}")
        rtab = self.table(tab.get("potency_relative", {}), f"{where}.potency_relative", set(JAKS))
        rel = {
            j: self.quantity(v, f"{where}.potency_relative.{j}", "dimensionless")
            for j, v in rtab.items()
        }
        for j, v in rel.items():
            if v.value <= 0:
                raise self.error(f"{where}.potency_relative.{j}", f"must be > 0, got {v.value}")
        pk = MetabolitePK(
            # fm is applied once: apparent CL_m/fm and V_m/fm already contain it
            fraction_formed=1.0 if apparent else float(fm),
            clearance=q["clearance"].value,
            volume=q["volume"].value,
            apparent=apparent,
            published_fraction_formed=fm,
            quantities=q,
        )
        return Metabolite(
            id=mid,
            name=tab.get("name", mid),
            molecular_weight=self.quantity(
                tab["molecular_weight"], f"{where}.molecular_weight", "g/mol"
            ).value,
            fraction_unbound=fu.value,
            pk=pk,
            potency_relative=rel,
            note=tab.get("note", ""),
        )

    def pk_reference(
        self, tab: Any, where: str, drug: str, regimens: dict, metabolites: dict
    ) -> PKReference:
        units = {
            "cmax": "ng/mL", "cmin": "ng/mL", "auc_tau": "ng*h/mL", "half_life": "h",
            "tmax": "h", "accumulation": "dimensionless", "auc_ratio": "dimensionless",
        }  # fmt: skip
        self.table(
            tab, where,
            {"regimen", "analyte", "population", "source", "confidence", "miss", "role", *units},
            {"regimen", "source"},
        )  # fmt: skip
        role = tab.get("role", "prediction")
        if role not in ("prediction", "consistency"):
            raise self.error(f"{where}.role", f"{role!r}: expected 'prediction' or 'consistency'")
        if tab["regimen"] not in regimens:
            raise self.error(
                f"{where}.regimen",
                f"{tab['regimen']!r}{did_you_mean(tab['regimen'], regimens)}: not a regimen of "
                f"{drug}",
            )
        analyte = tab.get("analyte", drug)
        if analyte != drug and analyte not in metabolites:
            raise self.error(f"{where}.analyte", f"{analyte!r}: neither {drug} nor a metabolite")
        conf = tab.get("confidence", "")
        if conf and conf not in CONFIDENCE:
            raise self.error(f"{where}.confidence", f"{conf!r} is not one of {CONFIDENCE}")
        metrics = {
            k: self.quantity(tab[k], f"{where}.{k}", u, sourced=False)
            for k, u in units.items()
            if k in tab
        }
        if not metrics:
            raise self.error(where, f"give at least one of {sorted(units)}")
        if "auc_ratio" in metrics and analyte == drug:
            raise self.error(
                f"{where}.auc_ratio", "auc_ratio (metabolite/parent) needs a metabolite analyte"
            )
        miss = self.table(tab.get("miss", {}), f"{where}.miss", set(metrics))
        return PKReference(
            regimen=tab["regimen"],
            analyte=analyte,
            source=tab["source"],
            population=tab.get("population", ""),
            confidence=conf,
            role=role,
            metrics=metrics,
            miss={k: str(v) for k, v in miss.items()},
        )

    def regimen(self, tab: Any, where: str, name: str, pk: PKParams | None) -> Regimen:
        self.table(
            tab, where, {"dose", "interval", "release", "route", "source"}, {"dose", "interval"}
        )
        if pk is None:
            raise self.error(where, "a regimen needs PK parameters: add a [pk] table to the drug")
        if not tab.get("source"):
            raise self.error(f"{where}.source", "a regimen needs a `source` (label, trial)")
        dose = self.quantity(tab["dose"], f"{where}.dose", "mg", positive=False, sourced=False)
        if dose.value <= 0:
            raise self.error(f"{where}.dose", f"dose must be > 0, got {dose.value} mg")
        tau = self.quantity(
            tab["interval"], f"{where}.interval", "h", positive=False, sourced=False
        )
        if tau.value <= 0:
            raise self.error(f"{where}.interval", f"interval must be > 0, got {tau.value} h")
        release = tab.get("release", "immediate")
        if release not in ("immediate", "extended"):
            raise self.error(f"{where}.release", f"{release!r}: expected 'immediate' or 'extended'")
        if release == "extended" and pk.er_duration is None:
            raise self.error(f"{where}.release", "extended release needs pk.er_duration")
        return Regimen(name, dose.value, tau.value, release, tab.get("source", ""))

    def anchor(self, tab: Any, where: str) -> PotencyAnchor:
        self.table(tab, where, {"jak", "pathway", "ic50"}, {"jak", "pathway", "ic50"})
        if tab["jak"] not in JAKS:
            raise self.error(f"{where}.jak", f"{tab['jak']!r}{did_you_mean(tab['jak'], JAKS)}")
        known = self.model_names()
        if tab["pathway"] not in known:
            hint = did_you_mean(tab["pathway"], known)
            raise self.error(f"{where}.pathway", f"unknown model {tab['pathway']!r}{hint}")
        return PotencyAnchor(tab["jak"], tab["pathway"],
                             self.quantity(tab["ic50"], f"{where}.ic50", "nM"))  # fmt: skip

    def ratio(self, jak: str, tab: Any, where: str) -> PotencyRatio:
        if not isinstance(tab, dict) or "of" not in tab:
            raise self.error(
                where, "expected { value = ..., units = 'dimensionless', of = 'JAK1' }"
            )
        of = tab["of"]
        if not isinstance(of, str) or of.rsplit(".", 1)[-1] not in JAKS:
            raise self.error(f"{where}.of", f"expected a JAK or '<drug>.<JAK>', got {of!r}")
        q = self.quantity({k: v for k, v in tab.items() if k != "of"}, where, "dimensionless")
        if not q.value > 0:
            raise self.error(f"{where}.value", f"must be > 0, got {q.value}")
        return PotencyRatio(jak, of, q)

    def published(self, tab: Any, where: str) -> PublishedPotency:
        self.table(tab, where, {"pathway_class", "cytokine", "readout", "ic50"}, {"ic50"})
        if not tab.get("pathway_class") and not tab.get("cytokine"):
            raise self.error(where, "give `pathway_class` or `cytokine` (+ `readout`)")
        return PublishedPotency(
            self.quantity(tab["ic50"], f"{where}.ic50", "nM"),
            tab.get("pathway_class", ""),
            tab.get("cytokine", ""),
            tab.get("readout", ""),
        )

"""Plug a drug into any pathway model through the JAK-activity convention.

Every pathway exposes ``act_JAK1``, ``act_JAK2``, ``act_JAK3``, ``act_TYK2`` (1 = uninhibited;
docs/model-format.md). :func:`with_drug` removes those parameters and defines each by a rule
``act_JAKx = 1 - occ_JAKx`` driven by the drug concentration, leaving the pathway's reactions
untouched. A receptor antibody (dupilumab: IL-4Ra) instead binds the free surface forms of its
target chain (species ``<TARGET>`` and ``<TARGET>_<JAK>``, e.g. ``IL4RA``, ``IL4RA_JAK1``):
``with_drug`` adds, per form ``S``, a species ``S_drug`` and the reaction
``S + antibody <-> S_drug`` (antibody in excess, Kd from the library) and lets ``S_drug`` turn
over like ``S`` (a copy of each first-order degradation of ``S``), so the free chain is reduced
``1 + C/Kd``-fold at steady state and neither IL-4 (binds IL-4Ra first) nor IL-13 (recruits
IL-4Ra into the type II receptor) can use it. No pathway file needs a drug parameter.

Several drugs at once (``with_drug(model, ["upadacitinib", "dupilumab"])``), and a drug with its
active metabolites (filgotinib + GS-829845: ligand prefix ``drug_GS_829845``, potency = the
parent's x ``potency_relative``, concentration 0 unless set, or with a regimen the metabolite's
PK species), share each kinase competitively: ligand ``i`` with unbound concentration
``Cu_i`` and in-cell potency ``K_i`` gives ``occ_<JAK> = L/(1 + L)``, ``L = sum_i Cu_i/K_i``
(one ATP site, mutually exclusive binding; for one ligand this is ``Cu/(Cu + K)``).
The first drug's symbols keep the ``drug_`` prefix below; the k-th further drug uses
``drug<k+1>_`` (``drug2_conc``, ``drug2_K_JAK1``, ...).

Added symbols (all in the model's units):

* ``drug_conc``: total drug concentration (a parameter, sweepable; with a regimen a rule equal
  to the PK central concentration ``pk_central``)
* ``drug_fu``, ``drug_K_<JAK>`` (or ``drug_K_<TARGET>``, the antibody's Kd): unbound fraction
  and in-cell potencies
* ``occ_<JAK>``: occupancy (a rule for equilibrium binding; for kinetic binding a parameter
  driven by a rate rule with ``drug_koff_<JAK>``)
* the pathway's ``act_cat_coupling`` (kept, value set by ``exchange``): 1 for fast drug
  exchange (the pair logic scales every JAK-catalysed step), 0 for slow exchange (activation
  only); docs/pharmacology.md
* with a regimen: compartment ``pk``, species ``pk_depot``, ``pk_central``[, ``pk_peripheral``]
  in nM of central-volume equivalents (amount / V), parameters ``pk_ka``, ``pk_k10``,
  ``pk_k12``, ``pk_k21`` and the zero-order release rate ``pk_input`` that
  :func:`dosing_protocol` switches on and off; per active metabolite a species
  ``pk_met_<id>`` (nM, its own volume; :func:`metabolite_species`) formed at ``pk_kf_<id>`` x
  ``pk_central`` and eliminated at ``pk_kme_<id>`` (``drug_conc`` stays the parent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..spec.errors import PharmacologyError
from ..spec.model import (
    Assignment,
    Compartment,
    Model,
    Parameter,
    RateRule,
    Reaction,
    Species,
)
from ..spec.units import convert
from .library import JAKS, Drug, DrugLibrary, load_library
from .occupancy import DEFAULT_RESIDENCE_TIME_S
from .pk import rate_constants, regimen_events
from .potency import cellular_potency
from .regimens import Regimen

__all__ = [
    "with_drug",
    "ligand_prefix",
    "metabolite_prefix",
    "metabolite_potencies",
    "dosing_protocol",
    "metabolite_species",
    "drug_targets",
    "potency_parameters",
    "EXCHANGE",
    "DEFAULT_EXCHANGE",
]

_BINDINGS = ("equilibrium", "kinetic")

#: Drug exchange relative to the catalytic steps of a signalling complex, as the value of the
#: pathways' ``act_cat_coupling`` parameter (models/modules/pathway_classes.toml): "fast" - the
#: drug binds and leaves a JAK between catalytic acts, so every JAK-catalysed step (activation,
#: docking-site and STAT phosphorylation) is scaled by the pair logic; "slow" - the drug stays
#: on a JAK for the life of a complex, so only activation is (docs/pharmacology.md).
EXCHANGE = {"fast": 1.0, "slow": 0.0}

#: Default exchange limit of :func:`with_drug` (docs/pharmacology.md, "How many catalytic steps
#: the drug hits", for the evidence and why it is this one).
DEFAULT_EXCHANGE = "fast"


def drug_targets(model: Model, drug: Drug) -> tuple[str, ...]:
    """What the drug acts on in ``model``: ``act_<JAK>`` parameter ids, or for a receptor
    antibody the free receptor-chain species ``<TARGET>`` / ``<TARGET>_<JAK>``."""
    if drug.mechanism == "receptor_block":
        forms = {drug.target, *(f"{drug.target}_{j}" for j in JAKS)}
        return tuple(s for s in model.species_ids() if s in forms)
    ids = set(model.parameter_ids())
    return tuple(f"act_{j}" for j in JAKS if f"act_{j}" in ids)


def potency_parameters(model: Model, drug: Drug, library: DrugLibrary) -> dict[str, float]:
    """Values of the ``drug_K_<site>`` parameters ``with_drug`` adds (model concentration
    unit): in-cell IC50 per JAK, or the antibody's Kd. Assays set these per ensemble member."""
    conc = model.concentration_unit
    if drug.mechanism == "receptor_block":
        return {f"drug_K_{drug.target}": convert(drug.receptor_kd, "nM", conc)}
    return {
        f"drug_K_{t.split('_', 1)[1]}": convert(cellular_potency(drug, t.split("_", 1)[1],
                                                                 library), "nM", conc)
        for t in drug_targets(model, drug)
    }  # fmt: skip


def metabolite_potencies(
    model: Model, drug: Drug, metabolite_id: str, library: DrugLibrary
) -> dict[str, float]:
    """``drug_K_<JAK>`` of an active metabolite: the parent's in-cell potency times the
    metabolite's ``potency_relative`` (IC50_metabolite / IC50_parent) for each JAK."""
    met = drug.metabolites[metabolite_id]
    out = {}
    for key, k_parent in potency_parameters(model, drug, library).items():
        jak = key.removeprefix("drug_K_")
        if jak not in met.potency_relative:
            raise PharmacologyError(
                f"metabolite {metabolite_id!r} of {drug.id} has no potency_relative for {jak}, "
                f"which model {model.id!r} uses; add it to drugs.{drug.id}.metabolites."
                f"{metabolite_id}.potency_relative"
            )
        out[key] = k_parent * met.potency_relative[jak].value
    return out


def metabolite_prefix(drug_prefix: str, metabolite_id: str) -> str:
    """Symbol prefix of an active metabolite's ligand (``drug`` + ``GS-829845`` ->
    ``drug_GS_829845``): ``<prefix>_conc``, ``<prefix>_fu``, ``<prefix>_K_<JAK>``."""
    return f"{drug_prefix}_{metabolite_species(metabolite_id).removeprefix('pk_met_')}"


def ligand_prefix(k: int) -> str:
    """Symbol prefix of the k-th drug given to :func:`with_drug` (0 -> ``drug``, 1 -> ``drug2``)."""
    return "drug" if k == 0 else f"drug{k + 1}"


def with_drug(
    model: Model,
    drug: str | Drug | Sequence[str | Drug],
    *,
    binding: str = "equilibrium",
    regimen: Regimen | str | None = None,
    library: DrugLibrary | None = None,
    residence_time: float | None = None,
    exchange: str = DEFAULT_EXCHANGE,
) -> Model:
    """Return ``model`` with ``drug`` acting on its JAK activities (or its receptor chain).

    Parameters
    ----------
    model : Model
        A pathway model following the JAK-activity convention.
    drug : str or Drug, or a sequence of them
        Drug id or alias from the library, or a :class:`Drug`. Several drugs act together:
        kinase inhibitors compete for each JAK (``occ = L/(1 + L)``, ``L = sum Cu_i/K_i``), a
        receptor antibody binds its chain independently. The k-th drug's symbols are prefixed
        :func:`ligand_prefix` (``drug``, ``drug2``, ...).
    binding : {"equilibrium", "kinetic"}
        Kinase inhibitors: rapid-equilibrium occupancy, or occupancy with kon/koff (a rate
        rule; one kinase inhibitor only). A receptor antibody always binds kinetically (its
        own species and reactions).
    regimen : Regimen or str, optional
        Adds PK species (depot, central[, peripheral]) for a single drug; drive them with
        :func:`dosing_protocol`. Without a regimen ``drug_conc`` is a parameter (default 0).
    library : DrugLibrary, optional
        Default: the shipped ``models/drugs.toml``.
    residence_time : float, optional
        Drug-target residence time in the model's time unit (kinetic binding); default
        :data:`~.occupancy.DEFAULT_RESIDENCE_TIME_S` seconds.
    exchange : {"fast", "slow"}
        Kinase inhibitors: whether the pair logic scales every JAK-catalysed step of a
        signalling complex ("fast" drug exchange) or only its activation ("slow"); sets the
        pathway's ``act_cat_coupling`` (:data:`EXCHANGE`). Ignored by models without it.

    Returns
    -------
    Model
        A new model; ``metadata["drug"]`` names the drug(s), joined by ``+``.
    """
    lib = library or load_library()
    names = [drug] if isinstance(drug, str | Drug) else list(drug)
    ds = [lib.get(n) for n in names]
    if not ds:
        raise PharmacologyError("with_drug needs at least one drug")
    ids = [d.id for d in ds]
    if len(set(ids)) < len(ids):
        raise PharmacologyError(f"a drug is given twice: {ids}")
    if binding not in _BINDINGS:
        raise PharmacologyError(f"binding must be one of {_BINDINGS}, got {binding!r}")
    if exchange not in EXCHANGE:
        raise PharmacologyError(f"exchange must be one of {tuple(EXCHANGE)}, got {exchange!r}")
    kinase = [(ligand_prefix(k), d) for k, d in enumerate(ds) if d.mechanism != "receptor_block"]
    if binding == "kinetic" and (len(kinase) > 1 or any(d.metabolites for _, d in kinase)):
        raise PharmacologyError(
            "kinetic binding is implemented for one kinase-inhibiting ligand at a time (got "
            f"{[d.id for _, d in kinase]}, active metabolites included); use "
            "binding='equilibrium' for combinations"
        )
    if regimen is not None and len(ds) > 1:
        raise PharmacologyError(
            "a regimen (PK species) can be added for one drug only; for combinations set each "
            "drug's concentration parameter (drug_conc, drug2_conc, ...) or use the clinical "
            "assays, which evaluate each drug's PK in closed form"
        )
    if "drug_conc" in model.parameter_ids() or any(a.id == "drug_conc" for a in model.assignments):
        raise PharmacologyError(
            f"model {model.id!r} already carries a drug ({model.metadata.get('drug')})"
        )
    conc = model.concentration_unit
    params = list(model.parameters)
    rules: list[Assignment] = []
    rate_rules: list[RateRule] = []
    new_params: list[Parameter] = []
    comps, species, reactions = list(model.compartments), list(model.species), []
    for k, d in enumerate(ds):
        pre = ligand_prefix(k)
        new_params.append(
            Parameter(f"{pre}_fu", d.fraction_unbound, "dimensionless",
                      source=f"drugs.toml: {d.id}")
        )  # fmt: skip
        if regimen is None:
            new_params.append(
                Parameter(f"{pre}_conc", 0.0, conc,
                          assumed=f"{d.id}: set by the experiment (total concentration)")
            )  # fmt: skip
        else:
            reg = d.regimen(regimen) if isinstance(regimen, str) else regimen
            c, s, r, p = _pk_components(model, d, reg)
            comps.append(c)
            species += s
            reactions += r
            new_params += p
            rules.append(Assignment("drug_conc", "pk_central", conc, description="plasma total"))
        new_params += [
            Parameter(key.replace("drug_", f"{pre}_", 1), v, conc, source=f"drugs.toml: {d.id}")
            for key, v in potency_parameters(model, d, lib).items()
        ]
        for mid, met in d.metabolites.items():
            # an active metabolite is one more ligand competing for the parent's kinases
            mpre = metabolite_prefix(pre, mid)
            kinase.append((mpre, d))
            msrc = f"drugs.toml: {d.id} metabolites.{mid}"
            new_params.append(Parameter(f"{mpre}_fu", met.fraction_unbound, "dimensionless",
                                        source=msrc))  # fmt: skip
            if regimen is None:
                new_params.append(
                    Parameter(f"{mpre}_conc", 0.0, conc,
                              assumed=f"{mid}: absent unless set (in vitro assays add the parent)")
                )  # fmt: skip
            else:
                rules.append(Assignment(f"{mpre}_conc", metabolite_species(mid), conc,
                                        description=f"plasma total {mid}"))  # fmt: skip
            new_params += [
                Parameter(key.replace("drug_", f"{mpre}_", 1), v, conc,
                          source=f"drugs.toml: {d.id} x metabolites.{mid}.potency_relative")
                for key, v in metabolite_potencies(model, d, mid, lib).items()
            ]  # fmt: skip
        if d.mechanism == "receptor_block":
            targets = drug_targets(model, d)
            if targets:
                s2, r2, p2 = _antibody_components(model, d, targets, pre)
                species += s2
                reactions += r2
                new_params += p2
    if kinase:
        targets = {t for _, d in kinase for t in drug_targets(model, d)}
        params = [
            replace(p, value=EXCHANGE[exchange]) if p.id == "act_cat_coupling" else p
            for p in params
            if p.id not in targets
        ]
        r_rules, rr, p3 = _kinase_rules(model, kinase, binding, residence_time)
        rules += r_rules
        rate_rules += rr
        new_params += p3

    metadata = {**model.metadata, "drug": "+".join(ids), "drug_binding": binding,
                "drug_exchange": exchange}  # fmt: skip
    return replace(
        model,
        compartments=tuple(comps),
        species=tuple(species),
        parameters=tuple(params + new_params),
        reactions=model.reactions + tuple(reactions),
        assignments=tuple(rules) + model.assignments,
        rate_rules=model.rate_rules + tuple(rate_rules),
        metadata=metadata,
    )


def _kinase_rules(model: Model, kinase, binding: str, residence_time: float | None):
    """``occ_<JAK>`` (rule or rate rule) and ``act_<JAK> = 1 - occ_<JAK>`` for the kinase
    inhibitors ``kinase`` (pairs of symbol prefix and drug), competing for each JAK."""
    t_unit = model.time_unit
    rules, rate_rules, params = [], [], []
    sites = [j for j in JAKS if any(f"act_{j}" in drug_targets(model, d) for _, d in kinase)]
    for site in sites:
        target, occ = f"act_{site}", f"occ_{site}"
        ligands = [pre for pre, d in kinase if target in drug_targets(model, d)]
        if binding == "equilibrium" and len(ligands) == 1:
            free, k_id = f"{ligands[0]}_fu*{ligands[0]}_conc", f"{ligands[0]}_K_{site}"
            rules.append(Assignment(occ, f"{free}/({free} + {k_id})", "dimensionless"))
        elif binding == "equilibrium":
            # competitive: mutually exclusive binding at one ATP site
            load = " + ".join(f"{pre}_fu*{pre}_conc/{pre}_K_{site}" for pre in ligands)
            rules.append(Assignment(occ, f"({load})/(1 + {load})", "dimensionless"))
        else:
            (pre,) = ligands
            free, k_id = f"{pre}_fu*{pre}_conc", f"{pre}_K_{site}"
            tau = residence_time
            if tau is None:
                tau = convert(DEFAULT_RESIDENCE_TIME_S, "s", t_unit)
            koff = 1.0 / tau
            params += [
                Parameter(f"drug_koff_{site}", koff, f"1/{t_unit}", assumed="1 / residence time"),
                Parameter(occ, 0.0, "dimensionless", constant=False, assumed="drug-free start"),
            ]
            # kon = koff / K keeps the equilibrium of the rapid-binding form
            rate_rules.append(
                RateRule(occ, f"drug_koff_{site}*({free}/{k_id}*(1 - {occ}) - {occ})")
            )
        rules.append(Assignment(target, f"1 - {occ}", "dimensionless"))
    return rules, rate_rules, params


def _antibody_components(model: Model, drug: Drug, targets, pre: str = "drug"):
    """Antibody binding to each free form of its receptor chain, and turnover of the bound
    form copied from the free form's first-order degradation reactions."""
    conc, t_unit = model.concentration_unit, model.time_unit
    k_id = f"{pre}_K_{drug.target}"
    params = [
        Parameter(f"{pre}_kon_ab", convert(1e-3, "1/(nM*s)", f"1/({conc}*{t_unit})"),
                  f"1/({conc}*{t_unit})",
                  assumed="typical antibody association 1e6 1/(M*s); Kd from the library"),
    ]  # fmt: skip
    species, reactions = [], []
    for sid in targets:
        free = model.get_species(sid)
        bound = f"{sid}_{pre}"
        species.append(Species(bound, free.compartment, 0.0, free.units, assumed="no drug"))
        reactions.append(
            Reaction(f"{pre}_binds_{sid}", ((sid, 1.0),), ((bound, 1.0),),
                     f"{pre}_kon_ab*({pre}_fu*{pre}_conc*{sid} - {k_id}*{bound})",
                     reversible=True, compartment=free.compartment)
        )  # fmt: skip
        for r in model.reactions:
            if r.reactants == ((sid, 1.0),) and not r.products:
                rate = _rename(r.rate, sid, bound)
                reactions.append(replace(r, id=f"{r.id}_{pre}", reactants=((bound, 1.0),),
                                         rate=rate))  # fmt: skip
    return species, reactions, params


def _rename(expression: str, old: str, new: str) -> str:
    """Replace the identifier ``old`` (whole word) by ``new`` in an expression."""
    import re

    return re.sub(rf"(?<![A-Za-z0-9_]){re.escape(old)}(?![A-Za-z0-9_])", new, expression)


def _pk_components(model: Model, drug: Drug, regimen: Regimen):
    """Compartment, species, reactions and parameters of the PK model inside ``model``."""
    if drug.pk is None:
        raise ValueError(f"drug {drug.id!r} has no PK parameters; cannot add regimen")
    t_unit, conc = model.time_unit, model.concentration_unit
    per_t = convert(1.0, "1/h", f"1/{t_unit}")
    k = rate_constants(drug.pk, regimen.release)
    src = f"drugs.toml: {drug.id} pk"
    comp = Compartment("pk", 1.0, model.volume_unit, assumed="PK states are in nM of central V")
    names = ["pk_depot", "pk_central"] + (["pk_peripheral"] if k["k12"] > 0 else [])
    species = [Species(s, "pk", 0.0, conc, assumed="drug-naive start") for s in names]
    params = [
        Parameter(f"pk_{key}", val * per_t, f"1/{t_unit}", source=src)
        for key, val in k.items()
        if key in ("ka", "k10") or k["k12"] > 0
    ]
    params.append(
        Parameter("pk_input", 0.0, f"{conc}/{t_unit}", constant=False,
                  assumed="zero-order release rate, switched by dosing_protocol")
    )  # fmt: skip
    rx = [
        # zero-order input (extended release) goes straight into the central compartment
        Reaction("pk_release", (), (("pk_central", 1.0),), "pk_input", compartment="pk"),
        Reaction("pk_absorption", (("pk_depot", 1.0),), (("pk_central", 1.0),),
                 "pk_ka*pk_depot", compartment="pk"),
        Reaction("pk_elimination", (("pk_central", 1.0),), (), "pk_k10*pk_central",
                 compartment="pk"),
    ]  # fmt: skip
    if k["k12"] > 0:
        rx += [
            Reaction("pk_distribution", (("pk_central", 1.0),), (("pk_peripheral", 1.0),),
                     "pk_k12*pk_central", compartment="pk"),
            Reaction("pk_redistribution", (("pk_peripheral", 1.0),), (("pk_central", 1.0),),
                     "pk_k21*pk_peripheral", compartment="pk"),
        ]  # fmt: skip
    for mid, met in drug.metabolites.items():
        # metabolite in nM of its own volume: formation k10*fm*A_c/V_m = k10*fm*(V/V_m)*C_c
        sid, tag = metabolite_species(mid), metabolite_species(mid).removeprefix("pk_met_")
        msrc = f"drugs.toml: {drug.id} metabolites.{mid} pk"
        species.append(Species(sid, "pk", 0.0, conc, assumed="drug-naive start"))
        kf = met.pk.fraction_formed * k["k10"] * drug.pk.volume / met.pk.volume
        params += [
            Parameter(f"pk_kf_{tag}", kf * per_t, f"1/{t_unit}", source=msrc),
            Parameter(f"pk_kme_{tag}", met.pk.clearance / met.pk.volume * per_t, f"1/{t_unit}",
                      source=msrc),
        ]  # fmt: skip
        rx += [
            Reaction(f"pk_formation_{tag}", (), ((sid, 1.0),), f"pk_kf_{tag}*pk_central",
                     compartment="pk"),
            Reaction(f"pk_elimination_{tag}", ((sid, 1.0),), (), f"pk_kme_{tag}*{sid}",
                     compartment="pk"),
        ]  # fmt: skip
    return comp, species, rx, params


def metabolite_species(metabolite_id: str) -> str:
    """Species id of a metabolite's plasma concentration in a model built with a regimen,
    ``pk_met_<id>`` with non-identifier characters replaced by ``_`` (``GS-829845`` ->
    ``pk_met_GS_829845``)."""
    import re

    return "pk_met_" + re.sub(r"[^A-Za-z0-9_]", "_", metabolite_id)


def dosing_protocol(
    drug: str | Drug,
    regimen: Regimen | str,
    *,
    days: float,
    model: Model | None = None,
    library: DrugLibrary | None = None,
    start: float = 0.0,
):
    """Timed changes that dose a model built by ``with_drug(..., regimen=...)``.

    The events of :func:`.pk.regimen_events`: each bolus is an ``add`` of ``F*dose/V`` (nM) to
    ``pk_depot``; each zero-order input (the extended-release share that enters the central
    compartment) an ``add`` of ``+rate`` / ``-rate`` to ``pk_input`` at its start / end (so
    overlapping inputs add up).

    Parameters
    ----------
    days : float
        Dosing duration (doses at start, start + tau, ... before start + days).
    model : Model, optional
        Supplies the time and concentration units (default s and nM).
    start : float
        Time of the first dose in the model's time unit.

    Returns
    -------
    jaksim.simulation.Protocol
    """
    from ..simulation.protocol import Change, Protocol

    d = (library or load_library()).get(drug)
    reg = d.regimen(regimen) if isinstance(regimen, str) else regimen
    if d.pk is None:
        raise ValueError(f"drug {d.id!r} has no PK parameters")
    t_unit = model.time_unit if model else "s"
    conc = model.concentration_unit if model else "nM"
    ev = regimen_events(d, reg, days)
    to_t = convert(1.0, "h", t_unit)
    scale = convert(1.0 / d.pk.volume, "nM", conc)  # nmol -> nM of central volume
    changes = [
        Change(start + t * to_t, "pk_depot", "add", a * scale)
        for t, a in zip(ev.bolus_times, ev.bolus_amounts, strict=True)
    ]
    for t0, t1, rate in zip(ev.infusion_starts, ev.infusion_stops, ev.infusion_rates, strict=True):
        r = rate * scale / to_t
        changes += [
            Change(start + t0 * to_t, "pk_input", "add", r),
            Change(start + t1 * to_t, "pk_input", "add", -r),
        ]
    return Protocol(tuple(changes))

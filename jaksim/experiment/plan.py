"""A validated config + its model -> an :class:`ExperimentPlan` in the model's units.

The plan checks every name the file uses (parameters, species, observables) against the model,
converts every quantity to the model's units once, and cuts the sweep into
:class:`~jaksim.experiment.tasks.ChunkTask` objects of plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..spec.errors import ConfigError, JaksimError, did_you_mean
from ..spec.units import convert
from .config import Quantity
from .engine import Engine, ModelRef, resolve_ref
from .loading import LoadedConfig
from .sweep import SweepTable
from .tasks import ChunkTask, ReadoutSpec, StimulusSpec

__all__ = ["ExperimentPlan", "make_plan", "readout_specs"]


def _label(q: Quantity) -> str:
    return f"{q.value:g}{q.unit}".replace(" ", "")


def readout_specs(loaded: LoadedConfig, time_unit: str) -> tuple[ReadoutSpec, ...]:
    """Readouts named ``"<observable>:<metric>"`` (value-at-t: ``:value_at_30min``)."""
    specs = []
    for r in loaded.config.readouts:
        for m in r.metrics:
            specs.append(ReadoutSpec(f"{r.observable}:{m}", r.observable, m, None))
        for q in r.at:
            when = convert(q.value, q.unit, time_unit)
            specs.append(
                ReadoutSpec(f"{r.observable}:value_at_{_label(q)}", r.observable, "value_at", when)
            )
            if "percent_inhibition" in r.metrics:
                specs.append(
                    ReadoutSpec(
                        f"{r.observable}:percent_inhibition_at_{_label(q)}",
                        r.observable,
                        "percent_inhibition",
                        when,
                    )
                )
    return tuple(specs)


@dataclass
class ExperimentPlan:
    """Everything needed to cut the sweep into tasks (model units throughout)."""

    loaded: LoadedConfig
    base: ModelRef
    model: Any
    t_eval: np.ndarray
    table: SweepTable
    fixed_params: dict[str, float]
    fixed_initial: dict[str, float]
    stimuli: tuple[StimulusSpec, ...]
    observables: tuple[str, ...]
    readouts: tuple[ReadoutSpec, ...]
    # axis key -> (target kind, target id, factor to model units, relative default or None)
    axis_map: dict[str, tuple[str, str, float, float | None]] = field(default_factory=dict)

    def task(self, index: int, start: int, stop: int, seed: int, engine: Engine) -> ChunkTask:
        """The task of members ``start:stop`` (one model: same drug and regimen)."""
        cfg = self.loaded.config
        n = stop - start
        cols = {k: v[start:stop] for k, v in self.table.columns.items()}
        ref = ModelRef(
            self.base.ref,
            str(cols["drug"][0]) if "drug" in cols else self.base.drug,
            str(cols["regimen"][0]) if "regimen" in cols else self.base.regimen,
        )
        params = {k: np.full(n, v) for k, v in self.fixed_params.items()}
        initial = {k: np.full(n, v) for k, v in self.fixed_initial.items()}
        stim_conc: dict[str, np.ndarray] = {}
        for key, (kind, target, factor, default) in self.axis_map.items():
            values = np.asarray(cols[key], dtype=float)
            values = values * default if default is not None else values * factor
            {"parameter": params, "initial": initial, "stimulus": stim_conc}[kind][target] = values
        stimuli = tuple(
            StimulusSpec(s.species, stim_conc.get(s.species, s.concentration), s.time, s.washout)
            for s in self.stimuli
        )
        drug = cfg.protocol.drug
        return ChunkTask(
            index=index,
            start=start,
            stop=stop,
            model=ref,
            t_eval=self.t_eval,
            params=params,
            initial=initial,
            stimuli=stimuli,
            dosing_days=drug.days if drug is not None and ref.regimen else None,
            preequilibrate=cfg.protocol.preequilibrate,
            solver=cfg.solver.method,
            rtol=cfg.solver.rtol,
            atol=cfg.solver.atol,
            observables=self.observables,
            readouts=self.readouts,
            seed=seed,
            engine=engine,
        )


def _parameter(model: Any, pid: str, where: str, file: str) -> Any:
    try:
        return model.get_parameter(pid)
    except KeyError:
        raise ConfigError(
            f"model {model.id!r} has no parameter {pid!r}"
            f"{did_you_mean(pid, model.parameter_ids())}",
            file=file,
            field=where,
        ) from None


def _param_factor(model: Any, pid: str, unit: str, where: str, file: str) -> float:
    par = _parameter(model, pid, where, file)
    try:
        return convert(1.0, unit, par.units or "dimensionless")
    except JaksimError as err:
        raise ConfigError(
            f"parameter {pid!r} is in {par.units!r}: {err.message}", file=file, field=where
        ) from None


def _species(model: Any, sid: str, where: str, file: str) -> None:
    if sid not in model.species_ids():
        raise ConfigError(
            f"model {model.id!r} has no species {sid!r}{did_you_mean(sid, model.species_ids())}",
            file=file,
            field=where,
        )


def make_plan(loaded: LoadedConfig, table: SweepTable, engine: Engine) -> ExperimentPlan:
    """Check ``loaded`` against its model and convert it to the model's units.

    Raises
    ------
    ConfigError
        A parameter, species or observable the model does not have, or a unit that does not
        match the model's.
    """
    cfg, file = loaded.config, loaded.file
    drug = cfg.protocol.drug
    base = ModelRef(
        resolve_ref(cfg.model.ref, loaded.base_dir),
        drug.name if drug else None,
        drug.regimen if drug else None,
    )
    drug_axis = next((a for a in table.axes if a.kind == "drug"), None)
    probe = ModelRef(base.ref, str(drug_axis.values[0]), base.regimen) if drug_axis else base
    try:
        model = engine.load(ModelRef(base.ref))
    except JaksimError as err:
        raise ConfigError(
            f"cannot load model {cfg.model.ref!r}: {err}", file=file, field="model.ref"
        ) from None
    if probe.drug is not None:
        try:
            model = engine.load(probe)
        except JaksimError as err:
            where = "protocol.drug" if drug_axis is None else "sweep.axes (drug)"
            raise ConfigError(
                f"cannot add drug {probe.drug!r}: {err}", file=file, field=where
            ) from None
    tu, cu = model.time_unit, model.concentration_unit
    t = cfg.time
    if t.values is not None:
        t_eval = np.asarray(t.values, dtype=float) * convert(1.0, t.unit, tu)
        t_eval = np.concatenate([[0.0], t_eval]) if t_eval[0] > 0 else t_eval
    else:
        t_eval = np.linspace(0.0, convert(t.end.value, t.end.unit, tu), t.points)
    fixed_params = {
        pid: q.value * _param_factor(model, pid, q.unit, f"model.parameters.{pid}", file)
        for pid, q in cfg.model.parameters.items()
    }
    for sid in cfg.model.initial:
        _species(model, sid, f"model.initial.{sid}", file)
    fixed_initial = {sid: convert(q.value, q.unit, cu) for sid, q in cfg.model.initial.items()}
    if drug is not None and drug.concentration is not None:
        q = drug.concentration
        fixed_params["drug_conc"] = q.value * _param_factor(
            model, "drug_conc", q.unit, "protocol.drug.concentration", file
        )
    stimuli = []
    for i, s in enumerate(cfg.protocol.stimulus):
        _species(model, s.species, f"protocol.stimulus[{i}].species", file)
        stimuli.append(
            StimulusSpec(
                s.species,
                convert(s.concentration.value, s.concentration.unit, cu),
                convert(s.time.value, s.time.unit, tu),
                convert(s.washout.value, s.washout.unit, tu) if s.washout else None,
            )
        )
    axis_map: dict[str, tuple[str, str, float, float | None]] = {}
    for i, a in enumerate(cfg.sweep.axes if cfg.sweep else []):
        where = f"sweep.axes[{i}]"
        if a.kind == "parameter":
            name = f"{where}.name"
            if a.relative:  # no unit to convert, but the parameter must exist all the same
                _parameter(model, a.name, name, file)
            factor = 1.0 if a.relative else _param_factor(model, a.name, a.unit, name, file)
            # a relative factor scales the file's override when there is one
            default = (
                fixed_params.get(a.name, model.get_parameter(a.name).value) if a.relative else None
            )
            axis_map[a.key] = ("parameter", a.name, factor, default)
        elif a.kind == "drug_conc":
            factor = _param_factor(model, "drug_conc", a.unit, f"{where}.unit", file)
            axis_map[a.key] = ("parameter", "drug_conc", factor, None)
        elif a.kind in ("initial", "stimulus"):
            _species(model, a.name, f"{where}.name", file)
            axis_map[a.key] = (a.kind, a.name, convert(1.0, a.unit, cu), None)
    known = set(model.species_ids()) | {x.id for x in model.assignments}
    observables = list(
        dict.fromkeys([*(r.observable for r in cfg.readouts), *cfg.experiment.observables])
    )
    for name in observables:
        if name not in known:
            raise ConfigError(
                f"model {model.id!r} has no observable or species {name!r}"
                f"{did_you_mean(name, known)}",
                file=file,
                field="readouts",
            )
    readouts = readout_specs(loaded, tu)
    for spec in readouts:
        if spec.when is not None and not 0.0 <= spec.when <= t_eval[-1]:
            raise ConfigError(
                f"readout time {spec.when:g} {tu} is outside the simulated span",
                file=file,
                field="readouts",
            )
    return ExperimentPlan(
        loaded,
        base,
        model,
        t_eval,
        table,
        fixed_params,
        fixed_initial,
        tuple(stimuli),
        tuple(observables),
        readouts,
        axis_map,
    )

"""``jaksim models``, ``jaksim info MODEL`` and ``jaksim simulate MODEL``.

MODEL is a shipped model name (see ``jaksim models``), a ``.toml`` model file or an SBML file.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence

from ..spec.errors import ModelError, did_you_mean
from ..spec.model import Model
from .outputs import add_style_option, prepare_out, writing

__all__ = ["register"]


def register(subparsers) -> None:
    """Add the ``models``, ``info`` and ``simulate`` sub-commands."""
    p = subparsers.add_parser("models", help="list the shipped models")
    p.set_defaults(func=cmd_models)

    p = subparsers.add_parser("info", help="describe a model: species, reactions, parameters")
    p.add_argument("model", help="shipped model name, .toml or SBML file")
    p.add_argument("--graph", metavar="FILE", help="also draw the reaction network (png/svg/pdf)")
    add_style_option(p)
    p.set_defaults(func=cmd_info)

    p = subparsers.add_parser("simulate", help="simulate a model and write / plot the result")
    p.add_argument("model", help="shipped model name, .toml or SBML file")
    p.add_argument("--t-end", type=float, required=True, help="end time (model time unit)")
    p.add_argument("--points", type=int, default=101, help="output time points (default 101)")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="ID=VALUE",
        help="override a parameter (model units); repeatable",
    )
    p.add_argument("--out", metavar="FILE.csv", help="write the time course as CSV")
    p.add_argument("--plot", metavar="FILE", help="plot observables (or states) to a figure")
    p.add_argument(
        "--show",
        metavar="IDS",
        help="comma-separated ids to plot / print (default: all observables, else all states)",
    )
    p.add_argument("--solver", default="rodas", choices=("rodas", "bdf", "radau", "lsoda"))
    p.add_argument(
        "--preequilibrate",
        action="store_true",
        help="start from the unstimulated steady state",
    )
    add_style_option(p)
    p.set_defaults(func=cmd_simulate)


# -- models ----------------------------------------------------------------------------------
def _table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*map(str, r)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def cmd_models(args: argparse.Namespace) -> int:
    from ..io.registry import list_models

    models = list_models()
    if not models:
        print("no shipped models found")
        return 0
    print(_table([(name, desc) for name, desc, _ in models], ("name", "description")))
    return 0


# -- info ------------------------------------------------------------------------------------
def _side(pairs: Sequence[tuple[str, float]]) -> str:
    return " + ".join(s if n == 1 else f"{n:g} {s}" for s, n in pairs) or "∅"


def _provenance(p) -> str:
    return f"source: {p.source}" if p.source else f"assumed: {p.assumed}" if p.assumed else ""


def describe(model: Model) -> str:
    """The text ``jaksim info`` prints."""
    out = [f"{model.id}: {model.name}" if model.name else model.id]
    if model.description:
        out.append(model.description)
    if model.source_file:
        out.append(f"file: {model.source_file}")
    out.append(
        f"units: time {model.time_unit}, concentration {model.concentration_unit}, "
        f"volume {model.volume_unit}"
    )
    out += ["", f"Compartments ({len(model.compartments)})"]
    rows = [(c.id, f"{c.size:g}", c.units) for c in model.compartments]
    out.append(_table(rows, ("id", "size", "units")))
    out += ["", f"Species ({len(model.species)})"]
    rows = []
    for s in model.species:
        flags = [f for f in ("boundary", "constant", "amount") if getattr(s, f)]
        rows.append((s.id, s.compartment, f"{s.initial:g}", s.units, ",".join(flags)))
    out.append(_table(rows, ("id", "compartment", "initial", "units", "flags")))
    out += ["", f"Reactions ({len(model.reactions)})"]
    for r in model.reactions:
        where = f" [{r.compartment}]" if r.compartment else " [amount/time]"
        arrow = "<->" if r.reversible else "->"
        out.append(f"  {r.id}: {_side(r.reactants)} {arrow} {_side(r.products)}{where}")
        out.append(f"      rate = {r.rate}")
        if r.modifiers:
            out.append(f"      modifiers: {', '.join(r.modifiers)}")
    out += ["", f"Parameters ({len(model.parameters)})"]
    rows = [(p.id, f"{p.value:g}", p.units, _provenance(p)) for p in model.parameters]
    out.append(_table(rows, ("id", "value", "units", "source / assumed")))
    if model.assignments:
        out += ["", f"Observables and assignment rules ({len(model.assignments)})"]
        out += [f"  {a.id} = {a.expression}" for a in model.assignments]
    if model.inputs:
        out += ["", f"Inputs ({len(model.inputs)})"]
        for i in model.inputs:
            changes = ", ".join(f"t={t:g}: {v:g}" for t, v in i.changes)
            out.append(f"  {i.op} {i.target}: {changes}")
    out += ["", "Conservation laws"]
    out += _conservation_lines(model)
    return "\n".join(out)


def _conservation_lines(model: Model) -> list[str]:
    try:
        from ..compile.conservation import conservation_laws
    except ImportError as exc:  # the compile stage is optional for a description
        return [f"  (not available: {exc})"]
    _, descriptions = conservation_laws(model)
    return [f"  {d} = const" for d in descriptions] or ["  none"]


def cmd_info(args: argparse.Namespace) -> int:
    from ..io.registry import load_model

    model = load_model(args.model)
    if args.graph:
        prepare_out(args.graph, "--graph")
    print(describe(model))
    if args.graph:
        from ..plot.network import save_network

        print(f"\nnetwork graph written to {save_network(model, args.graph)}")
    return 0


# -- simulate --------------------------------------------------------------------------------
def _parse_params(items: Sequence[str], model: Model) -> dict[str, float]:
    known = model.parameter_ids()
    values = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep:
            raise ModelError(f"expected ID=VALUE, got {item!r}", field="--param")
        if key not in known:
            raise ModelError(
                f"model {model.id!r} has no parameter {key!r}{did_you_mean(key, known)}",
                field="--param",
            )
        try:
            values[key] = float(text)
        except ValueError:
            raise ModelError(f"{key}: {text!r} is not a number", field="--param") from None
    return values


def cmd_simulate(args: argparse.Namespace) -> int:
    import numpy as np

    from ..io.registry import load_model
    from ..simulation import simulate

    model = load_model(args.model)
    # NaN passes every comparison and inf makes linspace all-NaN: test finiteness explicitly
    if not (math.isfinite(args.t_end) and args.t_end > 0):
        raise ModelError(f"must be a finite number > 0, got {args.t_end!r}", field="--t-end")
    if args.points < 2:
        raise ModelError(f"must be >= 2, got {args.points}", field="--points")
    params = _parse_params(args.param, model)
    # refuse an unwritable output before simulating, not after
    for path, flag in ((args.out, "--out"), (args.plot, "--plot")):
        if path:
            prepare_out(path, flag)
    t = np.linspace(0.0, args.t_end, args.points)
    result = simulate(
        model, t, params=params, preequilibrate=args.preequilibrate, solver=args.solver
    )
    result.raise_for_status()
    names = list(result.output_ids) or list(result.state_ids)
    if args.show:
        names = [n.strip() for n in args.show.split(",") if n.strip()]
        known = (*result.state_ids, *result.output_ids)
        for n in names:
            if n not in known:
                raise ModelError(
                    f"no state or observable {n!r}{did_you_mean(n, known)}", field="--show"
                )
    if args.out:
        with writing(args.out, "--out"):
            result.to_dataframe().to_csv(args.out, index=False)
        print(f"time course written to {args.out}")
    if args.plot:
        with writing(args.plot, "--plot"):
            _plot(result, names, model, args.plot)
        print(f"figure written to {args.plot}")
    if not args.out and not args.plot:
        print(f"values at t = {t[-1]:g} {model.time_unit}:")
        for n in names:
            print(f"  {n} = {result[n][-1]:.6g}")
    return 0


def _plot(result, names: Sequence[str], model: Model, path: str) -> None:
    from matplotlib.figure import Figure

    from ..plot.style import line_cycler, scale

    k = scale()
    fig = Figure(figsize=(7 * k, 4.5 * k))
    ax = fig.add_subplot()
    ax.set_prop_cycle(line_cycler())  # Okabe-Ito: colour-blind safe, styles beyond 8 lines
    for n in names:
        ax.plot(result.t, result[n], label=n)
    ax.set_xlabel(f"time ({model.time_unit})")
    ax.set_ylabel(f"value (concentrations in {model.concentration_unit})")
    ax.set_title(model.name or model.id)
    if len(names) <= 15:
        ax.legend(fontsize="small")
    fig.savefig(path, dpi=120, bbox_inches="tight")

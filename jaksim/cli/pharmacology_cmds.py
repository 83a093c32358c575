"""``jaksim demo selectivity|patients``, ``jaksim drugs``, ``jaksim validate``: the
pharmacology (and clinic) commands."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from .outputs import add_style_option

__all__ = ["register"]

DEMOS = {"selectivity": "selectivity_demo", "patients": None}


def _demo(args: argparse.Namespace) -> int:
    import pandas as pd

    if args.name == "patients":
        return _demo_patients(args)

    from ..experiment import run_experiment
    from ..io.registry import shipped_path

    config = shipped_path("experiments", DEMOS[args.name])
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="jaksim-demo-") as tmp:
        results = run_experiment(config, out=tmp, quiet=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(results) / "selectivity.png", out)
        table = pd.read_csv(Path(results) / "selectivity.csv")
    print(f"figure: {out}")
    print("mean inhibition over a day at steady state (fraction of the pSTAT signal blocked):")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    return 0


def _demo_patients(args: argparse.Namespace) -> int:
    """Case-report patients A and O against the virtual population (docs/clinic.md)."""
    from ..clinic.patients import case_report
    from ..plot.clinic import patient_figure

    out = Path(args.out if args.out != "selectivity.png" else "patients.png")
    bands, obs, pct, base = case_report(args.patients, seed=args.seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    patient_figure(bands, obs, out, title="case report vs virtual patients (upadacitinib)")
    print(f"figure: {out}")
    print("baseline:")
    print(base.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    print("percentile of response (share of virtual patients on the same regimen responding less):")
    print(pct.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    return 0


def _drugs(args: argparse.Namespace) -> int:
    from ..pharmacology import load_library
    from ..pharmacology.potency import potency_table

    lib = load_library()
    if args.name:
        return _drug_detail(lib, lib.get(args.name))
    table = potency_table(lib)
    print(f"{'drug':17s}{'mechanism':17s}{'JAK1':>9s}{'JAK2':>9s}{'JAK3':>9s}{'TYK2':>9s}"
          "  regimens   (in-cell IC50, nM unbound)")  # fmt: skip
    for d in lib.drugs.values():
        pots = table.get(d.id, {})
        cells = "".join(f"{_fmt(pots.get(j)):>9s}" for j in ("JAK1", "JAK2", "JAK3", "TYK2"))
        print(f"{d.id:17s}{d.mechanism:17s}{cells}  {', '.join(d.regimens)}")
    return 0


def _fmt(v: float | None) -> str:
    return "-" if v is None or v >= 1e8 else f"{v:.3g}"


def _drug_detail(lib, d) -> int:
    from ..pharmacology.pk import steady_state
    from ..pharmacology.potency import cellular_potency

    print(f"{d.name} ({d.id}); mechanism {d.mechanism}; MW {d.molecular_weight} g/mol; "
          f"fu {d.fraction_unbound}")  # fmt: skip
    if d.note:
        print(f"  note: {d.note}")
    for jak, q in d.enzymatic.items():
        print(f"  enzyme IC50 {jak}: {q.value:g} nM at {d.enzymatic_atp:g} nM ATP "
              f"[{q.confidence}] {q.source}")  # fmt: skip
    for jak, q in d.cellular.items():
        print(f"  cellular {jak}: {q.value:g} nM [{q.confidence}] {q.source}")
    if d.mechanism != "receptor_block":
        pots = ", ".join(f"{j} {cellular_potency(d, j, lib):.3g}" for j in ("JAK1", "JAK2",
                         "JAK3", "TYK2"))  # fmt: skip
        print(f"  in-cell IC50 used (nM unbound): {pots}")
    for name, reg in d.regimens.items():
        ss = steady_state(d, reg)
        print(f"  {name}: steady state Cmax {ss.cmax:.3g}, Cmin {ss.cmin:.3g}, "
              f"Cavg {ss.cavg:.3g} nM (total)")  # fmt: skip
    return 0


def _validate(args: argparse.Namespace) -> int:
    from ..io.paths import prepare_output
    from ..pharmacology.validation import run_validation
    from ..plot.validation import validation_figure

    out = Path(args.out)
    # checked before the 20-s run: a bad --out is a clear error, never a late traceback
    prepare_output(out, arg="--out", folder=True)
    out.mkdir(parents=True, exist_ok=True)
    table = run_validation(exchange=args.exchange)
    table.to_csv(out / "validation.csv", index=False)
    validation_figure(table, out / "validation.png")
    for row in table.itertuples():
        mark = "PASS" if row.passed else ("MISS (known)" if row.known_miss else "MISS")
        print(f"{mark}  [{row.role}] {row.claim}\n      model: {row.model}\n"
              f"      published: {row.published}  ({row.source})")  # fmt: skip
        if not row.passed and row.known_miss:
            print(f"      diagnosis: {row.known_miss}")
    n_pass = int(table["passed"].sum())
    new = table[~table["passed"] & (table["known_miss"] == "")]
    known = int((~table["passed"] & (table["known_miss"] != "")).sum())
    print(f"{n_pass} of {len(table)} comparisons pass, {known} known misses (diagnosed in "
          f"models/drugs.toml), {len(new)} new misses; table: {out / 'validation.csv'}, "
          f"figure: {out / 'validation.png'}")  # fmt: skip
    return 0 if new.empty else 1


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``demo``, ``drugs`` and ``validate`` commands."""
    p = sub.add_parser("demo", help="classroom demos (`jaksim demo selectivity`, `... patients`)")
    p.add_argument("name", choices=sorted(DEMOS), help="which demo")
    p.add_argument(
        "--out",
        default="selectivity.png",
        help="figure file (png, pdf, svg; patients: default patients.png)",
    )
    p.add_argument("--patients", type=int, default=500, help="virtual patients (demo patients)")
    p.add_argument("--seed", type=int, default=1, help="virtual-population seed (demo patients)")
    add_style_option(p)
    p.set_defaults(func=_demo)

    p = sub.add_parser("drugs", help="list the drug library (or show one drug)")
    p.add_argument("name", nargs="?", help="drug id or alias for details")
    p.set_defaults(func=_drugs)

    from ..pharmacology.apply import DEFAULT_EXCHANGE, EXCHANGE

    p = sub.add_parser(
        "validate",
        help="run every published pharmacology comparison (validation.csv + validation.png); "
        "exit status 1 if a comparison misses without a documented diagnosis",
    )
    p.add_argument("--out", default="validation", help="output folder (default ./validation)")
    p.add_argument(
        "--exchange",
        choices=sorted(EXCHANGE),
        default=DEFAULT_EXCHANGE,
        help="drug exchange limit of the pathway models (docs/pharmacology.md)",
    )
    p.set_defaults(func=_validate)

"""``jaksim fit`` and ``jaksim profile``: parameter estimation on PEtab problems."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

__all__ = ["register"]


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("problem", help="PEtab v1 problem YAML file")
    p.add_argument("--rtol", type=float, default=1e-8, help="solver relative tolerance")
    p.add_argument("--atol", type=float, default=1e-12, help="solver absolute tolerance")
    p.add_argument(
        "--missing-placeholders",
        type=float,
        default=None,
        metavar="VALUE",
        help="value of placeholders whose measurement gives none (invalid PEtab)",
    )


def register(subparsers) -> None:
    """Add the fitting sub-commands."""
    p = subparsers.add_parser("fit", help="fit a PEtab problem (multistart) or evaluate it")
    _common(p)
    p.add_argument(
        "--nominal",
        action="store_true",
        help="only print the objective and gradient norm at the nominal values",
    )
    p.add_argument("--starts", type=int, default=10, help="number of starts (default 10)")
    p.add_argument("--seed", type=int, default=0, help="seed of the start sample")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--sampling", choices=("lhs", "sobol"), default="lhs")
    p.add_argument("--method", choices=("lbfgsb", "fides"), default="lbfgsb")
    p.add_argument("--maxiter", type=int, default=500)
    p.add_argument(
        "--include-nominal",
        action="store_true",
        help="start 0 from the nominal values of the parameter table",
    )
    p.add_argument("--out", metavar="DIR", help="folder for starts.csv, best.json, figures")
    p.set_defaults(func=cmd_fit)

    p = subparsers.add_parser("profile", help="profile likelihood of PEtab parameters")
    _common(p)
    p.add_argument(
        "--parameter",
        action="append",
        required=True,
        metavar="ID",
        help="parameter to profile (repeatable)",
    )
    p.add_argument(
        "--from",
        dest="start",
        metavar="best.json",
        help="optimum to profile around (default: fit with --starts first)",
    )
    p.add_argument("--starts", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--step", type=float, default=0.05, help="initial grid step (estim. scale)")
    p.add_argument("--out", metavar="DIR", help="folder for profile_<ID>.csv/.png")
    p.set_defaults(func=cmd_profile)


def _objective(args):
    from ..fit.objective import PetabObjective
    from ..fit.petab import load_petab

    problem = load_petab(args.problem)
    return problem, PetabObjective(problem, rtol=args.rtol, atol=args.atol,
                                   missing_placeholders=args.missing_placeholders)  # fmt: skip


def cmd_fit(args: argparse.Namespace) -> int:
    problem, obj = _objective(args)
    if args.nominal:
        res = obj.evaluate(gradient=True)
        print(f"nllh: {res.nllh:.10g}")
        if res.prior:
            print(f"prior: {res.prior:.10g}")
            print(f"objective: {res.value:.10g}")
        print(f"gradient norm: {np.linalg.norm(res.gradient):.6g}")
        print(
            f"parameters: {obj.n_theta} estimated, {len(obj.dynamic)} in the dynamics; "
            f"{len(problem.measurements)} measurements, {len(obj.members)} simulations"
        )
        return 0
    from ..fit.optimize import multistart

    kwargs = {"rtol": args.rtol, "atol": args.atol,
              "missing_placeholders": args.missing_placeholders}  # fmt: skip
    result = multistart(problem, args.starts, seed=args.seed, workers=args.workers,
                        method=args.method, sampling=args.sampling, maxiter=args.maxiter,
                        include_nominal=args.include_nominal,
                        objective=obj if args.workers <= 1 else None, **kwargs)  # fmt: skip
    table = result.to_dataframe()
    best = result.best
    print(table[["start", "fval", "grad_norm", "n_iter", "success", "time_s"]]
          .to_string(index=False))  # fmt: skip
    print(f"best: {best.fval:.10g} (start {best.start})")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "starts.csv", index=False)
        lin = problem.from_scale(best.x)
        (out / "best.json").write_text(json.dumps({
            "problem": str(Path(args.problem).resolve()), "fval": best.fval,
            "theta": dict(zip(problem.estimated_ids, best.x.tolist(), strict=True)),
            "linear": dict(zip(problem.estimated_ids, lin.tolist(), strict=True)),
        }, indent=1))  # fmt: skip
        from ..plot.fit import plot_fit, plot_waterfall

        plot_waterfall(table).savefig(out / "waterfall.png", dpi=120)
        sim = (
            obj.simulation_table(best.x)
            if args.workers <= 1
            else _objective(args)[1].simulation_table(best.x)
        )
        sim.to_csv(out / "best_fit.csv", index=False)
        plot_fit(sim).savefig(out / "best_fit.png", dpi=120)
        print(f"wrote {out}/starts.csv, best.json, best_fit.csv, waterfall.png, best_fit.png")
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    from ..fit.optimize import multistart, profile
    from ..spec.errors import PetabError

    problem, obj = _objective(args)
    for pid in args.parameter:
        if pid not in problem.estimated_ids:
            raise PetabError(f"--parameter {pid!r} is not an estimated parameter",
                             file=args.problem)  # fmt: skip
    if args.start:
        data = json.loads(Path(args.start).read_text())
        x_opt = np.array([data["theta"][p] for p in problem.estimated_ids])
    else:
        x_opt = multistart(problem, args.starts, seed=args.seed, objective=obj).best.x
    out = Path(args.out) if args.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    for pid in args.parameter:
        pr = profile(obj, x_opt, pid, step=args.step)
        lo, hi = pr.ci
        llo, lhi = pr.ci_linear
        print(f"{pid}: optimum {x_opt[problem.estimated_ids.index(pid)]:.6g} ({pr.scale}); "
              f"95% CI [{lo:.6g}, {hi:.6g}] -> linear [{llo:.6g}, {lhi:.6g}] "
              f"({len(pr.values)} points)")  # fmt: skip
        if out:
            from ..plot.fit import plot_profile

            pr.to_dataframe().to_csv(out / f"profile_{pid}.csv", index=False)
            plot_profile(pr.to_dataframe(), parameter=pid, threshold=pr.threshold,
                         ci=pr.ci).savefig(out / f"profile_{pid}.png", dpi=120)  # fmt: skip
    return 0

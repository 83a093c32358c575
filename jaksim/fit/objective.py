"""PEtab negative log-likelihood and its gradient by forward sensitivities.

The objective of a parameter vector ``theta`` (estimated parameters on their
``parameterScale``) is

``J(theta) = sum_measurements nllh_i + sum_priors -log prior_j``

with, for a measurement ``m`` of an observable ``y`` with transformation ``T`` (``lin``,
``log``, ``log10``) and noise ``sigma`` (on the transformed scale), ``r = T(m) - T(y)``:

* normal: ``nllh = 0.5*log(2*pi*sigma^2) + 0.5*(r/sigma)^2 + c``
* laplace: ``nllh = log(2*sigma) + |r|/sigma + c``

where ``c = 0`` (lin), ``log(m)`` (log), ``log(m*ln(10))`` (log10): the log-Jacobian of the
transformation, so the density is one of ``m`` itself (the PEtab v1 convention,
``petab.calculate_llh``).

Simulations: one ensemble member per distinct (pre-equilibration, simulation) condition pair;
members that share the same pre-equilibration flag and the same set of parameters / species
changed after pre-equilibration run in one :func:`jaksim.simulate_ensemble` call. The gradient
runs the directional sensitivity model (:mod:`jaksim.fit.sensitivity`) with one member per
(condition pair, dynamic parameter that the pair uses), and chains ``dy/dx . dx/dtheta`` with
the partial derivatives of the observable and noise formulas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from jaksim.spec import expr as ex
from jaksim.spec.errors import PetabError

from .formula import evaluate_array
from .petab import PetabProblem, _cell, placeholder

__all__ = ["PetabObjective", "ObjectiveResult"]

_LN10 = math.log(10.0)


@dataclass
class ObjectiveResult:
    """One evaluation of the objective.

    Attributes
    ----------
    value : float
        ``nllh + prior`` (inf if a simulation failed).
    nllh : float
        Data term only.
    prior : float
        Negative log prior (0 without priors).
    gradient : ndarray (n_theta,) or None
        d value / d theta on the estimation scale.
    simulation : ndarray (n_measurements,)
        Simulated observable (untransformed), in measurement-table order.
    sigma : ndarray (n_measurements,)
        Noise parameter on the transformed scale.
    n_failed : int
        Failed simulation members.
    """

    value: float
    nllh: float
    prior: float
    gradient: np.ndarray | None
    simulation: np.ndarray
    sigma: np.ndarray
    n_failed: int = 0


@dataclass
class _Member:
    preeq: str
    sim: str
    p_tok: dict[int, float | str]  # phase-1 parameter slots that differ from the model default
    y_tok: dict[str, float | str]  # phase-1 initial states
    ch_p: dict[str, float | str]  # parameters set at t = 0 after pre-equilibration
    ch_y: dict[str, float | str]  # states set at t = 0 after pre-equilibration


@dataclass
class _ObsBlock:
    """All measurements of one observable, with what their formulas need."""

    obs_id: str
    rows: np.ndarray  # measurement indices
    member: np.ndarray
    tidx: np.ndarray
    tokens: dict[str, list]  # placeholder symbol -> token per row
    formula: ex.Expr
    noise: ex.Expr
    transform: str
    distribution: str


class PetabObjective:
    """Negative log-likelihood of a PEtab problem, with an exact forward-sensitivity gradient.

    Parameters
    ----------
    problem : PetabProblem
    rtol, atol : float
        Solver tolerances (relative; absolute in model concentration units). Tight defaults
        because finite differences and optimisers need a smooth objective.
    solver : str
        Backend for the plain simulation (``rodas`` or a scipy method); the gradient always
        uses Rodas.
    n_threads : int, optional
        Threads of the ensemble runs (default: numba's setting, all cores).
    missing_placeholders : float, optional
        Value of the placeholders of a measurement whose ``observableParameters`` /
        ``noiseParameters`` field is *empty* although the formula has placeholders (invalid
        PEtab, found in two Sobotta_Frontiers2017 rows). Default: refuse with an error.

    Notes
    -----
    ``theta`` is the vector of estimated parameters on their estimation scale, in
    parameter-table order (``problem.estimated_ids``).
    """

    def __init__(self, problem: PetabProblem, *, rtol: float = 1e-8, atol: float = 1e-12,
                 solver: str = "rodas", n_threads: int | None = None,
                 max_steps: int = 200_000,
                 missing_placeholders: float | None = None):  # fmt: skip
        from jaksim.compile import compile_model

        self.problem = problem
        self.rtol, self.atol, self.solver, self.n_threads = rtol, atol, solver, n_threads
        self.max_steps = max_steps
        self.missing_placeholders = missing_placeholders
        self.compiled = compile_model(problem.model)
        self._aug = None
        c = self.compiled
        self.param_ids = tuple(c.param_ids)
        self.state_ids = tuple(c.state_ids)
        self.ids = problem.estimated_ids
        self.theta_index = {pid: k for k, pid in enumerate(self.ids)}
        self.scales = problem.scales
        self.lower, self.upper = problem.bounds
        self._setup_members()
        self._setup_blocks()
        self._setup_priors()

    # ---------------------------------------------------------------------------------------
    # set-up
    # ---------------------------------------------------------------------------------------
    @property
    def n_theta(self) -> int:
        return len(self.ids)

    def _setup_members(self) -> None:
        prob, c = self.problem, self.compiled
        pslot = {p: i for i, p in enumerate(self.param_ids)}
        states = set(self.state_ids)
        base: dict[int, float | str] = {
            pslot[pid]: (pid if prob.parameters.at[pid, "estimate"]
                         else float(prob.parameters.at[pid, "nominalValue"]))
            for pid in prob.parameters.index if pid in pslot
        }  # fmt: skip

        def cond_tokens(cid: str):
            ptok, ytok = {}, {}
            for col, val in prob.conditions.loc[cid].items():
                if isinstance(val, float) and math.isnan(val):
                    continue
                if col in pslot:
                    ptok[col] = val
                elif col in states:
                    ytok[col] = val
            return ptok, ytok

        meas = prob.measurements
        pairs = list(dict.fromkeys(zip(meas["preequilibrationConditionId"],
                                       meas["simulationConditionId"], strict=True)))  # fmt: skip
        # Condition pairs that resolve to the same simulation (same parameter / species
        # tokens; Sobotta_Frontiers2017 has 375 condition ids but far fewer distinct
        # experiments) share one member: simulated once, sensitivities once.
        self.members: list[_Member] = []
        self.member_index: dict[tuple[str, str], int] = {}
        seen: dict[tuple, int] = {}
        for pre, sim in pairs:
            p1, y1 = cond_tokens(pre or sim)
            p_tok = dict(base)
            p_tok.update({pslot[k]: v for k, v in p1.items()})
            ch_p, ch_y = cond_tokens(sim) if pre else ({}, {})
            key = (bool(pre), *(tuple(sorted(d.items())) for d in (p_tok, y1, ch_p, ch_y)))
            if key not in seen:
                seen[key] = len(self.members)
                self.members.append(_Member(pre, sim, p_tok, y1, ch_p, ch_y))
            self.member_index[(pre, sim)] = seen[key]
        # groups: members that can share one ensemble call (same protocol structure)
        groups: dict[tuple, list[int]] = {}
        for i, m in enumerate(self.members):
            key = (bool(m.preeq), tuple(sorted(m.ch_p)), tuple(sorted(m.ch_y)),
                   tuple(sorted(m.y_tok)))  # fmt: skip
            groups.setdefault(key, []).append(i)
        self.groups = groups
        # PEtab v1 simulations start at t = 0; measurements at negative times (Sobotta: inputs
        # switched on at t < 0 in the SBML) move the start to the earliest measurement.
        times = np.unique(np.concatenate([[0.0], meas["time"].to_numpy(float)]))
        self.t_eval = times
        self.t0 = float(times[0])
        # thetas each member depends on through its simulation (dynamic parameters)
        self.touch: list[list[int]] = []
        for m in self.members:
            toks = [*m.p_tok.values(), *m.y_tok.values(), *m.ch_p.values(), *m.ch_y.values()]
            self.touch.append(
                sorted(
                    {
                        self.theta_index[t]
                        for t in toks
                        if isinstance(t, str) and t in self.theta_index
                    }
                )
            )
        self.dynamic = sorted({k for ks in self.touch for k in ks})
        self.c_p0 = np.asarray(c.p0, dtype=float)

    def _setup_blocks(self) -> None:
        prob = self.problem
        meas = prob.measurements
        member = np.array([self.member_index[(a, b)] for a, b in
                           zip(meas["preequilibrationConditionId"],
                               meas["simulationConditionId"], strict=True)])  # fmt: skip
        tidx = np.searchsorted(self.t_eval, meas["time"].to_numpy(float))
        self.blocks: list[_ObsBlock] = []
        needed_outputs: set[str] = set()
        known = set(self.state_ids) | set(self.param_ids) | set(prob.parameters.index)
        outputs = set(self.compiled.output_ids)
        for oid, od in prob.observables.items():
            rows = np.flatnonzero((meas["observableId"] == oid).to_numpy())
            if rows.size == 0:
                continue
            tokens: dict[str, list] = {}
            for kind, col in (("observable", "observableParameters"),
                              ("noise", "noiseParameters")):  # fmt: skip
                lists = [[_cell(x) for x in str(v).split(";")] if str(v).strip() else []
                         for v in meas[col].to_numpy()[rows]]  # fmt: skip
                expr = od.formula if kind == "observable" else od.noise
                for sym in expr.symbols():
                    ph = placeholder(sym)
                    if ph is None or ph[0] != kind:
                        continue
                    if ph[2] != oid:
                        raise PetabError(f"placeholder {sym} in observable {oid} names another "
                                         "observable", file=str(prob.path))  # fmt: skip
                    k = ph[1]
                    bad = [i for i, lst in enumerate(lists) if len(lst) < k]
                    if bad and not (
                        self.missing_placeholders is not None and all(not lists[i] for i in bad)
                    ):
                        raise PetabError(
                            f"{len(bad)} measurement(s) of {oid} give fewer than {k} "
                            f"{col} (needed for {sym}); an empty field can be given a value "
                            "with missing_placeholders= (CLI: --missing-placeholders)",
                            file=str(prob.path),
                            field=f"measurement row {int(rows[bad[0]])}")  # fmt: skip
                    tokens[sym] = [
                        lst[k - 1] if lst else self.missing_placeholders for lst in lists
                    ]
            for e in (od.formula, od.noise):
                for sym in e.symbols():
                    if sym in tokens or sym in ex.CONSTANTS:
                        continue
                    if sym in outputs:
                        needed_outputs.add(sym)
                    elif sym not in known:
                        raise PetabError(f"observable {oid}: unknown symbol {sym!r}",
                                         file=str(prob.path))  # fmt: skip
            for sym, toks in tokens.items():
                for t in toks:
                    if isinstance(t, str) and t not in prob.parameters.index:
                        raise PetabError(f"observable {oid}: {sym} = {t!r} is not in the "
                                         "parameter table", file=str(prob.path))  # fmt: skip
            self.blocks.append(
                _ObsBlock(
                    oid,
                    rows,
                    member[rows],
                    tidx[rows],
                    tokens,
                    od.formula,
                    od.noise,
                    od.transform,
                    od.distribution,
                )
            )
        self.outputs = (*self.state_ids, *sorted(needed_outputs))
        self.meas_values = meas["measurement"].to_numpy(float)
        self.meas_time = meas["time"].to_numpy(float)

    def _setup_priors(self) -> None:
        par = self.problem.parameters
        self.priors: list[tuple[int, str, float, float]] = []
        if "objectivePriorType" not in par.columns:
            return
        for k, pid in enumerate(self.ids):
            kind = par.at[pid, "objectivePriorType"]
            if not kind:
                continue
            text = str(par.at[pid, "objectivePriorParameters"])
            try:
                loc, scale = (float(x) for x in text.split(";"))
            except ValueError:
                raise PetabError(f"prior parameters {text!r} of {pid}: need 'location;scale'",
                                 file=str(self.problem.path)) from None  # fmt: skip
            self.priors.append((k, kind, loc, scale))

    # ---------------------------------------------------------------------------------------
    # simulation
    # ---------------------------------------------------------------------------------------
    def _resolve(self, tok, vals: dict[str, float]) -> float:
        return vals[tok] if isinstance(tok, str) else float(tok)

    def _simulate(self, vals: dict[str, float]):
        """Plain simulation of every member -> values (m, n_t, n_out), P_sim (m, n_p), failed."""
        from jaksim.simulation.protocol import Change, Protocol
        from jaksim.simulation.simulate import simulate_ensemble

        m = len(self.members)
        values = np.full((m, self.t_eval.size, len(self.outputs)), np.nan)
        P_sim = np.repeat(self.c_p0[None, :], m, axis=0)
        failed = 0
        for (preeq, ch_p_keys, ch_y_keys, y_keys), idx in self.groups.items():
            mem = [self.members[i] for i in idx]
            P = np.repeat(self.c_p0[None, :], len(idx), axis=0)
            for r, mm in enumerate(mem):
                for slot, tok in mm.p_tok.items():
                    P[r, slot] = self._resolve(tok, vals)
            initial = {s: np.array([self._resolve(mm.y_tok[s], vals) for mm in mem])
                       for s in y_keys}  # fmt: skip
            changes = [
                Change(self.t0, k, "set", np.array([self._resolve(mm.ch_p[k], vals) for mm in mem]))
                for k in ch_p_keys
            ]
            changes += [
                Change(self.t0, k, "set", np.array([self._resolve(mm.ch_y[k], vals) for mm in mem]))
                for k in ch_y_keys
            ]
            res = simulate_ensemble(
                self.compiled, self.t_eval, param_matrix=P, initial=initial or None,
                protocol=Protocol(tuple(changes)), outputs=self.outputs,
                preequilibrate=preeq, solver=self.solver, rtol=self.rtol, atol=self.atol,
                max_steps=self.max_steps, n_threads=self.n_threads,
            )  # fmt: skip
            values[idx] = res.values
            failed += int(np.count_nonzero(res.status != 0))
            for ch in changes:
                if ch.target in self.param_ids:
                    P[:, self.param_ids.index(ch.target)] = ch.value
            P_sim[idx] = P
        return values, P_sim, failed

    def _aug_compiled(self):
        if self._aug is None:
            from jaksim.compile import compile_model

            from .sensitivity import build_sensitivity_model

            sm = build_sensitivity_model(self.problem.model, y0=self.compiled.y0,
                                         p0=self.compiled.p0)  # fmt: skip
            self._aug = compile_model(sm.model)
        return self._aug

    def _simulate_sens(self, vals: dict[str, float]):
        """Sensitivity runs: values (m, n_t, n_out), S (m, n_dyn, n_t, n_out), P_sim, failed."""
        from jaksim.simulation.protocol import Change, Protocol
        from jaksim.simulation.simulate import simulate_ensemble

        from .sensitivity import dir_id, dsym_id, sens_id

        aug = self._aug_compiled()
        n_out = len(self.outputs)
        d_outputs = tuple(sens_id(s) if s in self.state_ids else dsym_id(s) for s in self.outputs)
        aug_outputs = (*self.outputs, *d_outputs)
        m = len(self.members)
        dyn_pos = {k: j for j, k in enumerate(self.dynamic)}
        values = np.full((m, self.t_eval.size, n_out), np.nan)
        S = np.zeros((m, len(self.dynamic), self.t_eval.size, n_out))
        P_sim = np.repeat(self.c_p0[None, :], m, axis=0)
        failed = 0
        aug_pidx = {p: i for i, p in enumerate(aug.param_ids)}
        # Direction length |p_k| (dx/dlog p): sensitivities then have the magnitude of the
        # states, so one absolute tolerance suits both (unscaled dx/dp of a slow rate can be
        # 1e7 times the state and defeats the first-step heuristic at atol 1e-12).
        weight = {k: (abs(vals[self.ids[k]]) or 1.0) for k in self.dynamic}
        aug_p0 = np.asarray(aug.p0, dtype=float)
        for (preeq, ch_p_keys, ch_y_keys, y_keys), idx in self.groups.items():
            runs = [(i, k) for i in idx for k in (self.touch[i] or [None])]
            P = np.repeat(aug_p0[None, :], len(runs), axis=0)
            initial: dict[str, np.ndarray] = {}
            for s in y_keys:
                initial[s] = np.empty(len(runs))
                initial[sens_id(s)] = np.zeros(len(runs))
            ch_vals = {k: np.empty(len(runs)) for k in (*ch_p_keys, *ch_y_keys)}
            ch_dirs = {k: np.zeros(len(runs)) for k in (*ch_p_keys, *ch_y_keys)}
            for r, (i, k) in enumerate(runs):
                mm = self.members[i]
                theta_id = self.ids[k] if k is not None else None
                w = weight[k] if k is not None else 0.0
                for slot, tok in mm.p_tok.items():
                    pid = self.param_ids[slot]
                    P[r, aug_pidx[pid]] = self._resolve(tok, vals)
                    if tok == theta_id:
                        P[r, aug_pidx[dir_id(pid)]] = w
                for s in y_keys:
                    initial[s][r] = self._resolve(mm.y_tok[s], vals)
                    initial[sens_id(s)][r] = w if mm.y_tok[s] == theta_id else 0.0
                for key in ch_vals:
                    tok = mm.ch_p[key] if key in mm.ch_p else mm.ch_y[key]
                    ch_vals[key][r] = self._resolve(tok, vals)
                    ch_dirs[key][r] = w if tok == theta_id else 0.0
            changes = []
            for key in ch_p_keys:
                changes += [
                    Change(self.t0, key, "set", ch_vals[key]),
                    Change(self.t0, dir_id(key), "set", ch_dirs[key]),
                ]
            for key in ch_y_keys:
                changes += [
                    Change(self.t0, key, "set", ch_vals[key]),
                    Change(self.t0, sens_id(key), "set", ch_dirs[key]),
                ]
            res = simulate_ensemble(
                aug, self.t_eval, param_matrix=P, initial=initial or None,
                protocol=Protocol(tuple(changes)), outputs=aug_outputs, preequilibrate=preeq,
                rtol=self.rtol, atol=self.atol, max_steps=self.max_steps,
                n_threads=self.n_threads,
            )  # fmt: skip
            failed += int(np.count_nonzero(res.status != 0))
            for r, (i, k) in enumerate(runs):
                values[i] = res.values[r, :, :n_out]
                if k is not None:
                    S[i, dyn_pos[k]] = res.values[r, :, n_out:] / weight[k]
            for i in idx:
                mm = self.members[i]
                for slot, tok in mm.p_tok.items():
                    P_sim[i, slot] = self._resolve(tok, vals)
                for key, tok in mm.ch_p.items():
                    P_sim[i, self.param_ids.index(key)] = self._resolve(tok, vals)
        return values, S, P_sim, failed

    # ---------------------------------------------------------------------------------------
    # objective
    # ---------------------------------------------------------------------------------------
    def evaluate(self, theta: np.ndarray | None = None, *, gradient: bool = False
                 ) -> ObjectiveResult:  # fmt: skip
        """Objective (and gradient) at ``theta`` (estimation scale; default: nominal values)."""
        prob = self.problem
        theta = prob.nominal_theta if theta is None else np.asarray(theta, dtype=float)
        if theta.shape != (self.n_theta,):
            raise ValueError(f"theta must have shape ({self.n_theta},), got {theta.shape}")
        vals = prob.parameter_values(theta)
        if gradient:
            values, S, P_sim, failed = self._simulate_sens(vals)
        else:
            values, P_sim, failed = self._simulate(vals)
            S = None
        n_meas = self.meas_values.size
        sim = np.full(n_meas, np.nan)
        sig = np.full(n_meas, np.nan)
        grad_lin = np.zeros(self.n_theta) if gradient else None
        nllh = 0.0
        out_col = {s: j for j, s in enumerate(self.outputs)}
        pcol = {p: j for j, p in enumerate(self.param_ids)}
        for b in self.blocks:
            n = b.rows.size
            env: dict[str, np.ndarray | float] = {}
            denv: dict[str, np.ndarray] = {}  # symbol -> d symbol / d theta_lin, (n, n_theta)
            for sym in b.formula.symbols() | b.noise.symbols():
                if sym in b.tokens:
                    toks = b.tokens[sym]
                    env[sym] = np.array([self._resolve(t, vals) for t in toks])
                    if gradient:
                        d = np.zeros((n, self.n_theta))
                        for r, t in enumerate(toks):
                            if isinstance(t, str) and t in self.theta_index:
                                d[r, self.theta_index[t]] = 1.0
                        denv[sym] = d
                elif sym in out_col:
                    env[sym] = values[b.member, b.tidx, out_col[sym]]
                    if gradient:
                        d = np.zeros((n, self.n_theta))
                        d[:, self.dynamic] = S[b.member, :, b.tidx, out_col[sym]]
                        denv[sym] = d
                elif sym in pcol:
                    env[sym] = P_sim[b.member, pcol[sym]]
                    if gradient:
                        d = np.zeros((n, self.n_theta))
                        for r, i in enumerate(b.member):
                            tok = self._sim_token(i, sym)
                            if isinstance(tok, str) and tok in self.theta_index:
                                d[r, self.theta_index[tok]] = 1.0
                        denv[sym] = d
                elif sym in vals:
                    env[sym] = vals[sym]
                    if gradient:
                        d = np.zeros((n, self.n_theta))
                        if sym in self.theta_index:
                            d[:, self.theta_index[sym]] = 1.0
                        denv[sym] = d
            t = self.meas_time[b.rows]
            h = np.broadcast_to(np.asarray(evaluate_array(b.formula, env, t), float), (n,))
            s = np.broadcast_to(np.asarray(evaluate_array(b.noise, env, t), float), (n,))
            mv = self.meas_values[b.rows]
            sim[b.rows], sig[b.rows] = h, s
            with np.errstate(all="ignore"):
                if b.transform == "lin":
                    r, dz, c = mv - h, np.ones(n), np.zeros(n)
                elif b.transform == "log":
                    r, dz, c = np.log(mv) - np.log(h), 1.0 / h, np.log(mv)
                else:
                    r, dz, c = (np.log10(mv) - np.log10(h), 1.0 / (h * _LN10),
                                np.log(mv * _LN10))  # fmt: skip
                if b.distribution == "normal":
                    terms = 0.5 * np.log(2 * np.pi * s**2) + 0.5 * (r / s) ** 2 + c
                    dJ_dz = -r / s**2
                    dJ_ds = 1.0 / s - r**2 / s**3
                else:
                    terms = np.log(2 * s) + np.abs(r) / s + c
                    dJ_dz = -np.sign(r) / s
                    dJ_ds = 1.0 / s - np.abs(r) / s**2
            nllh += float(np.sum(terms))
            if gradient:
                dJ_dh = dJ_dz * dz
                for expr_, w in ((b.formula, dJ_dh), (b.noise, dJ_ds)):
                    for sym in expr_.symbols():
                        if sym not in denv:
                            continue
                        part = np.broadcast_to(
                            np.asarray(evaluate_array(ex.diff(expr_, sym), env, t), float), (n,)
                        )
                        grad_lin += (w * part) @ denv[sym]
        if failed or not np.isfinite(nllh):
            nllh = math.inf
        prior, dprior = self._prior(theta)
        value = nllh + prior
        grad = None
        if gradient:
            grad = grad_lin * self._dlin_dtheta(theta) + dprior
            if not np.isfinite(value):
                grad = np.zeros(self.n_theta)
        return ObjectiveResult(value, nllh, prior, grad, sim, sig, failed)

    def _sim_token(self, i: int, pid: str):
        mm = self.members[i]
        if pid in mm.ch_p:
            return mm.ch_p[pid]
        return mm.p_tok.get(self.param_ids.index(pid))

    def _dlin_dtheta(self, theta: np.ndarray) -> np.ndarray:
        lin = self.problem.from_scale(theta)
        out = np.ones(self.n_theta)
        for k, s in enumerate(self.scales):
            if s == "log":
                out[k] = lin[k]
            elif s == "log10":
                out[k] = lin[k] * _LN10
        return out

    def _prior(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros(self.n_theta)
        lin = self.problem.from_scale(theta)
        dlin = self._dlin_dtheta(theta)
        for k, kind, loc, scale in self.priors:
            on_scale = kind.startswith("parameterScale")
            x = theta[k] if on_scale else lin[k]
            dx = 1.0 if on_scale else dlin[k]
            if kind.endswith("Normal") or kind == "normal":
                total += 0.5 * math.log(2 * math.pi * scale**2) + 0.5 * ((x - loc) / scale) ** 2
                grad[k] += (x - loc) / scale**2 * dx
            else:
                total += math.log(2 * scale) + abs(x - loc) / scale
                grad[k] += np.sign(x - loc) / scale * dx
        return total, grad

    def __call__(self, theta: np.ndarray) -> float:
        """Objective value at ``theta`` (estimation scale)."""
        return self.evaluate(theta).value

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Objective and its gradient (estimation scale), ``(float, (n_theta,))``."""
        res = self.evaluate(theta, gradient=True)
        return res.value, res.gradient

    def simulation_table(self, theta: np.ndarray | None = None) -> pd.DataFrame:
        """Measurement table with ``simulation`` and ``sigma`` columns added."""
        res = self.evaluate(theta)
        df = self.problem.measurements.copy()
        df["simulation"] = res.simulation
        df["sigma"] = res.sigma
        return df

"""Builders of very large or deeply nested models (issue 15 size guards), by case name.

Shared by ``tests/test_hardening_scale.py`` and ``benchmarks/bench_scale.py``.
"""

from __future__ import annotations

import re

from jaksim.spec.model import Assignment, Compartment, Model, Parameter, Reaction, Species

__all__ = ["chain", "branched", "nested_hill", "big_sum", "rule_chain", "deep_parens",
           "big_piecewise", "build"]  # fmt: skip

_CELL = (Compartment("c", 1.0, assumed="test"),)


def chain(n: int) -> Model:
    """Closed linear chain ``A0 <-> A1 <-> ... <-> A{n-1}`` (one law: the total)."""
    species = tuple(Species(f"A{i}", "c", 1.0 if i == 0 else 0.0, assumed="test")
                    for i in range(n))  # fmt: skip
    reactions = tuple(
        Reaction(f"r{i}", ((f"A{i}", 1),), ((f"A{i + 1}", 1),), f"kf*A{i} - kr*A{i + 1}",
                 compartment="c")
        for i in range(n - 1)
    )  # fmt: skip
    params = (Parameter("kf", 1.0, assumed="test"), Parameter("kr", 0.5, assumed="test"))
    return Model(id=f"chain{n}", compartments=_CELL, species=species, parameters=params,
                 reactions=reactions)  # fmt: skip


def branched(n_units: int) -> Model:
    """Enzyme cascade with branches: per unit ``E_i + S_i <-> C_i -> E_i + P_i``, ``P_i -> S_{i+1}``
    and a branch ``P_i -> Q_i + W`` (dimer-free), closed: laws ``E_i + C_i`` and total substrate."""
    species, reactions = [], []
    for i in range(n_units):
        species += [Species(f"{x}{i}", "c", 1.0 if x in "ES" else 0.0, assumed="test")
                    for x in ("E", "S", "C", "P", "Q")]  # fmt: skip
        nxt = f"S{(i + 1) % n_units}"
        reactions += [
            Reaction(f"b{i}", ((f"E{i}", 1), (f"S{i}", 1)), ((f"C{i}", 1),),
                     f"kf*E{i}*S{i} - kr*C{i}", compartment="c"),
            Reaction(f"k{i}", ((f"C{i}", 1),), ((f"E{i}", 1), (f"P{i}", 1)), f"kc*C{i}",
                     compartment="c"),
            Reaction(f"t{i}", ((f"P{i}", 1),), ((nxt, 1),), f"kt*P{i}", compartment="c"),
            Reaction(f"q{i}", ((f"P{i}", 2),), ((f"Q{i}", 1),), f"kq*P{i}^2 - kr*Q{i}",
                     compartment="c"),
        ]  # fmt: skip
    params = tuple(
        Parameter(k, v, assumed="test")
        for k, v in (("kf", 1.0), ("kr", 0.5), ("kc", 0.3), ("kt", 0.2), ("kq", 0.1))
    )
    return Model(id=f"branched{n_units}", compartments=_CELL, species=tuple(species),
                 parameters=params, reactions=tuple(reactions))  # fmt: skip


def nested_hill_text(depth: int) -> str:
    """``hill(hill(...hill(A, K, n)..., K, n), K, n)`` nested ``depth`` times."""
    text = "A"
    for _ in range(depth):
        text = f"hill({text}, K, n)"
    return text


def _decay_model(
    mid: str, rate: str, species: int = 1, rules=(), params=(), constant: bool = True
) -> Model:
    """Species ``A``, ``B1..`` (extra species, constant unless ``constant=False``: then they
    are states with zero rate) in one compartment; ``A`` decays with ``rate``."""
    sp = [Species("A", "c", 2.0, assumed="test")]
    sp += [Species(f"B{i}", "c", 1.0 + 0.001 * i, constant=constant, assumed="test")
           for i in range(1, species)]  # fmt: skip
    used = set(re.findall(r"[A-Za-z_]\w*", rate)) | {
        n for _, e in rules for n in re.findall(r"[A-Za-z_]\w*", e)
    }
    base = {"K": 0.7, "n": 2.0, "k": 0.3}
    pars = [Parameter(k, v, assumed="test") for k, v in base.items() if k in used]
    pars += [Parameter(k, v, assumed="test") for k, v in params]
    return Model(id=mid, compartments=_CELL, species=tuple(sp), parameters=tuple(pars),
                 reactions=(Reaction("r", (("A", 1),), (), rate, compartment="c"),),
                 assignments=tuple(Assignment(a, e) for a, e in rules))  # fmt: skip


def nested_hill(depth: int) -> Model:
    """``dA/dt = -k * hill^depth(A)``."""
    return _decay_model(f"hill{depth}", f"k*{nested_hill_text(depth)}")


def big_sum(n: int, states: bool = False) -> Model:
    """Rate law ``k*A*(B1 + B2 + ... + B{n})/n`` over ``n`` species: constant ones, or states
    (``states=True``: an ``n+1``-state model whose Jacobian row has ``n+1`` entries)."""
    terms = " + ".join(f"B{i}" for i in range(1, n + 1))
    return _decay_model(f"sum{n}", f"k*A*({terms})/{n}", species=n + 1, constant=not states)


def rule_chain(n: int) -> Model:
    """Assignment rules ``x1 = k*A``, ``x{i} = 0.5*x{i-1} + 0.5*k*A``...; rate ``x{n}``."""
    rules = [("x1", "k*A")] + [(f"x{i}", f"0.5*x{i - 1} + 0.5*k*A") for i in range(2, n + 1)]
    return _decay_model(f"rules{n}", f"x{n}", rules=rules)


def deep_parens_text(depth: int) -> str:
    """``(((...(k*A)...)))`` with alternating ``+ 0`` / ``* 1``-free arithmetic at each level."""
    text = "k*A"
    for i in range(depth):
        text = f"({text})" if i % 2 else f"(1*({text}))"
    return text


def deep_parens(depth: int) -> Model:
    return _decay_model(f"parens{depth}", deep_parens_text(depth))


def big_piecewise_text(n: int) -> str:
    """``piecewise(k*1, A < a1, k*2, A < a2, ..., k*(n+1))``: n branches and a default."""
    parts = []
    for i in range(1, n + 1):
        parts += [f"k*{i}*A", f"A < {2.0 * i / n!r}"]
    return f"piecewise({', '.join(parts)}, k*{n + 1}*A)"


def big_piecewise(n: int) -> Model:
    return _decay_model(f"piecewise{n}", big_piecewise_text(n))


def build(case: str) -> Model:
    """Model for a case name: ``chain250``, ``branched1000``, ``hill10``, ``sum5000``,
    ``rules5000``, ``parens1000``, ``piecewise300``."""
    m = re.fullmatch(r"([a-z]+)(\d+)", case)
    if m is None:
        raise ValueError(f"unknown case {case!r}")
    kind, n = m.group(1), int(m.group(2))
    builders = {
        "chain": chain,
        "statesum": lambda k: big_sum(k, states=True),
        "branched": lambda k: branched(k // 5),
        "hill": nested_hill,
        "sum": big_sum,
        "rules": rule_chain,
        "parens": deep_parens,
        "piecewise": big_piecewise,
    }
    return builders[kind](n)

"""Layout -> Python source of a kernel module (numba ``cfunc`` or plain Python).

The generated module defines plain functions over indexable ``y``, ``p`` and output buffers::

    rhs(t, y, p, dydt)           dydt[i] = d y_i / dt
    jac(t, y, p, J)              J[i*n + j] = d dydt_i / d y_j  (dense, row-major; zeros first)
    outputs(t, y, p, out)        out[k] = observable k (model.assignments order)
    init(p, y_in, y_out)         initial assignments; also writes IA targets that live in p
    triggers(t, y, p, g)         g[k] = 1.0 if event k's trigger holds else 0.0
    switches(t, y, p, g)         g[k] = 1.0 if switch condition k holds (N_SWITCH of them;
                                 see :func:`jaksim.compile.breakpoints.find_switches`)
    event_values(k, t, y, p, v)  v[m] = value of event k's m-th assignment (pre-event state)

and, at the bottom, wraps them with ``numba.cfunc(sig, cache=True)`` unless the importer set
``_JAKSIM_JIT = False`` in the module namespace before executing it (pure-Python fallback:
the functions then work on numpy arrays). Bodies are straight-line code: every symbol is bound
to a local variable once, each computed symbol (assignment rule, reaction extent) is evaluated
once, and the Jacobian uses the chain rule through those intermediates (forward mode over the
computed symbols), emitting only structurally nonzero entries.
"""

from __future__ import annotations

from jaksim.compile.breakpoints import find_switches
from jaksim.compile.layout import Layout, computed_closure, topo_order
from jaksim.spec import expr as ex

__all__ = ["generate_source", "jacobian_entries"]

_HEADER = '''"""jaksim kernel module (generated; do not edit). Structure hash {hash}."""
import math

N_STATE = {n_state}
N_SWITCH = {n_switch}
'''

_FOOTER = """
if globals().get("_JAKSIM_JIT", True):
    from numba import cfunc, types

    _p = types.CPointer(types.float64)
    _f = types.float64
    _opts = dict(cache=True, error_model="numpy", fastmath=False)
    rhs = cfunc(types.void(_f, _p, _p, _p), **_opts)(rhs)
    jac = cfunc(types.void(_f, _p, _p, _p), **_opts)(jac)
    outputs = cfunc(types.void(_f, _p, _p, _p), **_opts)(outputs)
    init = cfunc(types.void(_p, _p, _p), **_opts)(init)
    triggers = cfunc(types.void(_f, _p, _p, _p), **_opts)(triggers)
    switches = cfunc(types.void(_f, _p, _p, _p), **_opts)(switches)
    event_values = cfunc(types.void(types.int64, _f, _p, _p, _p), **_opts)(event_values)
"""


def _local(name: str) -> str:
    """Python local variable for a model symbol (``v_``) or a Jacobian gradient (``d_``).

    Gradients are named ``$d:<k>:<j>`` internally ('$' cannot occur in a model identifier).
    """
    if name.startswith("$d:"):
        return "d_" + name[3:].replace(":", "_")
    return "v_" + name


class _Emitter:
    def __init__(self, layout: Layout):
        self.layout = layout
        self.y = {s: i for i, s in enumerate(layout.state_ids)}
        self.p = {s: i for i, s in enumerate(layout.param_ids)}

    def src(self, e: ex.Expr) -> str:
        return ex.to_python(e, _local)

    def needed(self, exprs: list[ex.Expr]) -> list[str]:
        return computed_closure(self.layout.computed, exprs)

    def bindings(self, exprs: list[ex.Expr], y: str = "y") -> list[str]:
        """Lines binding every symbol ``exprs`` need, then the computed symbols they need."""
        comp = self.needed(exprs)
        used = set().union(
            *(e.symbols() for e in exprs), *(self.layout.computed[c].symbols() for c in comp)
        )
        lines = [f"{_local(s)} = {y}[{i}]" for s, i in self.y.items() if s in used]
        lines += [f"{_local(s)} = p[{i}]" for s, i in self.p.items() if s in used]
        lines += [f"{_local(c)} = {self.src(self.layout.computed[c])}" for c in comp]
        return lines


def jacobian_entries(
    layout: Layout,
) -> tuple[list[tuple[str, ex.Expr]], dict[tuple[int, int], ex.Expr]]:
    """Forward-mode symbolic Jacobian through the computed intermediates.

    Returns
    -------
    grads : list of (local name, Expr)
        Derivatives of computed symbols w.r.t. states, to be evaluated in order; each
        expression may use earlier gradient locals (as symbols named ``$d:<sym>:<j>``).
    entries : dict (i, j) -> Expr
        Structurally nonzero ``d dydt_i / d y_j``.
    """
    y = {s: i for i, s in enumerate(layout.state_ids)}
    grad: dict[str, dict[int, ex.Expr]] = {}
    grads: list[tuple[str, ex.Expr]] = []

    def gradient(e: ex.Expr) -> dict[int, ex.Expr]:
        out: dict[int, ex.Expr] = {}
        for s in sorted(e.symbols()):
            if s in y:
                out[y[s]] = ex.add(out.get(y[s], ex.ZERO), ex.diff(e, s))
            elif s in grad and grad[s]:
                partial = ex.diff(e, s)
                for j in grad[s]:
                    term = ex.mul(partial, grad[s][j])
                    out[j] = ex.add(out.get(j, ex.ZERO), term)
        return {j: d for j, d in out.items() if d != ex.ZERO}

    for k, (name, e) in enumerate(layout.computed.items()):
        g = gradient(e)
        grad[name] = {j: ex.Sym(f"$d:{k}:{j}") for j in g}
        grads.extend((f"$d:{k}:{j}", d) for j, d in g.items())
    entries = {(i, j): d for i, f in enumerate(layout.dydt) for j, d in gradient(f).items()}
    return grads, entries


def generate_source(layout: Layout, structure_hash: str) -> tuple[str, list[tuple[int, int]]]:
    """Return the kernel module source and the Jacobian's nonzero pattern ``[(i, j), ...]``."""
    em = _Emitter(layout)
    n = len(layout.state_ids)
    rhs_computed = [layout.computed[c] for c in computed_closure(layout.computed, layout.dydt)]
    conditions = find_switches([*layout.dydt, *rhs_computed], layout.computed, layout.param_ids)
    out = [_HEADER.format(hash=structure_hash, n_state=n, n_switch=len(conditions))]

    def function(signature: str, body: list[str]) -> None:
        out.append(f"\ndef {signature}:")
        out.extend("    " + line for line in (body or ["pass"]))
        out.append("")

    # rhs
    body = em.bindings(list(layout.dydt))
    body += [f"dydt[{i}] = {em.src(d)}" for i, d in enumerate(layout.dydt)]
    function("rhs(t, y, p, dydt)", body)

    # jac
    grads, entries = jacobian_entries(layout)
    used_grads = _used_gradients(grads, entries)
    exprs = [d for name, d in grads if name in used_grads] + list(entries.values())
    body = [f"for k in range({n * n}):", "    J[k] = 0.0"]
    body += em.bindings(exprs)
    body += [f"{_local(name)} = {em.src(d)}" for name, d in grads if name in used_grads]
    body += [f"J[{i * n + j}] = {em.src(d)}" for (i, j), d in sorted(entries.items())]
    function("jac(t, y, p, J)", body)

    # outputs
    obs = [ex.Sym(a) for a in layout.output_ids]
    body = em.bindings(obs)
    body += [f"out[{k}] = {_local(a)}" for k, a in enumerate(layout.output_ids)]
    function("outputs(t, y, p, out)", body)

    # init: initial assignments and assignment rules hold together at t0 (SBML)
    function("init(p, y_in, y_out)", _init_body(em, layout))

    # triggers
    body = em.bindings(list(layout.triggers))
    body += [
        f"g[{k}] = {em.src(ex.Call('piecewise', (ex.ONE, c, ex.ZERO)))}"
        for k, c in enumerate(layout.triggers)
    ]
    function("triggers(t, y, p, g)", body)

    # switches: the state / general time conditions of the right-hand side
    body = em.bindings(list(conditions))
    body += [
        f"g[{k}] = {em.src(ex.Call('piecewise', (ex.ONE, c, ex.ZERO)))}"
        for k, c in enumerate(conditions)
    ]
    function("switches(t, y, p, g)", body)

    # event_values
    values = [e for items in layout.event_assignments for _, e in items]
    body = em.bindings(values)
    for k, items in enumerate(layout.event_assignments):
        body.append(f"{'if' if k == 0 else 'elif'} k == {k}:")
        body += [f"    v[{m}] = {em.src(e)}" for m, (_, e) in enumerate(items)] or ["    pass"]
    function("event_values(k, t, y, p, v)", body)

    out.append(_FOOTER)
    return "\n".join(out), sorted(entries)


def _used_gradients(grads: list[tuple[str, ex.Expr]], entries: dict) -> set[str]:
    """Gradient locals reachable from the Jacobian entries (drop the unused ones)."""
    defs = dict(grads)
    want: set[str] = set()
    stack = [s for e in entries.values() for s in e.symbols() if s in defs]
    while stack:
        name = stack.pop()
        if name not in want:
            want.add(name)
            stack.extend(s for s in defs[name].symbols() if s in defs)
    return want


def _init_body(em: _Emitter, layout: Layout) -> list[str]:
    n = len(layout.state_ids)
    body = [f"for k in range({n}):", "    y_out[k] = y_in[k]"]
    if not layout.initial:
        return body
    defs = dict(layout.computed)
    defs.update(layout.initial)
    order = topo_order(defs, what="initial assignments / assignment rules", file=None)
    used = set().union(*(e.symbols() for e in defs.values())) | set(layout.initial)
    body.append("t = 0.0  # initial assignments may use time; they hold at t = 0")
    body += [f"{_local(s)} = y_in[{i}]" for s, i in em.y.items() if s in used]
    body += [f"{_local(s)} = p[{i}]" for s, i in em.p.items() if s in used]
    body += [f"{_local(name)} = {em.src(defs[name])}" for name in order]
    for target in layout.initial:
        where = f"y_out[{em.y[target]}]" if target in em.y else f"p[{em.p[target]}]"
        body.append(f"{where} = {_local(target)}")
    return body

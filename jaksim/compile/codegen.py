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

Flat code of bounded size (:class:`_Linear`): every subexpression that occurs more than once
in a function (common-subexpression elimination, by structural equality; nested macros such
as ``hill(hill(x, K, n), K, n)`` and their derivatives share subtrees, which would otherwise
print exponentially long) and every expression nested deeper than :data:`MAX_DEPTH` (a
5,000-term sum; CPython refuses too deeply nested source) is bound to a temporary ``c_<k>``.
A ``piecewise`` with many branches, or whose branches need temporaries, becomes an
``if / elif / else`` chain (or, when a condition itself needs temporaries, a sequence of
``if`` blocks guarded by a "done" flag), so only the selected branch is evaluated (as the
inline ``a if c else b`` form does) and nesting does not grow with the branch count.
Temporaries made inside a branch stay local to it.
"""

from __future__ import annotations

from collections import Counter

from jaksim.compile.breakpoints import find_switches
from jaksim.compile.layout import Layout, computed_closure, topo_order
from jaksim.spec import expr as ex

__all__ = ["generate_source", "jacobian_entries", "MAX_DEPTH"]

MAX_DEPTH = 32  # deepest expression nesting printed inline (CPython's parser allows ~200)
_INLINE_BRANCHES = 8  # piecewise with more branches: if blocks instead of nested ternaries

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


_Info = tuple[str, int, str | None, int]  # text, precedence level, condition text, depth


class _Scope:
    """Statements of one block and the subexpressions already available in it."""

    def __init__(self, parent: _Scope | None = None):
        self.parent = parent
        self.lines: list[str] = []
        self.known: dict[ex.Expr, _Info] = {}

    def get(self, e: ex.Expr) -> _Info | None:
        scope: _Scope | None = self
        while scope is not None:
            if e in scope.known:
                return scope.known[e]
            scope = scope.parent
        return None


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


class _Linear:
    """Turns the expressions of one kernel function into flat statements (see module doc).

    ``uses`` counts, per distinct subexpression (structural equality), how many parents and
    statements refer to it; a non-trivial one used more than once becomes a temporary.
    """

    def __init__(self, roots: list[ex.Expr], counter: list[int]):
        self.printer = ex.Printer(python=True, name_of=_local)
        self.counter = counter  # shared by a module's functions: temporaries never collide
        self.uses: Counter[ex.Expr] = Counter()
        self.expanded: dict[int, ex.Expr] = {id(r): ex.expand_macros(r) for r in roots}
        self.roots = roots  # keeps the ids above valid
        seen: set[ex.Expr] = set()
        for node in ex.postorder(self.expanded.values()):
            if node not in seen:
                seen.add(node)
                self.uses.update(node.children())
        self.uses.update(self.expanded.values())

    def fresh(self) -> str:
        self.counter[0] += 1
        return f"c_{self.counter[0]}"

    def _expand(self, e: ex.Expr) -> ex.Expr:
        got = self.expanded.get(id(e))
        return got if got is not None else ex.expand_macros(e)

    def source(self, e: ex.Expr, scope: _Scope) -> str:
        """Source text of ``e``; statements it needs are appended to ``scope.lines``."""
        return self.info(self._expand(e), scope)[0]

    def condition(self, e: ex.Expr, scope: _Scope) -> str:
        text, _, cond, _ = self.info(self._expand(e), scope)
        return cond or f"({text} != 0.0)"

    def info(self, root: ex.Expr, scope: _Scope) -> _Info:
        done = scope.get(root)
        if done is not None:
            return done
        # bottom-up, without descending into piecewise (branches get their own scopes)
        order: list[ex.Expr] = []
        stack: list[tuple[ex.Expr, bool]] = [(root, False)]
        listed: set[ex.Expr] = set()
        while stack:
            node, ready = stack.pop()
            if ready:
                order.append(node)
                continue
            if node in listed or scope.get(node) is not None:
                continue
            listed.add(node)
            stack.append((node, True))
            if not (isinstance(node, ex.Call) and node.fn == "piecewise"):
                stack.extend((c, False) for c in reversed(node.children()))
        for node in order:
            if isinstance(node, ex.Call) and node.fn == "piecewise":
                scope.known[node] = self._bind(node, self.piecewise(node, scope), scope)
                continue
            kids = [scope.get(c) for c in node.children()]
            got = {id(c): k for c, k in zip(node.children(), kids, strict=True)}

            def txt(c: ex.Expr, got: dict = got) -> str:
                return got[id(c)][0]

            def level(c: ex.Expr, got: dict = got) -> int:
                return got[id(c)][1]

            def cond(c: ex.Expr, got: dict = got) -> str:
                return got[id(c)][2] or f"({got[id(c)][0]} != 0.0)"

            own_cond = self.printer.node_cond(node, txt, cond)
            # a comparison's value text is ``(1.0 if <its condition> else 0.0)``
            got[id(node)] = ("", 0, own_cond, 0)
            text = self.printer.node(node, txt, cond, level)
            depth = 1 + max((k[3] for k in kids if k is not None), default=0)
            info: _Info = (text, ex.precedence(node), own_cond, depth if node.children() else 0)
            scope.known[node] = self._bind(node, info, scope)
        result = scope.get(root)
        assert result is not None
        return result

    def _bind(self, node: ex.Expr, info: _Info, scope: _Scope) -> _Info:
        """``info``, or a temporary holding it when ``node`` is shared or too deep."""
        if info[3] == 0:
            return info  # a leaf (name, number, time) or a temporary already
        if self.uses[node] > 1 or info[3] > MAX_DEPTH:
            name = self.fresh()
            scope.lines.append(f"{name} = {info[0]}")
            return (name, ex.ATOM_LEVEL, None, 0)
        return info

    def piecewise(self, node: ex.Call, scope: _Scope) -> _Info:
        args = node.args
        branches: list[tuple[_Scope, str, _Scope, _Info]] = []
        for i in range(0, len(args) - 1, 2):
            cs, vs = _Scope(scope), _Scope(scope)
            ctext = self.condition(args[i + 1], cs)
            branches.append((cs, ctext, vs, self.info(args[i], vs)))
        ds = _Scope(scope)
        default = self.info(args[-1], ds) if len(args) % 2 == 1 else ("math.nan", 9, None, 0)
        depth = len(branches) + max([default[3], *(b[3][3] for b in branches)])
        flat = not ds.lines and not any(b[0].lines or b[2].lines for b in branches)
        if flat and len(branches) <= _INLINE_BRANCHES and depth <= MAX_DEPTH:
            tail = default[0]
            for _, ctext, _, value in reversed(branches):
                tail = f"({value[0]} if {ctext} else {tail})"
            return (tail, ex.ATOM_LEVEL, None, depth)
        name = self.fresh()
        if not any(b[0].lines for b in branches):
            # conditions need no statements: one if / elif / else chain (flat source; every
            # branch jumps to a single merge block, which numba's SSA pass handles)
            for k, (_, ctext, vs, value) in enumerate(branches):
                scope.lines.append(f"{'if' if k == 0 else 'elif'} {ctext}:")
                scope.lines += _indent([*vs.lines, f"{name} = {value[0]}"])
            scope.lines += ["else:", *_indent([*ds.lines, f"{name} = {default[0]}"])]
            return (name, ex.ATOM_LEVEL, None, 0)
        # a condition needs statements of its own: sequential blocks behind a "done" flag
        flag = self.fresh()
        scope.lines += [f"{name} = math.nan", f"{flag} = False"]
        for k, (cs, ctext, vs, value) in enumerate(branches):
            block = [*cs.lines, f"if {ctext}:"]
            block += _indent([*vs.lines, f"{name} = {value[0]}", f"{flag} = True"])
            scope.lines += block if k == 0 else [f"if not {flag}:", *_indent(block)]
        scope.lines += [f"if not {flag}:", *_indent([*ds.lines, f"{name} = {default[0]}"])]
        return (name, ex.ATOM_LEVEL, None, 0)


class _Emitter:
    def __init__(self, layout: Layout):
        self.layout = layout
        self.y = {s: i for i, s in enumerate(layout.state_ids)}
        self.p = {s: i for i, s in enumerate(layout.param_ids)}
        self.counter = [0]

    def statements(self, targets: list[tuple[str, ex.Expr]], *, shared: bool = True) -> list[str]:
        """``target = expr`` lines in order, with the temporaries they need before them.

        ``shared``: one scope for all (a temporary serves every later statement); False gives
        each statement its own (for bodies where a name is bound twice, e.g. ``init``).
        """
        lin = _Linear([e for _, e in targets], self.counter)
        lines: list[str] = []
        root = _Scope()
        for target, e in targets:
            scope = root if shared else _Scope()
            text = lin.source(e, scope)
            lines += scope.lines
            scope.lines = []
            lines.append(f"{target} = {text}")
        return lines

    def needed(self, exprs: list[ex.Expr]) -> list[str]:
        return computed_closure(self.layout.computed, exprs)

    def bindings(self, exprs: list[ex.Expr], y: str = "y") -> list[str]:
        """Lines binding every symbol ``exprs`` need (states and parameters)."""
        comp = self.needed(exprs)
        used = set().union(
            *(e.symbols() for e in exprs), *(self.layout.computed[c].symbols() for c in comp)
        )
        lines = [f"{_local(s)} = {y}[{i}]" for s, i in self.y.items() if s in used]
        lines += [f"{_local(s)} = p[{i}]" for s, i in self.p.items() if s in used]
        return lines

    def computed(self, exprs: list[ex.Expr]) -> list[tuple[str, ex.Expr]]:
        """(local, expression) of the computed symbols ``exprs`` need, in evaluation order."""
        return [(_local(c), self.layout.computed[c]) for c in self.needed(exprs)]


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
    dydt = list(layout.dydt)
    body = em.bindings(dydt)
    body += em.statements(
        [*em.computed(dydt), *((f"dydt[{i}]", d) for i, d in enumerate(layout.dydt))]
    )
    function("rhs(t, y, p, dydt)", body)

    # jac
    grads, entries = jacobian_entries(layout)
    used_grads = _used_gradients(grads, entries)
    exprs = [d for name, d in grads if name in used_grads] + list(entries.values())
    body = [f"for k in range({n * n}):", "    J[k] = 0.0"]
    body += em.bindings(exprs)
    body += em.statements(
        [
            *em.computed(exprs),
            *((_local(name), d) for name, d in grads if name in used_grads),
            *((f"J[{i * n + j}]", d) for (i, j), d in sorted(entries.items())),
        ]
    )
    function("jac(t, y, p, J)", body)

    # outputs
    obs = [ex.Sym(a) for a in layout.output_ids]
    body = em.bindings(obs)
    body += em.statements([*em.computed(obs), *((f"out[{k}]", o) for k, o in enumerate(obs))])
    function("outputs(t, y, p, out)", body)

    # init: initial assignments and assignment rules hold together at t0 (SBML)
    function("init(p, y_in, y_out)", _init_body(em, layout))

    # triggers, and switches: the state / general time conditions of the right-hand side
    for fname, conds in (("triggers", list(layout.triggers)), ("switches", list(conditions))):
        body = em.bindings(conds)
        body += em.statements(
            [
                *em.computed(conds),
                *(
                    (f"g[{k}]", ex.Call("piecewise", (ex.ONE, c, ex.ZERO)))
                    for k, c in enumerate(conds)
                ),
            ]
        )
        function(f"{fname}(t, y, p, g)", body)

    # event_values
    values = [e for items in layout.event_assignments for _, e in items]
    body = em.bindings(values)
    body += em.statements(em.computed(values))
    for k, items in enumerate(layout.event_assignments):
        body.append(f"{'if' if k == 0 else 'elif'} k == {k}:")
        lines = em.statements([(f"v[{m}]", e) for m, (_, e) in enumerate(items)])
        body += _indent(lines) or ["    pass"]
    function("event_values(k, t, y, p, v)", body)

    out.append(_FOOTER)
    return "\n".join(out), sorted(entries)


def _truth_value(condition: ex.Expr) -> ex.Expr:
    """1.0 / 0.0 for a condition (as ``piecewise(1, c, 0)``)."""
    return ex.Call("piecewise", (ex.ONE, condition, ex.ZERO))


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
    # a name may be bound twice here (state value, then its initial assignment): no
    # temporaries shared between statements
    body += em.statements([(_local(name), defs[name]) for name in order], shared=False)
    for target in layout.initial:
        where = f"y_out[{em.y[target]}]" if target in em.y else f"p[{em.p[target]}]"
        body.append(f"{where} = {_local(target)}")
    return body

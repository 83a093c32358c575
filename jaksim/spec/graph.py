"""Dependency ordering without recursion (rule chains can be thousands of rules long).

:func:`depth_first_order` is the iterative form of the usual recursive depth-first search, so
rule orders and cycle reports are the same as before, for any chain length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

__all__ = ["depth_first_order"]


def depth_first_order(
    roots: Iterable[str], deps: Callable[[str], Iterable[str]]
) -> tuple[list[str], list[str] | None]:
    """Post-order of a depth-first search from ``roots`` (in order), dependencies first.

    Parameters
    ----------
    roots : iterable of str
        Start nodes, visited in this order (already visited ones are skipped).
    deps : callable
        ``deps(node)``: the nodes ``node`` depends on, visited in the order given.

    Returns
    -------
    order : list of str
        Every visited node after all its dependencies.
    cycle : list of str or None
        The first cycle met, as a path ``[a, b, ..., a]`` (the search stops there); None if
        there is none.
    """
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = on the path, 2 = done
    for root in roots:
        if root in state:
            continue
        path = [root]
        state[root] = 1
        stack: list[Iterator[str]] = [iter(deps(root))]
        while stack:
            for dep in stack[-1]:
                seen = state.get(dep)
                if seen == 2:
                    continue
                if seen == 1:
                    return order, [*path[path.index(dep) :], dep]
                state[dep] = 1
                path.append(dep)
                stack.append(iter(deps(dep)))
                break
            else:
                stack.pop()
                done = path.pop()
                state[done] = 2
                order.append(done)
    return order, None

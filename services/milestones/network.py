"""Dependency networks of schedule nodes: ordering, cycle and unknown-predecessor detection. Pure, no database."""
import functools
from collections.abc import Iterable, Mapping, Sequence


class NetworkError(ValueError):
    """The dependencies cannot be scheduled; `node` names the node at fault."""

    def __init__(self, message: str, *, node: str):
        super().__init__(message)
        self.node = node


class UnknownPredecessor(NetworkError):
    def __init__(self, *, node: str, predecessor: str):
        super().__init__(f"node '{node}' depends on the unknown node '{predecessor}'", node=node)
        self.predecessor = predecessor


class DependencyCycle(NetworkError):
    def __init__(self, cycle: list[str]):
        super().__init__(f"the dependencies form a cycle: {' → '.join(cycle)}", node=cycle[0])
        self.cycle = cycle


def topological_order(predecessors: Mapping[str, Sequence[str]]) -> list[str]:
    """Every node after all its predecessors, ties kept in the mapping's order; raises on unknown nodes and cycles.
    Remembered by the network itself: the schedules of a template (and every step of one) share their networks."""
    return list(_ordered(tuple((node, tuple(before)) for node, before in predecessors.items())))


@functools.lru_cache(maxsize=1024)
def _ordered(network: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[str, ...]:
    predecessors = dict(network)
    for node, before in network:
        for predecessor in before:
            if predecessor not in predecessors:
                raise UnknownPredecessor(node=node, predecessor=predecessor)
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = placed

    for root in predecessors:
        if state.get(root) == 2:
            continue
        # Iterative depth-first search over predecessors, so long chains do not hit the recursion limit.
        path: list[str] = [root]
        pending: list[Iterable[str]] = [iter(predecessors[root])]
        state[root] = 1
        while path:
            predecessor = next(pending[-1], None)
            if predecessor is None:
                node = path.pop()
                pending.pop()
                state[node] = 2
                order.append(node)
            elif state.get(predecessor) == 1:
                cycle = path[path.index(predecessor):] + [predecessor]
                raise DependencyCycle(cycle)
            elif state.get(predecessor) is None:
                state[predecessor] = 1
                path.append(predecessor)
                pending.append(iter(predecessors[predecessor]))
    return tuple(order)


def successors(predecessors: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The reverse edges: for each node, the nodes that depend on it."""
    found: dict[str, list[str]] = {node: [] for node in predecessors}
    for node, before in predecessors.items():
        for predecessor in before:
            found[predecessor].append(node)
    return found


def ancestors(predecessors: Mapping[str, Sequence[str]], node: str) -> set[str]:
    """Every node that `node` depends on, directly or not."""
    seen: set[str] = set()
    stack = list(predecessors[node])
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(predecessors[current])
    return seen


def descendants(predecessors: Mapping[str, Sequence[str]], node: str) -> set[str]:
    """Every node that depends on `node`, directly or not."""
    after = successors(predecessors)
    seen: set[str] = set()
    stack = list(after[node])
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(after[current])
    return seen


def without_implied(predecessors: Mapping[str, Sequence[str]], node: str) -> list[str]:
    """The node's predecessors less those another of its predecessors already depends on (after bridging a removed
    node: B → X → D with X removed gives D ← B and not D ← A, B when B already follows A)."""
    direct = list(predecessors[node])
    implied = set().union(*(ancestors(predecessors, p) for p in direct)) if direct else set()
    return [p for p in direct if p not in implied]

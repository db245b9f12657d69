"""The controller tree: who reports to whom, validated before the first step.

Built from explicit ``controller`` parameters (an entity id or ``None``), never from
substrings of ids. The root is the core agent; entities created with
``controller=None`` hang below it (MASSCA's cell controllers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .errors import HierarchyError

__all__ = ["Node", "Tree", "build_tree", "place_by_cell", "Role"]

Role = Literal["core", "controller", "unit"]


@dataclass(slots=True)
class Node:
    """One agent of the tree."""

    eid: str
    parent: str | None
    declared: Role | None
    children: list[str] = field(default_factory=list)
    depth: int = 0

    @property
    def role(self) -> Role:
        """``core`` for the root, ``controller`` if it has children, else ``unit``."""
        if self.declared == "core":
            return "core"
        return "controller" if self.children else "unit"


@dataclass(slots=True)
class Tree:
    """A validated tree with children in creation order and a bottom-up order."""

    nodes: dict[str, Node]
    root: str
    bottom_up: list[str]

    def units(self) -> list[str]:
        """Leaves that are units, in creation order."""
        return [e for e, n in self.nodes.items() if n.role == "unit"]

    def controllers(self) -> list[str]:
        """Every node with children except the core, in creation order."""
        return [e for e, n in self.nodes.items() if n.role == "controller"]


def build_tree(
    parents: Mapping[str, str | None], declared: Mapping[str, Role | None]
) -> Tree:
    """Validate ``eid -> parent eid`` and build the tree.

    ``parents`` must contain exactly one entity declared ``core`` (its parent is
    ``None``); any other entity with parent ``None`` is attached below the core.
    Raises :class:`HierarchyError` naming the entity for unknown parents, cycles,
    several cores, children below an entity declared ``unit``, or no core at all.
    """
    cores = [e for e, kind in declared.items() if kind == "core"]
    if len(cores) > 1:
        raise HierarchyError(f"only one core agent per MAS simulator, got {sorted(cores)}")
    if not cores:
        raise HierarchyError("no core agent: create one with MosaikAgents() / model 'Core'")
    root = cores[0]
    nodes: dict[str, Node] = {}
    for eid, parent in parents.items():
        if eid == root:
            parent = None
        elif parent is None:
            parent = root
        elif parent not in parents:
            raise HierarchyError(f"entity {eid!r}: controller {parent!r} is not an entity "
                                 "of this MAS simulator")
        elif parent == eid:
            raise HierarchyError(f"entity {eid!r} names itself as its controller")
        nodes[eid] = Node(eid, parent, declared.get(eid))
    _link_children(nodes)
    _check_acyclic(nodes)
    order = _breadth_first(nodes, root)
    return Tree(nodes, root, list(reversed(order)))


def _link_children(nodes: dict[str, Node]) -> None:
    for eid, node in nodes.items():
        if node.parent is None:
            continue
        parent_node = nodes[node.parent]
        if parent_node.declared == "unit":
            raise HierarchyError(f"entity {eid!r}: its controller {node.parent!r} is a unit; "
                                 "units cannot have children")
        parent_node.children.append(eid)


def _check_acyclic(nodes: dict[str, Node]) -> None:
    """Raise on a cycle of parent links; every node is walked once (linear in the tree).

    Each walk goes up from a node not yet checked until it meets a checked node (whose
    ancestors are known to end at the root) or the root, then marks its path checked;
    meeting a node of its own path is a cycle.
    """
    checked: set[str] = set()
    for eid in nodes:
        path: dict[str, None] = {}  # insertion-ordered, O(1) membership
        cursor: str | None = eid
        while cursor is not None and cursor not in checked:
            if cursor in path:
                walk = list(path)
                loop = " -> ".join([*walk[walk.index(cursor):], cursor])
                raise HierarchyError(f"cycle in the controller tree: {loop}")
            path[cursor] = None
            cursor = nodes[cursor].parent
        checked.update(path)


def _breadth_first(nodes: dict[str, Node], root: str) -> list[str]:
    order = [root]
    index = 0
    while index < len(order):
        node = nodes[order[index]]
        for child in node.children:
            nodes[child].depth = node.depth + 1
            order.append(child)
        index += 1
    return order


def place_by_cell(tree: Tree, containers: int) -> dict[str, int]:
    """Container index of every node: the core in 0, each cell's subtree together.

    Cells (the core's children) go round-robin over the containers, so a cell's
    reports, instructions and negotiations never leave its container.
    """
    placement = {tree.root: 0}
    for index, cell in enumerate(tree.nodes[tree.root].children):
        stack = [cell]
        while stack:
            eid = stack.pop()
            placement[eid] = index % containers
            stack.extend(tree.nodes[eid].children)
    return placement

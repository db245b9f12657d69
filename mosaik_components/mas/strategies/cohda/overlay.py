"""Overlay topologies for COHDA: who talks to whom inside one negotiation.

The default is a connected small-world ring (Watts-Strogatz: a ring where every
agent knows its ``k`` nearest agents, each edge rewired with probability ``p``),
seeded, so the same seed gives the same overlay. Graphs are networkx graphs, the
format of mango's topology helpers (:func:`mango.graph_topology`).
"""

from __future__ import annotations

import networkx as nx

__all__ = ["small_world", "neighbour_lists"]


def small_world(agents: int, k: int = 4, p: float = 0.1, seed: int = 0) -> nx.Graph:
    """A connected small-world ring over ``0..agents-1`` (complete when ``agents <= k+1``)."""
    if agents < 1:
        raise ValueError(f"an overlay needs at least one agent, got agents={agents!r}")
    if k < 2 or not 0.0 <= p <= 1.0:
        raise ValueError(f"small_world needs k >= 2 and 0 <= p <= 1, got k={k!r}, p={p!r}")
    if agents <= k + 1:
        return nx.complete_graph(agents)
    return nx.connected_watts_strogatz_graph(agents, k, p, tries=1000, seed=seed)


def neighbour_lists(graph: nx.Graph) -> list[list[int]]:
    """Sorted neighbours of every node ``0..n-1``."""
    return [sorted(graph.neighbors(node)) for node in range(graph.number_of_nodes())]

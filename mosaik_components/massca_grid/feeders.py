"""Split a radial distribution grid into its feeders by topology (never by names).

The *substation* is everything connected to the external grid's bus(es) without lines:
the high-voltage buses, the transformers and the busbars they feed (bus-bus switches
included). Each *feeder* is a connected component of the remaining buses through
in-service lines, closed switches and downstream transformers (e.g. MV/LV), which pandapower's
:func:`~pandapower.topology.create_nxgraph` gives with ``respect_switches=True``; open
switches (the normally open points between feeders) separate them. A component that no
line joins to the substation is unsupplied and not a feeder.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import pandapower as pp
from pandapower.topology import create_nxgraph

__all__ = ["Sections", "find_sections"]


@dataclass(frozen=True)
class Sections:
    """A grid's topology split: substation buses, high-voltage buses, feeders.

    ``hv`` are the buses of the external grid's side of the substation transformers,
    ``substation`` those plus the transformers' low-voltage busbars, ``feeders`` the
    bus sets of the feeders ordered by their smallest bus index; ``unsupplied`` buses
    belong to neither.
    """

    hv: frozenset[int]
    substation: frozenset[int]
    feeders: tuple[frozenset[int], ...]
    unsupplied: frozenset[int]


def find_sections(net: pp.pandapowerNet) -> Sections:
    """Split ``net`` (see the module docstring); no external grid is an error."""
    slack = {int(b) for b in net.ext_grid.bus[net.ext_grid.in_service]}
    if not slack:
        raise ValueError("the network has no in-service external grid")
    switches_only = create_nxgraph(net, respect_switches=True, include_lines=False,
                                   include_trafos=False, include_trafo3ws=False,
                                   include_impedances=False)
    hv = _reachable(switches_only, slack)
    no_lines = create_nxgraph(net, respect_switches=True, include_lines=False,
                              include_impedances=False)
    substation = _reachable(no_lines, slack)
    full = create_nxgraph(net, respect_switches=True)
    rest = full.subgraph(set(net.bus.index[net.bus.in_service]) - substation)
    feeders = []
    unsupplied: set[int] = set()
    for component in nx.connected_components(rest):
        buses = frozenset(int(b) for b in component)
        touches = any(n in substation for b in buses for n in full.neighbors(b))
        if touches:
            feeders.append(buses)
        else:
            unsupplied |= buses
    feeders.sort(key=min)
    return Sections(frozenset(hv), frozenset(substation), tuple(feeders),
                    frozenset(unsupplied))


def _reachable(graph: nx.Graph, start: set[int]) -> set[int]:
    found: set[int] = set()
    for bus in start:
        if bus not in found:
            found |= {int(b) for b in nx.node_connected_component(graph, bus)}
    return found

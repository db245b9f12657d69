"""An optional low-voltage feeder for the neighbourhood (pandapower).

One 20/0.4 kV transformer (0.4 MVA, or 0.63 MVA above 60 houses) behind a 20 kV external
grid at 1.0 pu, and ``feeders`` radial NAYY 4x150 SE cables; house ``i`` hangs on feeder
``i % feeders``, 30 m after the previous house of that feeder. Each house bus carries
one column ``house`` naming the house, so nothing is inferred from names. The houses'
``P_load[MW]`` and ``P_gen[MW]`` go to their buses (mosaik-pandapower-2's bus inputs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["build_feeder", "SPAN_KM"]

#: Cable length between two neighbouring houses of a feeder, km.
SPAN_KM = 0.03


def build_feeder(houses: Sequence[str], feeders: int = 2) -> Any:
    """The feeder for ``houses`` (module docstring); returns a pandapower net."""
    import pandapower as pp

    if not houses:
        raise ValueError("build_feeder needs at least one house")
    if feeders < 1:
        raise ValueError(f"feeders must be >= 1, got {feeders}")
    net = pp.create_empty_network(name="neighbourhood feeder")
    net.bus["house"] = None
    mv = pp.create_bus(net, vn_kv=20.0, name="MV")
    lv = pp.create_bus(net, vn_kv=0.4, name="LV busbar")
    pp.create_ext_grid(net, mv, vm_pu=1.0, name="grid")
    trafo = "0.4 MVA 20/0.4 kV" if len(houses) <= 60 else "0.63 MVA 20/0.4 kV"
    pp.create_transformer(net, mv, lv, std_type=trafo, name="MV/LV")
    last = [lv] * feeders
    for i, house in enumerate(houses):
        feeder = i % feeders
        bus = pp.create_bus(net, vn_kv=0.4, name=f"house {house}")
        net.bus.loc[bus, "house"] = house
        pp.create_line(net, last[feeder], bus, length_km=SPAN_KM, std_type="NAYY 4x150 SE",
                       name=f"feeder {feeder} to house {house}")
        last[feeder] = bus
    return net

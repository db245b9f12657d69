"""Peer-to-peer neighbourhood scheduling of shiftable jobs (PySSMic/CoSSMic) for massca.

Households run jobs (dish washers, washing machines, EV charging, ...) that may start
anywhere within a window; PV owners' producer agents accept jobs when their optimised
schedule can serve them from their predicted production; consumers ask producers in
the order of a score that rewards accepting. The parts, one concern each:

* :mod:`.model` — houses, users, devices, jobs, predictions (validated);
  :mod:`.xmlio` — PySSMic's XML structure, read and written; :mod:`.synthetic` —
  seeded example neighbourhoods;
* :mod:`.energy` — energy per interval of jobs and PV; :mod:`.settlement` — PV vs grid;
* :mod:`.optimisation` — a producer's schedule: scipy L-BFGS-B/SLSQP/TNC under
  basin-hopping, a fast local search, the exact MILP (HiGHS), and the gap between them;
* :mod:`.protocol` — the negotiation as pure state machines; :mod:`.scores` — the
  scoreboard (JSON); :mod:`.market` — the protocol driven without agents;
* :mod:`.messages`, :mod:`.transport`, :mod:`.agents`, :mod:`.runtime` — mango agents;
* :mod:`.simulators` — mosaik simulators; :mod:`.results`, :mod:`.plots` — outputs;
  :mod:`.grid` — an optional pandapower LV feeder.

Everything a user needs is importable from here.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from .market import Market, MarketStats
from .model import (
    Consumer,
    House,
    Job,
    LoadProfile,
    Neighbourhood,
    NeighbourhoodError,
    Prediction,
    Producer,
    Profile,
    User,
)
from .optimisation import (
    HEURISTICS,
    METHODS,
    Gap,
    Problem,
    Solution,
    SolverOptions,
    build_problem,
    gap,
    solve,
)
from .protocol import GRID, ConsumerNegotiation, Contract, ProducerBook
from .results import RunData, load_run
from .runtime import AgentSystem
from .scores import Scoreboard, ScoresError
from .synthetic import make_neighbourhood
from .xmlio import parse_neighbourhood, read_jobs, read_neighbourhood, to_xml, write_neighbourhood

__all__ = [
    "Consumer", "House", "Job", "LoadProfile", "Neighbourhood", "NeighbourhoodError",
    "Prediction", "Producer", "Profile", "User",
    "read_neighbourhood", "read_jobs", "parse_neighbourhood", "write_neighbourhood", "to_xml",
    "make_neighbourhood", "example_path",
    "METHODS", "HEURISTICS", "SolverOptions", "Problem", "Solution", "build_problem", "solve",
    "Gap", "gap",
    "GRID", "Contract", "ConsumerNegotiation", "ProducerBook", "Scoreboard", "ScoresError",
    "Market", "MarketStats", "AgentSystem", "RunData", "load_run",
]


def example_path() -> Path:
    """The shipped example neighbourhood (``data/example.xml``)."""
    return Path(str(files(__name__).joinpath("data", "example.xml")))

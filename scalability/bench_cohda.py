"""Benchmark: one COHDA negotiation with N agents as mango 2 roles in one container.

Each agent is a unit with a random band (seeded) and 11 options across it (plus its
baseline); the target is a random feasible net power. Measured: wall time of the
negotiation (start messages to detected termination), messages per agent, the
performance (negative deviation from target, MW) and the update cap hits. Each
size runs ``--repeat`` negotiations with fresh containers; prints a table::

    python scalability/bench_cohda.py --agents 10 100 1000 3000 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import numpy as np
from mango import activate

from mosaik_components.mas.model.flexibility import Flex, UnitState, net_band
from mosaik_components.mas.runtime.cohda_roles import create_cohda_agents
from mosaik_components.mas.runtime.transport import TransportConfig, create_container
from mosaik_components.mas.strategies.cohda import Objective, options_for


def problem(agents: int, seed: int) -> tuple[list[np.ndarray], float]:
    """Random units (seeded) and a feasible target between their bounds."""
    rng = np.random.default_rng(seed)
    states = []
    for _ in range(agents):
        p_max, c_max = rng.uniform(0, 2, size=2)
        states.append(UnitState(Flex(rng.uniform(0, p_max), 0.0, p_max),
                                Flex(rng.uniform(0, c_max), 0.0, c_max)))
    low = sum(net_band(s)[0] for s in states)
    high = sum(net_band(s)[1] for s in states)
    return [options_for(s, 11) for s in states], float(rng.uniform(low, high))


async def negotiate(agents: int, seed: int) -> dict[str, float]:
    """One negotiation in a fresh container; its measurements."""
    options, target = problem(agents, seed)
    container = create_container(TransportConfig())
    built = create_cohda_agents(container, options, seed=seed)
    async with activate(container):
        started = time.perf_counter()
        solution = await built.initiator.negotiate(Objective.of([target]), timeout=600)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "messages_per_agent": built.stats.sent / agents,
            "deviation_MW": -solution.performance, "capped": float(solution.capped)}


def main() -> None:
    """Run every size, print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"{'agents':>7} {'median s':>9} {'max s':>7} {'msgs/agent':>10} "
          f"{'max dev MW':>10} {'capped':>6}")
    for agents in args.agents:
        runs = [asyncio.run(negotiate(agents, args.seed + r)) for r in range(args.repeat)]
        seconds = [r["seconds"] for r in runs]
        print(f"{agents:7d} {statistics.median(seconds):9.3f} {max(seconds):7.3f} "
              f"{statistics.mean(r['messages_per_agent'] for r in runs):10.1f} "
              f"{max(r['deviation_MW'] for r in runs):10.4f} "
              f"{int(sum(r['capped'] for r in runs)):6d}", flush=True)


if __name__ == "__main__":
    main()

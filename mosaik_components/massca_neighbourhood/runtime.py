"""The neighbourhood's agent system: containers, agents, and the order of negotiations.

:class:`AgentSystem` creates the score keeper, one consumer agent per house and one
producer agent per PV unit in ``containers`` mango TCP containers (houses round-robin,
a house's consumer and producers together, the keeper in the first), and drives them:
:meth:`~AgentSystem.predict` hands a producer a new prediction, :meth:`~AgentSystem.negotiate`
runs one job's negotiation to its contract. Both return only when every message they
caused (reschedules included) was answered, so negotiations happen one after the other
in the order the caller gives: the same seed gives the same contracts and scores, and
they equal the agent-free :class:`~.market.Market`'s.

Usable on its own (``async with AgentSystem(...) as system``) or from the mosaik
simulator (:mod:`.simulators`), which awaits these coroutines inside mosaik's loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Self

from .agents import ConsumerAgent, Directory, ProducerAgent, ScoreKeeper
from .market import MarketStats, producer_rng, tie_order
from .model import Job, Neighbourhood, Prediction
from .optimisation import SolverOptions
from .protocol import GRID, Contract, ProducerBook
from .scores import Scoreboard
from .transport import Activation, MessageStats, Session, create_containers

__all__ = ["AgentSystem", "Clock"]


@dataclass
class Clock:
    """The simulated time the agents act at (seconds; set by the driver)."""

    now: int = 0

    def __call__(self) -> int:
        """The current time, s."""
        return self.now


class AgentSystem:
    """The agents of one neighbourhood run (module docstring)."""

    def __init__(self, neighbourhood: Neighbourhood, step: int, options: SolverOptions,
                 scoreboard: Scoreboard, seed: int = 0, max_grid_share: float = 0.0,
                 containers: int = 1, host: str = "127.0.0.1", allow_remote: bool = False,
                 timeout: float = 30.0) -> None:
        self.neighbourhood = neighbourhood
        self.step = step
        self.clock = Clock()
        self.stats = MarketStats()
        self.directory = Directory()
        producers = [p.id for _, p in neighbourhood.producers()]
        scoreboard.register(producers)
        self.scoreboard = scoreboard
        #: frames the containers dropped (forged, replayed, misdirected, junk)
        self.frames = MessageStats()
        #: the run's secret and peer table: its containers accept only each other
        self.session = Session()
        self.containers = create_containers(containers, host, allow_remote, self.frames,
                                            self.session)
        self.activation = Activation(self.containers)
        self.keeper = ScoreKeeper(self.directory, self.stats, timeout, scoreboard,
                                  tie_order(producers, seed))
        self.containers[0].register(self.keeper, suggested_aid="keeper")
        self.consumers: dict[str, ConsumerAgent] = {}
        self.producers: dict[str, ProducerAgent] = {}
        horizon = neighbourhood.horizon()
        index = 0
        for n, house in enumerate(neighbourhood.houses):
            container = self.containers[n % len(self.containers)]
            consumer = ConsumerAgent(self.directory, self.stats, timeout, house.id)
            container.register(consumer, suggested_aid=f"consumer-{house.id}")
            self.consumers[house.id] = consumer
            for producer in house.producers():
                book = ProducerBook(producer.id, step, horizon, options, max_grid_share,
                                    producer_rng(seed, index))
                index += 1
                agent = ProducerAgent(self.directory, self.stats, timeout, book, self.clock)
                container.register(agent, suggested_aid=f"producer-{producer.id}")
                self.producers[producer.id] = agent

    async def start(self) -> None:
        """Start the containers; the directory learns the agents' addresses."""
        await self.activation.start()
        self.directory.add("keeper", "keeper", self.keeper.addr)
        for house, consumer in self.consumers.items():
            self.directory.add("consumer", house, consumer.addr)
        for producer, agent in self.producers.items():
            self.directory.add("producer", producer, agent.addr)

    async def stop(self) -> None:
        """Stop the agents and close the sockets (safe to call twice)."""
        await self.activation.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()

    async def predict(self, producer: str, prediction: Prediction, now: int) -> None:
        """Producer ``producer`` learns ``prediction`` at ``now``; waits for its reschedules."""
        self.clock.now = now
        agent = self.producers[producer]
        agent.learn(prediction, now)
        await agent.settled()

    async def negotiate(self, job: Job, now: int) -> Contract:
        """Negotiate ``job`` at ``now``; waits for every reschedule it caused."""
        self.clock.now = now
        contract = await self.consumers[job.house].negotiate(job, self.clock)
        if contract.producer == GRID:
            self.stats.grid_contracts += 1
        for agent in self.producers.values():
            if agent.unsettled:
                await agent.settled()
        return contract

    @property
    def rejected(self) -> int:
        """Messages refused: frames the containers dropped plus what the agents refused."""
        return self.frames.rejected + self.stats.rejected

    def contracts(self) -> dict[str, Contract]:
        """The current contract of every negotiated job."""
        return {j: c for consumer in self.consumers.values()
                for j, c in consumer.contracts.items()}

    def changes(self) -> dict[str, list[Contract]]:
        """Per house, the contracts made or moved since the last call."""
        return {house: changed for house, consumer in self.consumers.items()
                if (changed := consumer.take_changes())}

"""The pure protocol: score moves, the consumer's queue, the producer's exact decisions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mosaik_components.massca_neighbourhood import (
    Market,
    Scoreboard,
    ScoresError,
    SolverOptions,
    make_neighbourhood,
)
from mosaik_components.massca_neighbourhood.model import Job
from mosaik_components.massca_neighbourhood.optimisation import JobSpec, solve_milp
from mosaik_components.massca_neighbourhood.protocol import (
    GRID,
    Ask,
    ConsumerNegotiation,
    Fallback,
    ProducerBook,
)

from .helpers import flat_load, flat_prediction


def job(earliest: int = 3600, latest: int = 7200) -> Job:
    return Job("1:5:1", "1", "5", 0, earliest, latest, "t", flat_load(30, 1.0))


def test_a_producer_gets_minus_one_for_accepting_and_plus_one_for_declining():
    board = Scoreboard("n")
    board.register(["a", "b", "c"])
    assert board.scores == {"a": 10, "b": 10, "c": 10}
    negotiation = ConsumerNegotiation(job(), board.ranking(["a", "b", "c"], {"a": 2, "b": 0,
                                                                              "c": 1}))
    asked = []
    for answer in (False, False, True):
        move = negotiation.next(now=0)
        assert isinstance(move, Ask)
        asked.append(move.producer)
        change = negotiation.answer(move.producer, answer, 3600 if answer else None, now=0)
        (board.accepted if change.delta < 0 else board.declined)(change.producer)
    assert asked == ["b", "c", "a"]  # equal scores: in the tie order
    assert board.scores == {"a": 9, "b": 11, "c": 11}
    assert negotiation.contract.producer == "a" and negotiation.contract.declines == 2
    assert board.ranking(["a", "b", "c"], {"a": 2, "b": 0, "c": 1}) == ["a", "b", "c"]


def test_a_job_no_producer_takes_runs_from_the_grid_at_its_latest_start():
    negotiation = ConsumerNegotiation(job(), ["a"])
    assert negotiation.next(0) == Ask("a")
    negotiation.answer("a", False, None, 0)
    assert negotiation.next(0) == Fallback(7200)
    assert negotiation.contract.producer == GRID and negotiation.contract.start == 7200


def test_answers_are_checked():
    negotiation = ConsumerNegotiation(job(), ["a", "b"])
    negotiation.next(0)
    with pytest.raises(ValueError, match="answer from 'b', but 'a' was asked"):
        negotiation.answer("b", True, 3600, 0)
    with pytest.raises(ValueError, match="accepted with start 100 outside"):
        negotiation.answer("a", True, 100, 0)


def test_scores_persist_as_json_per_neighbourhood(tmp_path: Path):
    board = Scoreboard("n", {"a": 7})
    board.save(tmp_path / "s.json")
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["neighbourhood"] == "n" and data["scores"] == {"a": 7}
    assert Scoreboard.load(tmp_path / "s.json", "n") == board
    assert Scoreboard.load(tmp_path / "missing.json", "n") == Scoreboard("n")
    with pytest.raises(ScoresError, match="scores of neighbourhood 'n', not 'm'"):
        Scoreboard.load(tmp_path / "s.json", "m")
    (tmp_path / "s.json").write_text(json.dumps({**data, "scores": {"a": "7"}}))
    with pytest.raises(ScoresError, match="score of producer 'a' must be an integer, got '7'"):
        Scoreboard.load(tmp_path / "s.json", "n")


def book(max_grid_share: float = 0.0) -> ProducerBook:
    producer = ProducerBook("p", 900, 86400, SolverOptions(method="milp"), max_grid_share,
                            np.random.default_rng(0))
    producer.learn(flat_prediction(0, 8 * 3600, 16 * 3600, 2.0), 0)  # 2 kW, 8-16 h
    return producer


def spec(name: str, earliest: float, latest: float, kw: float, minutes: int = 60) -> JobSpec:
    return JobSpec(name, int(earliest * 3600), int(latest * 3600), flat_load(minutes, kw))


def test_a_producer_accepts_what_its_pv_covers_and_moves_jobs_to_make_room():
    producer = book()
    first = producer.request(spec("1:1:1", 8, 15, 1.5), "1", 0)
    assert first.accepted and first.solution is None  # fits as it is
    second = producer.request(spec("2:1:1", 8, 8, 1.5), "2", 0)  # only 8:00 works for it
    if first.start == 8 * 3600:
        assert second.accepted and [m.job for m in second.moved] == ["1:1:1"]
    assert producer.request(spec("3:1:1", 18, 20, 0.5), "3", 0).accepted is False  # no sun
    assert producer.request(spec("4:1:1", 9, 15, 2.5), "4", 0).accepted is False  # too big
    assert producer.request(spec("4:1:2", 9, 15, 2.5), "4", 0).solution is None   # said at once
    assert book(max_grid_share=0.3).request(spec("4:1:3", 9, 15, 2.5), "4", 0).accepted


def test_every_producer_decision_is_what_the_full_milp_would_decide(monkeypatch):
    """The shortcuts (insertion, too little PV, nothing to move, energetic bound) and the
    restriction to the new job's group decide exactly as one MILP over all the jobs."""
    original = ProducerBook.request
    checked = []

    def checking(self, spec, house, now):
        movable = [b.spec for b in self.bookings.values() if b.start >= now]
        problem = self._problem([*movable, spec], now)
        current = [problem.jobs[i].index_of(self.bookings[s.id].start)
                   for i, s in enumerate(movable)]
        before = problem.grid([*current, 0], skip=len(movable))
        allowed = self.max_grid_share * spec.energy + 1e-9 * max(1.0, spec.energy)
        margin = solve_milp(problem).grid_wh - before - allowed
        decision = original(self, spec, house, now)
        if abs(margin) > 1e-6:
            assert decision.accepted == (margin < 0), (spec.id, margin)
            checked.append((decision.accepted, decision.solution is not None))
        return decision

    monkeypatch.setattr(ProducerBook, "request", checking)
    nb = make_neighbourhood(houses=6, jobs=24, pv_share=0.5, seed=3)
    for share in (0.0, 0.4):
        Market(nb, 900, SolverOptions(method="milp"), Scoreboard(nb.id), seed=1,
               max_grid_share=share).run()
    # accepted and declined, with and without optimising
    assert {(a, b) for a, b in checked} == {(True, False), (True, True), (False, False),
                                            (False, True)}

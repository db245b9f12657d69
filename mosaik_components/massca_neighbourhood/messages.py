"""The messages the neighbourhood's agents exchange (mango ``@json_serializable``).

Plain data only (str, int, float, bool, lists), so mango's JSON codec carries them
between containers (sealed in an authenticated envelope, :mod:`.transport`); nothing is
pickled. The sender of every message is the identity the receiving container
authenticated, checked against the receiver's directory, never taken from the content.

==================  =====================  ==========================================
message             from -> to             meaning
==================  =====================  ==========================================
RankingRequest      consumer -> keeper     a job is announced: which producers, in order?
Ranking             keeper -> consumer     the producers by score (lowest first)
JobRequest          consumer -> producer   serve this job? (window and load profile)
JobAnswer           producer -> consumer   accepted (with the start) or declined
Outcomes            consumer -> keeper     who accepted/declined: move their scores
OutcomesRecorded    keeper -> consumer     scores moved
RescheduleJob       producer -> consumer   an accepted job moves to a new start
RescheduleAck       consumer -> producer   noted
==================  =====================  ==========================================
"""

from __future__ import annotations

from dataclasses import dataclass

from mango import json_serializable

__all__ = ["RankingRequest", "Ranking", "JobRequest", "JobAnswer", "Outcomes",
           "OutcomesRecorded", "RescheduleJob", "RescheduleAck", "MESSAGE_TYPES"]


@json_serializable
@dataclass(frozen=True, slots=True)
class RankingRequest:
    """A consumer asks the score keeper for the ranking to use for ``job``."""

    job: str


@json_serializable
@dataclass(frozen=True, slots=True)
class Ranking:
    """The producers for ``job``, best score first."""

    job: str
    producers: list[str]


@json_serializable
@dataclass(frozen=True, slots=True)
class JobRequest:
    """A consumer asks: serve job ``job`` of ``house``, started in ``[earliest, latest]``.

    ``times``/``energy`` are its cumulative load profile (s from its start, Wh).
    """

    job: str
    house: str
    earliest: int
    latest: int
    times: list[int]
    energy: list[float]


@json_serializable
@dataclass(frozen=True, slots=True)
class JobAnswer:
    """A producer's answer; ``start`` is set when it accepts."""

    job: str
    accepted: bool
    start: int | None


@json_serializable
@dataclass(frozen=True, slots=True)
class Outcomes:
    """The answers a job got, in order: ``[producer, accepted]`` pairs."""

    job: str
    answers: list[list[str | bool]]


@json_serializable
@dataclass(frozen=True, slots=True)
class OutcomesRecorded:
    """The score keeper applied the outcomes of ``job``."""

    job: str


@json_serializable
@dataclass(frozen=True, slots=True)
class RescheduleJob:
    """The producer serving ``job`` moved it to ``start``."""

    job: str
    start: int


@json_serializable
@dataclass(frozen=True, slots=True)
class RescheduleAck:
    """The consumer noted the new start of ``job``."""

    job: str


MESSAGE_TYPES = (RankingRequest, Ranking, JobRequest, JobAnswer, Outcomes, OutcomesRecorded,
                 RescheduleJob, RescheduleAck)

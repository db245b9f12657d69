"""Producer scores: the neighbourhood's scoreboard, persisted as JSON (never pickle).

PySSMic's rule: every producer starts at 10; it gets -1 when it accepts a job and +1
when it declines one, so a lower score is better; consumers ask producers in the order of
their scores, lowest first (ties broken by a seeded order). The scoreboard belongs to one
neighbourhood and persists between runs: :meth:`Scoreboard.save` writes

    {"format": "massca-neighbourhood-scores", "version": 1,
     "neighbourhood": "<id>", "scores": {"<producer id>": <int>, ...}}

and :meth:`Scoreboard.load` reads it back, refusing a file of another neighbourhood.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .model import PRODUCER_SCORE_START, NeighbourhoodError

__all__ = ["Scoreboard", "ScoresError", "ACCEPT_DELTA", "DECLINE_DELTA"]

#: Score change of a producer that accepts a job.
ACCEPT_DELTA = -1
#: Score change of a producer that declines a job.
DECLINE_DELTA = +1
FORMAT = "massca-neighbourhood-scores"


class ScoresError(NeighbourhoodError):
    """A scores file that cannot be used (the message names the file and the field)."""


@dataclass
class Scoreboard:
    """Scores of one neighbourhood's producers (lower is better)."""

    neighbourhood: str
    scores: dict[str, int] = field(default_factory=dict)

    def register(self, producers: Iterable[str]) -> None:
        """Give producers not on the board the starting score."""
        for producer in producers:
            self.scores.setdefault(producer, PRODUCER_SCORE_START)

    def accepted(self, producer: str) -> None:
        """``producer`` accepted a job: -1."""
        self.scores[producer] += ACCEPT_DELTA

    def declined(self, producer: str) -> None:
        """``producer`` declined a job: +1."""
        self.scores[producer] += DECLINE_DELTA

    def ranking(self, producers: Iterable[str], tie: Mapping[str, int]) -> list[str]:
        """``producers`` by score, lowest first; equal scores in the order of ``tie``."""
        return sorted(producers, key=lambda p: (self.scores[p], tie[p]))

    def to_dict(self) -> dict[str, object]:
        """The JSON document (module docstring)."""
        return {"format": FORMAT, "version": 1, "neighbourhood": self.neighbourhood,
                "scores": dict(sorted(self.scores.items()))}

    def save(self, path: Path) -> None:
        """Write the JSON document (atomically: a temporary file, then a rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        tmp.replace(path)

    @classmethod
    def from_dict(cls, data: object, where: str = "scores") -> Scoreboard:
        """Validate a JSON document; errors name ``where`` and the field."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ScoresError(f"{where}: not a scores document (format must be {FORMAT!r})")
        if data.get("version") != 1:
            raise ScoresError(f"{where}: version must be 1, got {data.get('version')!r}")
        neighbourhood = data.get("neighbourhood")
        if not isinstance(neighbourhood, str):
            raise ScoresError(f"{where}: neighbourhood must be a string, got {neighbourhood!r}")
        scores = data.get("scores")
        if not isinstance(scores, dict):
            raise ScoresError(f"{where}: scores must be an object, got {scores!r}")
        for producer, score in scores.items():
            if isinstance(score, bool) or not isinstance(score, int):
                raise ScoresError(f"{where}: score of producer {producer!r} must be an integer, "
                                  f"got {score!r}")
        return cls(neighbourhood, dict(scores))

    @classmethod
    def load(cls, path: Path, neighbourhood: str) -> Scoreboard:
        """The board in ``path`` (a fresh one if the file does not exist)."""
        if not path.exists():
            return cls(neighbourhood)
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ScoresError(f"{path}: not JSON ({exc})") from None
        board = cls.from_dict(data, str(path))
        if board.neighbourhood != neighbourhood:
            raise ScoresError(f"{path}: scores of neighbourhood {board.neighbourhood!r}, not "
                              f"{neighbourhood!r}")
        return board

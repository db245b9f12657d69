"""Progress of a sweep with an ETA: a tqdm bar on a terminal, one line per point otherwise.

The ETA is the wall time per point finished in this session times the points left (so a
resumed sweep does not count the points of earlier sessions as instantly done). Lines
(for logs, e.g. ``docker-compose up``) look like
``sweep 1/1: 12/500 (1 failed) | 5x1#0 ok 10.9 s | elapsed 0:02:11, ETA 1:29:40``.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from typing import Any

__all__ = ["Progress", "format_eta"]


def format_eta(seconds: float | None) -> str:
    """``H:MM:SS`` (``?`` before the first point finished)."""
    return "?" if seconds is None else str(timedelta(seconds=round(seconds)))


class Progress:
    """Counts finished points and shows them with an ETA."""

    def __init__(self, total: int, done: int, label: str, quiet: bool) -> None:
        self.total, self.done, self.label = total, done, label
        self.quiet = quiet
        self.session = 0
        self.failed = 0
        self.started = time.monotonic()
        self.bar: Any = None
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, unit="run", desc=label)

    def eta(self) -> float | None:
        """Seconds left at this session's pace."""
        if self.session == 0:
            return None
        return (time.monotonic() - self.started) / self.session * (self.total - self.done)

    def point(self, point: tuple[int, int, int], ok: bool, detail: Any) -> None:
        """One point finished (``detail``: its run time, or its error)."""
        self.done += 1
        self.session += 1
        self.failed += not ok
        name = f"{point[0]}x{point[1]}#{point[2]}"
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(failed=self.failed, refresh=False)
            if not ok:
                self.bar.write(f"failed {name}: {detail}")
            return
        if self.quiet and ok:
            return
        what = f"ok {float(detail):.1f} s" if ok else f"failed: {detail}"
        elapsed = format_eta(time.monotonic() - self.started)
        print(f"{self.label}: {self.done}/{self.total} ({self.failed} failed) | {name} {what} "
              f"| elapsed {elapsed}, ETA {format_eta(self.eta())}", file=sys.stderr, flush=True)

    def close(self) -> None:
        """End the bar."""
        if self.bar is not None:
            self.bar.close()

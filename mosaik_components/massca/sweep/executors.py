"""Where the points of a sweep run: a local thread pool, or a Dask distributed cluster.

Both run each point through :func:`~.point.run_point` (its own supervisor and scenario
processes) and yield ``(point, outcome)`` as points finish; ``outcome`` is ``None`` for
a point stopped by :meth:`stop` (not a result: a restart runs it again). An exception
raised by a point (e.g. Dask's ``KilledWorker`` after a worker died three times on it)
becomes a failed row with that error: the sweep goes on.

* :class:`ThreadExecutor` (``--executor threads``, the default): ``--jobs`` points at once
  on this machine, no extra dependency.
* :class:`DaskExecutor` (``--executor dask``): a ``distributed.LocalCluster`` with
  ``--jobs`` single-threaded workers on loopback, or the cluster of an existing scheduler
  (``--scheduler tcp://HOST:PORT``; its workers need massca installed in the same
  version). A stop is passed to running tasks through a ``distributed.Event``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Protocol

from .point import POLL_S, Outcome, Point, failed_row, run_point

__all__ = ["DaskExecutor", "Executor", "ExecutorError", "ThreadExecutor", "dask_point"]

#: How long the Dask executor waits for a first worker, or without any worker [s].
WORKER_WAIT_S = 120.0


class ExecutorError(RuntimeError):
    """The executor cannot run points (no scheduler, no workers, version mismatch)."""


class Executor(Protocol):
    """Runs points; yields ``(point, outcome or None)`` as they finish."""

    def run(self, points: list[Point]) -> Iterator[tuple[Point, Outcome | None]]:
        """Run the points (in any order)."""

    def stop(self) -> None:
        """Stop: running points end unrecorded, queued ones never start."""

    def close(self) -> None:
        """Release threads, clients and clusters."""


def _failed(point: Point, options: dict[str, Any], exc: BaseException) -> Outcome:
    return failed_row(point, options["seed"] + point[2], f"{type(exc).__name__}: {exc}"), []


class ThreadExecutor:
    """``jobs`` points at once on this machine (threads waiting on processes)."""

    def __init__(self, jobs: int, options: dict[str, Any]) -> None:
        self.options = options
        self.pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="sweep")
        self.stopping = threading.Event()

    def run(self, points: list[Point]) -> Iterator[tuple[Point, Outcome | None]]:
        """Submit every point; yield them as they finish."""
        pending: dict[Future, Point] = {
            self.pool.submit(run_point, p, self.options, self.stopping.is_set): p
            for p in points}
        while pending:
            done, _ = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            if self.stopping.is_set():
                for future in pending:
                    future.cancel()
            for future in done:
                point = pending.pop(future)
                if future.cancelled():
                    continue
                try:
                    yield point, future.result()
                except Exception as exc:  # recorded as the point's error
                    yield point, _failed(point, self.options, exc)
            for future in [f for f in pending if f.cancelled()]:
                del pending[future]

    def stop(self) -> None:
        """Ask running points to stop; queued ones are cancelled."""
        self.stopping.set()

    def close(self) -> None:
        """Wait for the threads (their points have ended or been stopped)."""
        self.pool.shutdown(wait=True, cancel_futures=True)


def dask_point(point: Point, options: dict[str, Any], stop_event: str,
               version: str) -> Outcome | None:
    """The Dask task of one point: checks the worker's massca, then runs the point."""
    from distributed import Event

    from mosaik_components.massca import __version__

    if version != __version__:
        raise ExecutorError(f"this Dask worker has massca {__version__}, the sweep "
                            f"{version}: install the same version on every worker")
    event = Event(stop_event)
    return run_point(point, options, event.is_set)


class DaskExecutor:
    """Points as Dask tasks on a local cluster (default) or an existing scheduler."""

    def __init__(self, jobs: int, options: dict[str, Any], scheduler: str | None) -> None:
        from distributed import Event

        from mosaik_components.massca import __version__

        self.options = options
        self.version = __version__
        self.tag = uuid.uuid4().hex[:8]
        self.cluster: Any = None
        self.client: Any = None
        self.scratch: Path | None = None
        self.janitor: subprocess.Popen | None = None
        self.stopping = self.event_set = False
        try:
            self._connect(jobs, scheduler)
            self.address = self.client.scheduler.address
            self.event = Event(f"massca-sweep-stop-{self.tag}", client=self.client)
            self._wait_for_workers()
        except BaseException:
            self.close()
            raise

    def _connect(self, jobs: int, scheduler: str | None) -> None:
        """A client of the given scheduler, or of a new local cluster."""
        import dask
        from distributed import Client, LocalCluster

        if scheduler is not None:
            try:
                self.client = Client(scheduler, timeout=30)
            except (OSError, TimeoutError) as exc:
                raise ExecutorError(f"scheduler: cannot reach {scheduler!r}: {exc}") from None
            return
        self.scratch = Path(tempfile.mkdtemp(prefix="massca-sweep-dask-"))
        self.janitor = _start_janitor(self.scratch)
        # the workers inherit an ignored SIGINT: Ctrl-C stops the sweep, which then ends
        # the points and the cluster in order (no tracebacks from the workers)
        handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            with dask.config.set({"temporary-directory": str(self.scratch)}):
                self.cluster = LocalCluster(
                    n_workers=jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address=None, local_directory=str(self.scratch),
                    silence_logs=40)
        finally:
            signal.signal(signal.SIGINT, handler)
        self.client = Client(self.cluster)

    def _wait_for_workers(self) -> None:
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        except TimeoutError:
            raise ExecutorError(f"no Dask worker joined the scheduler {self.address} within "
                                f"{WORKER_WAIT_S:g} s") from None

    def run(self, points: list[Point]) -> Iterator[tuple[Point, Outcome | None]]:
        """Submit every point as a task; yield them as they finish."""
        from distributed import wait as dask_wait

        pending = {
            self.client.submit(dask_point, p, self.options, self.event.name, self.version,
                               key=f"massca-point-{p[0]}x{p[1]}#{p[2]}-{self.tag}",
                               pure=False, retries=0): p
            for p in points}
        no_workers_since: float | None = None
        last_check = 0.0
        while pending:
            try:
                done, _ = dask_wait(list(pending), timeout=POLL_S, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            if self.stopping and not self.event_set:
                self._signal_stop([f for f in pending if f not in done])
            for future in done:
                point = pending.pop(future)
                if future.status == "cancelled":
                    continue
                try:
                    yield point, future.result()
                except Exception as exc:  # e.g. KilledWorker: recorded, the sweep goes on
                    yield point, _failed(point, self.options, exc)
            for future in [f for f in pending if f.status == "cancelled"]:
                del pending[future]
            if time.monotonic() - last_check > 5:
                last_check = time.monotonic()
                no_workers_since = self._watch_workers(no_workers_since)

    def _watch_workers(self, since: float | None) -> float | None:
        """Raise when the cluster has had no worker for :data:`WORKER_WAIT_S`."""
        if self.client.nthreads():
            return None
        now = time.monotonic()
        if since is not None and now - since > WORKER_WAIT_S:
            raise ExecutorError(f"the Dask scheduler {self.address} has had no worker for "
                                f"{WORKER_WAIT_S:g} s")
        return since if since is not None else now

    def _signal_stop(self, queued: list[Any]) -> None:
        self.event_set = True
        try:
            self.event.set()
            self.client.cancel(queued)
        except Exception as exc:  # the scheduler may be gone already
            print(f"sweep: could not signal the Dask workers: {exc}", file=sys.stderr)

    def stop(self) -> None:
        """Tell running tasks to stop (they end their points); queued ones are cancelled.

        Safe in a signal handler: only sets a flag that :meth:`run` acts on.
        """
        self.stopping = True

    def close(self) -> None:
        """Close the client, and the local cluster and its scratch folder if ours."""
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
        if self.janitor is not None:
            self.janitor.terminate()
            self.janitor.wait()


def _start_janitor(folder: Path) -> subprocess.Popen:
    """A process that removes ``folder`` once this process is gone (even by SIGKILL)."""
    code = ("import os,shutil,sys,time\n"
            "parent=int(sys.argv[2])\n"
            "while os.getppid()==parent: time.sleep(0.5)\n"
            "time.sleep(2); shutil.rmtree(sys.argv[1], ignore_errors=True)\n")
    return subprocess.Popen([sys.executable, "-c", code, str(folder), str(os.getpid())],
                            stdin=subprocess.DEVNULL, start_new_session=True)


def make_executor(kind: str, jobs: int, options: dict[str, Any],
                  scheduler: str | None) -> Executor:
    """The executor of ``--executor`` (``threads`` or ``dask``)."""
    if kind == "dask":
        return DaskExecutor(jobs, options, scheduler)
    return ThreadExecutor(jobs, options)



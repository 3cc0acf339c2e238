"""Sweeps: the load points of one setting, planned and run one after another on one deployment.

`plan` turns a concurrency list or a rate list into load specs. `SweepRun` runs them in its own
thread: each point starts once the one before it is over; a point that fails, cannot start or
runs far past its planned length ends the sweep, and so does `cancel` (tear down, quit, ctrl+c).
Every point of a sweep is stored with one sweep id, so results show it as one curve.
`Engine.start_sweep` builds one for a configuration; the CLI and the TUI both use it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Generic, Protocol, TypeVar

from rnbench.core.errors import RnbenchError
from rnbench.core.loadgen.types import LoadSpec
from rnbench.results.record import RunRecord

WAIT_S = 0.2
"""How often a sweep checks whether its current point is over."""
GRACE_S = 60.0
"""How long past its planned length (warm-up + duration + request timeout) a point may run
before the sweep cancels it as stuck."""


def plan(concurrency: Sequence[int], rates: Sequence[float], base: LoadSpec) -> list[LoadSpec]:
    """One spec per point: one per rate (open loop, at most max(concurrency) in flight) when
    rates are given, else one per concurrency (closed loop); the rest comes from `base`."""
    if rates:
        inflight = max(concurrency)
        return [replace(base, concurrency=inflight, rate=r) for r in rates]
    return [replace(base, concurrency=c, rate=None) for c in concurrency]


def new_sweep_id() -> str:
    return uuid.uuid4().hex[:10]


class PointSnapshot(Protocol):
    @property
    def record(self) -> RunRecord | None: ...
    @property
    def error(self) -> str | None: ...


class PointRun(Protocol):
    """A test in progress, as the sweep follows it (`rnbench.core.engine.TestRun` fits)."""

    def snapshot(self) -> PointSnapshot: ...
    def cancel(self) -> None: ...
    @property
    def done(self) -> bool: ...


RunT = TypeVar("RunT", bound=PointRun)
"""The kind of test a sweep runs (the engine's `TestRun`, or a test fake)."""
PointRunT = TypeVar("PointRunT", bound=PointRun, covariant=True)
"""The same, for a point that is only read (so a point of a `TestRun` is a point of any
protocol `TestRun` fits)."""


@dataclass(frozen=True)
class SweepPoint(Generic[PointRunT]):
    """A point that has just started."""

    step: int
    """1-based position in the sweep."""
    steps: int
    """How many points the sweep has (1: a single test)."""
    spec: LoadSpec
    """The point's load."""
    sweep_id: str
    """Shared by every point of a sweep; empty for a single test."""
    run: PointRunT
    """The point's test in progress."""


def _ignore(_: object) -> None:
    return None


class SweepRun(Generic[RunT]):
    """Load points run one after another in a thread; `on_point` hears of each as it starts,
    `on_error` of a point that could not start (the sweep then ends)."""

    def __init__(
        self,
        start_point: Callable[[LoadSpec, str], RunT],
        specs: Sequence[LoadSpec],
        on_point: Callable[[SweepPoint[RunT]], object] | None = None,
        on_error: Callable[[BaseException], object] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        if not specs:
            raise ValueError("a sweep needs at least one load spec")
        self._start_point = start_point
        self._specs = tuple(specs)
        self._on_point = on_point or _ignore
        self._on_error = on_error or _ignore
        self._stop = stop or threading.Event()
        self.sweep_id = new_sweep_id() if len(self._specs) > 1 else ""
        self.runs: list[RunT] = []
        """The points started so far, in order."""
        self.error: BaseException | None = None
        """Why a point could not start, if one could not."""
        self._thread = threading.Thread(target=self._drive, name="sweep", daemon=True)

    def start(self) -> SweepRun[RunT]:
        self._thread.start()
        return self

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    @property
    def current(self) -> RunT | None:
        return self.runs[-1] if self.runs else None

    def cancel(self) -> None:
        """End the sweep: the current point is cancelled and no next point starts."""
        self._stop.set()
        if self.current is not None:
            self.current.cancel()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the sweep to end; False if `timeout` passed first."""
        self._thread.join(timeout)
        return self.done

    def records(self) -> list[RunRecord]:
        """The stored record of every point, once the sweep is over.

        Raises:
            RnbenchError: a point could not start or failed (the message says why).
        """
        if self.error is not None:
            if isinstance(self.error, RnbenchError):
                raise self.error
            raise RnbenchError(str(self.error)) from self.error
        found = []
        for run in self.runs:
            snapshot = run.snapshot()
            if snapshot.record is None:
                raise RnbenchError(snapshot.error or "the test failed")
            found.append(snapshot.record)
        return found

    def _drive(self) -> None:
        steps = len(self._specs)
        for step, spec in enumerate(self._specs, 1):
            if self._stop.is_set():
                return
            try:
                run = self._start_point(spec, self.sweep_id)
            except Exception as exc:  # noqa: BLE001 - reported through on_error and `error`
                self.error = exc
                self._on_error(exc)
                return
            self.runs.append(run)
            self._on_point(SweepPoint[RunT](step, steps, spec, self.sweep_id, run))
            if not self._finished(run, spec) or run.snapshot().record is None:
                return  # stopped, stuck, or the point failed: the sweep ends here

    def _finished(self, run: RunT, spec: LoadSpec) -> bool:
        """Wait until `run` is over; False when stopped or stuck (then it is cancelled)."""
        deadline = time.monotonic() + spec.warmup_s + spec.duration_s + spec.timeout_s + GRACE_S
        while not run.done:
            if self._stop.is_set() or time.monotonic() > deadline:
                run.cancel()
                return False
            self._stop.wait(WAIT_S)
        return True

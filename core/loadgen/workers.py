"""The worker threads of a load process: closed loop, and open loop with an arrival schedule.

Closed loop: each worker sends its next request as soon as the previous one returns, and a
request's latency runs from its actual send time.

Open loop: requests are due at intended times (constant spacing, or Poisson arrivals from a
seeded generator); a free worker claims the next due time, waits for it and sends. A request's
latency runs from its *intended* time, so time spent waiting for a free worker or behind a
stalled server is counted (the coordinated-omission correction of wrk2 and MLPerf LoadGen).
A request is late when no worker was free to take it on time: its intended time was already
more than `LATE_AFTER_NS` past when a worker claimed it (every worker was busy with earlier
requests, or the client fell behind its schedule). A worker that claims a request in time and
wakes a little late from its sleep does not make it late: that jitter is in the latency anyway,
and on a shared host it would turn "late" into noise.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

from rnbench.core.loadgen.recorder import CLIENT_ERROR, Recorder
from rnbench.core.loadgen.transport import CONNECTION, InvokeError, Invoker, Reply
from rnbench.core.loadgen.types import Arrival

LATE_AFTER_NS = 1_000_000
"""An open-loop request claimed by a worker more than 1 ms after its intended time is late."""
_LONG_WAIT_NS = 50_000_000
"""Waits longer than this use the stop event, so a stop interrupts them."""
BACKOFF_FIRST_S = 0.001
"""A worker's wait after its first connection failure in a row."""
BACKOFF_MAX_S = 0.25
"""The longest wait between connection attempts: a dead server gets ~4 tries/s per worker."""


class Backoff:
    """One worker's wait after connection failures: 1 ms, doubling up to 250 ms, reset by any
    answer from the server. Without it a worker spins on a dead server (tens of thousands of
    refused connections a second), which buries the run's real figures and burns the client."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop
        self._delay_s = 0.0

    def after(self, kind: str | None) -> None:
        """Wait after a request that ended with `kind` (None: success); a stop ends the wait."""
        if kind != CONNECTION:
            self._delay_s = 0.0
            return
        self._delay_s = min(max(self._delay_s * 2, BACKOFF_FIRST_S), BACKOFF_MAX_S)
        self._stop.wait(self._delay_s)


class Schedule:
    """Intended send times of one process's share of an open-loop run; thread-safe.

    Process `process` of `processes` sends `rate` requests per second. With constant spacing its
    times are offset by `process / total_rate`, so the processes' times interleave evenly.
    """

    def __init__(
        self,
        start_ns: int,
        rate: float,
        total_rate: float,
        arrival: Arrival,
        seed: int,
        process: int,
    ) -> None:
        self._lock = threading.Lock()
        self._interval_ns = 1e9 / rate
        self._arrival = arrival
        self._random = random.Random(seed * 1_000_003 + process)
        self._rate = rate
        offset = process * 1e9 / total_rate if arrival == "constant" else 0.0
        self._start_ns = start_ns + offset
        self._count = 0
        self._next_ns = self._start_ns

    def next(self) -> int:
        """The next intended send time (perf_counter_ns)."""
        with self._lock:
            if self._arrival == "constant":
                due = self._start_ns + self._count * self._interval_ns
                self._count += 1
            else:
                self._next_ns += self._random.expovariate(self._rate) * 1e9
                due = self._next_ns
        return int(due)


def _invoke(invoker: Invoker, body: bytes, recorder: Recorder) -> tuple[Reply | None, str | None]:
    """Send one request: (reply, None) on success, (None, error kind) on failure."""
    try:
        return invoker.invoke(body), None
    except InvokeError as exc:
        return None, exc.kind
    except Exception as exc:  # the client's own failure, never an endpoint error
        recorder.note_client_error(exc)
        return None, CLIENT_ERROR


def closed_loop(invoker: Invoker, body: bytes, recorder: Recorder, stop: threading.Event) -> None:
    """Send requests back to back until `stop` is set."""
    clock = time.perf_counter_ns
    record = recorder.record
    backoff = Backoff(stop)
    while not stop.is_set():
        sent = clock()
        reply, kind = _invoke(invoker, body, recorder)
        record(sent, clock(), reply, kind, False)
        backoff.after(kind)


def open_loop(
    invoker: Invoker,
    body: bytes,
    recorder: Recorder,
    stop: threading.Event,
    schedule: Schedule,
) -> None:
    """Send requests at the schedule's intended times until `stop` is set."""
    clock = time.perf_counter_ns
    record = recorder.record
    backoff = Backoff(stop)
    while not stop.is_set():
        due = schedule.next()
        wait_ns = due - clock()
        late = wait_ns < -LATE_AFTER_NS
        if wait_ns > _LONG_WAIT_NS:
            if stop.wait((wait_ns - _LONG_WAIT_NS) / 1e9):
                return
            wait_ns = due - clock()
        if wait_ns > 0:
            time.sleep(wait_ns / 1e9)
        reply, kind = _invoke(invoker, body, recorder)
        record(due, clock(), reply, kind, late)
        backoff.after(kind)


def guarded(
    loop: Callable[[], None], invoker: Invoker, recorder: Recorder, name: str
) -> Callable[[], None]:
    """Run `loop`; a bug that escapes it is reported as fatal instead of dying silently."""

    def run() -> None:
        try:
            loop()
        except BaseException as exc:  # noqa: BLE001 - reported to the parent as a crash
            recorder.fatal = f"{name} failed: {type(exc).__name__}: {exc}"
        finally:
            try:
                invoker.close()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail
                pass

    return run

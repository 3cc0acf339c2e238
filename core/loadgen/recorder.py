"""Per-process recording of request outcomes into one-second windows, in bounded memory.

Worker threads call `Recorder.record` once per request; the process's main thread `take`s the
windows that are complete and sends them to the parent as `Part`s. Every window holds one HDR
histogram for latency and one for the server's own time, plus counters, all behind one lock (a
short, uncontended critical section), so no counter is ever shared without a lock and nothing
grows with the number of requests.

Times are `time.perf_counter_ns()` values. On Linux, macOS and Windows that clock is
system-wide, so the parent's start time means the same instant in every load process, and the
windows of all processes share their boundaries.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from hdrh.histogram import HdrHistogram

from rnbench.core.loadgen.hist import encode_histogram, new_histogram, record_us
from rnbench.core.loadgen.transport import Reply
from rnbench.core.loadgen.types import LoadJob

# Indices into the shared control array (perf_counter_ns values; 0 means "not yet").
START = 0
"""When load starts (warm-up begins); set by the parent once every process is ready."""
MEASURE = 1
"""When measuring starts; windows are counted from here."""
STOP = 2
"""When measuring ends early (stability reached, or cancelled)."""
CONTROL_SIZE = 3

CLIENT_ERROR = "client_error"
"""A failure of the load generator's own code, never counted as an endpoint error."""


@dataclass
class _Acc:
    """One window's accumulation inside one process."""

    latency: HdrHistogram
    server: HdrHistogram
    ok: int = 0
    sum_us: int = 0
    late: int = 0
    server_count: int = 0
    batch_sum: int = 0
    batch_count: int = 0
    errors: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    """One process's share of one window, as sent to the parent."""

    process: int
    index: int
    end_ns: int
    """End of the window, ns after measuring started (shorter for a run's last window)."""
    ok: int
    sum_us: int
    """Exact sum of the successful requests' latencies (for an exact mean)."""
    errors: dict[str, int]
    late: int
    latency: str
    """Encoded latency histogram ("" when the window has no success)."""
    server: str
    """Encoded server-time histogram ("" when no reply reported one)."""
    cpu_s: float
    """CPU time (user + system) this process spent over the window."""
    batch_sum: int = 0
    """Sum of the server-reported batch sizes of the successes that reported one."""
    batch_count: int = 0
    """How many successes reported a batch size."""


class Recorder:
    """Windows of one load process; `record` is thread-safe."""

    def __init__(
        self, job: LoadJob, control: Sequence[int], warm_counts: Sequence[int] | None
    ) -> None:
        """`control` holds the run's start, measure and stop times; this process's count of
        warm-up requests goes to `warm_counts[job.process]` (when given)."""
        self._control = control
        self._warm_counts = warm_counts
        self._process = job.process
        self._window_ns = job.window_ns
        self._duration_ns = job.duration_ns
        self._highest_us = job.highest_us
        self._lock = threading.Lock()
        self._windows: dict[int, _Acc] = {}
        self._taken = 0
        self._warm = 0
        self._seen_client_errors: set[str] = set()
        self.notes: list[str] = []
        """One line per distinct client-side exception type, for the parent to log once."""
        self.fatal: str | None = None
        """Set when a worker thread died of a bug: the process reports a crash."""

    @property
    def warmup_requests(self) -> int:
        return self._warm

    def end_ns(self) -> int:
        """When measuring ends (0 while measuring has not been scheduled)."""
        measure = self._control[MEASURE]
        if measure == 0:
            return 0
        return self._control[STOP] or measure + self._duration_ns

    def record(
        self, sent_ns: int, done_ns: int, reply: Reply | None, kind: str | None, late: bool
    ) -> None:
        """Count one request that was due at `sent_ns` and finished at `done_ns`.

        `kind` is None for a success (with its `reply`), else the error kind. Requests that
        finish before measuring starts are warm-up; those that finish after it ends are not
        counted.
        """
        measure = self._control[MEASURE]
        if measure == 0 or done_ns < measure:
            with self._lock:
                self._warm += 1
                if self._warm_counts is not None:
                    self._warm_counts[self._process] = self._warm  # type: ignore[index]
            return
        if done_ns >= (self._control[STOP] or measure + self._duration_ns):
            return
        index = (done_ns - measure) // self._window_ns
        with self._lock:
            if index < self._taken:  # finished just before a boundary, recorded just after
                index = self._taken
            acc = self._windows.get(index)
            if acc is None:
                acc = self._windows[index] = self._new_acc()
            if late:
                acc.late += 1
            if kind is None:
                latency_us = (done_ns - sent_ns) // 1000
                acc.ok += 1
                acc.sum_us += latency_us
                record_us(acc.latency, latency_us)
                if reply is not None and reply.server_ms is not None:
                    acc.server_count += 1
                    record_us(acc.server, int(reply.server_ms * 1000.0))
                if reply is not None and reply.batch_size is not None:
                    acc.batch_count += 1
                    acc.batch_sum += reply.batch_size
            else:
                acc.errors[kind] = acc.errors.get(kind, 0) + 1

    def note_client_error(self, exc: BaseException) -> None:
        """Remember the first exception of each type raised by the client code itself."""
        name = type(exc).__name__
        with self._lock:
            if name not in self._seen_client_errors:
                self._seen_client_errors.add(name)
                note = f"load generator error (counted as {CLIENT_ERROR}): {name}: {exc}"
                self.notes.append(note)

    def take_notes(self) -> list[str]:
        with self._lock:
            notes, self.notes = self.notes, []
        return notes

    def take(self, upto: int, last_end_ns: int | None, cpu_s: float) -> list[Part]:
        """Parts for every window below index `upto` not yet taken (empty ones included).

        `last_end_ns` shortens the last of them (the run's final window); `cpu_s` is the process
        CPU spent since the previous take, attributed to the last window.
        """
        with self._lock:
            indices = range(self._taken, upto)
            accs = [self._windows.pop(i, None) for i in indices]
            self._taken = max(self._taken, upto)
        parts = []
        for n, (index, acc) in enumerate(zip(indices, accs, strict=True)):
            last = n == len(indices) - 1
            end_ns = (index + 1) * self._window_ns
            if last and last_end_ns is not None:
                end_ns = last_end_ns
            parts.append(self._part(index, end_ns, acc, cpu_s if last else 0.0))
        return parts

    def _part(self, index: int, end_ns: int, acc: _Acc | None, cpu_s: float) -> Part:
        if acc is None:
            return Part(self._process, index, end_ns, 0, 0, {}, 0, "", "", cpu_s)
        return Part(
            self._process,
            index,
            end_ns,
            acc.ok,
            acc.sum_us,
            acc.errors,
            acc.late,
            encode_histogram(acc.latency) if acc.ok else "",
            encode_histogram(acc.server) if acc.server_count else "",
            cpu_s,
            acc.batch_sum,
            acc.batch_count,
        )

    def _new_acc(self) -> _Acc:
        return _Acc(new_histogram(self._highest_us), new_histogram(self._highest_us))

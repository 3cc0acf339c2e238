"""Values the load generator takes and gives: the spec of a run, its windows and its summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rnbench.core.errors import RnbenchError
from rnbench.core.loadgen.transport.base import Target

Arrival = Literal["constant", "poisson"]


class LoadError(RnbenchError):
    """A load run failed: a load process crashed, or nothing could be measured."""

    errors: dict[str, int] = {}  # noqa: RUF012 - replaced per instance, never mutated
    """Failed requests by kind that the run counted before it failed (so they are stored)."""
    duration_s: float = 0.0
    """Measured seconds before it failed."""


@dataclass(frozen=True)
class LoadSpec:
    """How to load a target."""

    concurrency: int = 16
    """Closed loop: concurrent workers, each with one keep-alive connection.
    Open loop: the most requests in flight at once (the worker pool)."""
    duration_s: float = 60.0
    """Measured duration (or the maximum, when `stability_pct` is set)."""
    warmup_s: float = 5.0
    """Unmeasured load before measuring starts."""
    warmup_requests: int = 0
    """Unmeasured requests before measuring starts (in addition to `warmup_s`)."""
    rate: float | None = None
    """Open loop: intended requests per second. None means closed loop."""
    arrival: Arrival = "constant"
    """Open loop: constant spacing or Poisson arrivals."""
    timeout_s: float = 30.0
    """Per-request timeout; a request past it counts as a `timeout` error."""
    max_error_pct: float = 5.0
    """The largest share of failed requests (percent of all sent) a run may have and still be
    `ok`; above it the run is `degraded` (see `rnbench.core.run.record.run_status`)."""
    processes: int = 0
    """Load-generator processes; 0 picks a number from `concurrency`."""
    window_s: float = 1.0
    """Length of the windows streamed while the run goes."""
    stability_pct: float | None = None
    """When set, stop early once throughput and p99 of the last 3 windows agree within this
    percentage (after `min_duration_s` and `min_requests`); else run the full duration."""
    stability_window_s: float = 5.0
    """Length of a stability window."""
    min_duration_s: float = 0.0
    """Stability: measure at least this long before stopping early."""
    min_requests: int = 0
    """Stability: measure at least this many successful requests before stopping early."""
    seed: int = 1
    """Open loop with Poisson arrivals: seed of the arrival times (runs are reproducible)."""
    workers: int = 0
    """Locust workers started on this machine (`--workers`); 0 runs local load processes."""
    remote_workers: int = 0
    """Locust workers on other machines (`rnbench worker --master`) the master waits for."""
    master_port: int = 5557
    """Port of the Locust master when remote workers join (Locust's default)."""

    @property
    def distributed(self) -> bool:
        """Whether Locust's master and workers send the load."""
        return self.workers + self.remote_workers > 0

    @property
    def mode(self) -> Literal["closed", "open"]:
        return "closed" if self.rate is None else "open"


@dataclass(frozen=True)
class LoadJob:
    """One load process's share of a run; picklable, as it is sent to a `spawn` process.

    The times a run starts, starts measuring and stops are not in it: the parent decides them
    while the run goes and shares them through the control array (see `recorder`).
    """

    target: Target
    """Where requests go."""
    body: bytes
    """The body of every request."""
    spec: LoadSpec
    """The whole run's spec (closed or open loop, durations, timeouts)."""
    process: int
    """Index of this load process, from 0."""
    workers: int
    """Worker threads in this process, each with its own connection."""
    highest_us: int
    """The largest latency the histograms record, in microseconds."""

    @property
    def window_ns(self) -> int:
        return int(self.spec.window_s * 1e9)

    @property
    def duration_ns(self) -> int:
        """The longest measured duration."""
        return int(self.spec.duration_s * 1e9)


@dataclass(frozen=True)
class Window:
    """Statistics of one measurement window (one second by default), streamed while running."""

    index: int
    elapsed_s: float
    """End of the window, seconds since measuring started."""
    requests: int
    """Successful requests completed in the window."""
    errors: Mapping[str, int]
    """Failed requests in the window, by kind."""
    tps: float
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    histogram: str = ""
    """The window's latency HDR histogram, encoded (see `decode_histogram`)."""
    late_requests: int = 0
    """Open loop: requests in the window that left later than their intended time."""
    length_s: float = 1.0
    """Seconds the window covers (the window length; the last one of a run may be shorter)."""


RATE_SPAN_S = 5.0
"""Seconds a moving rate spans (`moving_rate`, `moving_rates`)."""


def moving_rates(windows: Sequence[Window], span_s: float = RATE_SPAN_S) -> list[float]:
    """At each window, the successful requests per second of the newest windows up to it that
    together span at most `span_s` seconds (that window at least; all of them, at the start).

    A server that batches completes whole batches: at 36 req/s in batches of 8, a one-second
    window holds 4 or 5 of them and reads 32 or 40, while five seconds hold 22 or 23 and read
    35.2 or 36.8. Each `Window.tps` stays the window's own rate, as stored and exported.
    """
    rates: list[float] = []
    first, requests, seconds = 0, 0, 0.0
    for window in windows:
        requests += window.requests
        seconds += window.length_s
        while first < len(rates) and seconds > span_s + 1e-9:
            requests -= windows[first].requests
            seconds -= windows[first].length_s
            first += 1
        rates.append(requests / seconds if seconds > 0 else 0.0)
    return rates


def moving_rate(windows: Sequence[Window], span_s: float = RATE_SPAN_S) -> tuple[float, int]:
    """(requests per second, requests) of the newest `windows` that together span at most
    `span_s` seconds (the last one at least; (0.0, 0) for none): `moving_rates`' last figure,
    without computing the ones before it."""
    requests, seconds = 0, 0.0
    for window in reversed(windows):
        if seconds > 0 and seconds + window.length_s > span_s + 1e-9:
            break
        requests += window.requests
        seconds += window.length_s
    return (requests / seconds if seconds > 0 else 0.0), requests


@dataclass(frozen=True)
class LoadSummary:
    """The whole measured part of a run."""

    mode: Literal["closed", "open"]
    concurrency: int
    rate: float | None
    duration_s: float
    """Measured seconds actually spent."""
    requests: int
    """Successful requests."""
    errors: Mapping[str, int]
    tps: float
    """Successful requests per second over the measured duration."""
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    server_p50_ms: float | None
    server_p99_ms: float | None
    littles_law_residual_pct: float | None
    """Closed loop: |concurrency - tps x mean latency| / concurrency, in percent."""
    client_cpu_ms_per_request: float
    """CPU the load generator spent per request: a saturated client shows here."""
    client_processes: int = 1
    """Load-generator processes that sent the requests (summed over machines for --workers)."""
    client_busy_pct: float | None = None
    """Mean CPU use of one load process over the measured time, in percent of one core."""
    late_requests: int = 0
    """Open loop: requests that could not be sent at their intended time."""
    stable: bool | None = None
    """Whether the stability criterion was met (None when not asked for)."""
    warmup_requests: int = 0
    windows: tuple[Window, ...] = field(default_factory=tuple)
    histogram: str = ""
    """The whole run's latency HDR histogram, encoded."""
    mean_batch_size: float | None = None
    """Mean server-reported batch size per successful request (None when none was reported)."""

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

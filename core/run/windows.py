"""The windows of a test in progress: each stored as it arrives, the recent ones kept to show,
and their latency histograms merged into the distribution of the whole measured run."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

from hdrh.histogram import HdrHistogram

from rnbench.core.loadgen import decode_histogram, latency_buckets
from rnbench.core.loadgen.hist import encode_histogram
from rnbench.core.loadgen.types import Window
from rnbench.results.store import RunStore, WindowRow

RECENT_WINDOWS = 600
"""How many windows a snapshot shows (ten minutes of one-second windows)."""


class WindowLog:
    """Windows of one run; `add` is called by the run's follower, the rest by any thread."""

    def __init__(self, store: RunStore, run_id: str) -> None:
        self._store = store
        self._run_id = run_id
        self._lock = threading.Lock()
        self._recent: deque[Window] = deque(maxlen=RECENT_WINDOWS)
        self._histogram: HdrHistogram | None = None

    def add(self, windows: Iterable[Window]) -> None:
        """Store each window (a crash loses at most the last one) and merge it in."""
        for window in windows:
            self._store.add_window(self._run_id, window_row(window))
            with self._lock:
                self._recent.append(window)
                if window.histogram:
                    latencies = decode_histogram(window.histogram)
                    if self._histogram is None:
                        self._histogram = latencies
                    else:
                        self._histogram.add(latencies)

    def recent(self) -> tuple[Window, ...]:
        """The most recent windows, oldest first."""
        with self._lock:
            return tuple(self._recent)

    def buckets(self) -> tuple[tuple[float, int], ...]:
        """Latency distribution of the run so far: (upper bound ms, count)."""
        with self._lock:
            encoded = encode_histogram(self._histogram) if self._histogram else ""
        return tuple(latency_buckets(encoded)) if encoded else ()


def window_row(window: Window) -> WindowRow:
    """The stored row of a window."""
    return WindowRow(
        index=window.index,
        elapsed_s=window.elapsed_s,
        requests=window.requests,
        errors=sum(window.errors.values()),
        tps=window.tps,
        mean_ms=window.mean_ms,
        p50_ms=window.p50_ms,
        p90_ms=window.p90_ms,
        p95_ms=window.p95_ms,
        p99_ms=window.p99_ms,
        max_ms=window.max_ms,
    )

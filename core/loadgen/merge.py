"""The parent's side of a run: merge the processes' window parts, judge stability, summarise.

A window is complete once every load process has sent its part (parts arrive in window order),
so each streamed `Window` covers the same wall-clock second in every process. The summary is
computed from the complete windows it includes, so its totals, its histogram and its windows
always agree.

Stability follows Triton perf_analyzer: consecutive stability windows (`stability_window_s`
long) are compared, and the run is stable when the throughput and the p99 of the last three
are each within +-`stability_pct` % of their mean; MLPerf LoadGen's minimum duration and
request count apply too. The summary covers the whole measured time, not only the last three.
"""

from __future__ import annotations

from collections import deque

from hdrh.histogram import HdrHistogram

from rnbench.core.loadgen.capacity import client_busy_pct
from rnbench.core.loadgen.hist import decode_histogram, encode_histogram, new_histogram, stats_ms
from rnbench.core.loadgen.recorder import Part
from rnbench.core.loadgen.types import LoadError, LoadSpec, LoadSummary, Window


def is_stable(points: list[tuple[float, float]], pct: float) -> bool:
    """Whether the last three (tps, p99) points each lie within +-pct % of their means."""
    if len(points) < 3:
        return False
    last = points[-3:]
    for values in ([p[0] for p in last], [p[1] for p in last]):
        mean = sum(values) / 3
        if mean <= 0 or any(abs(v - mean) > mean * pct / 100.0 for v in values):
            return False
    return True


class Merger:
    """Windows and totals of one run, fed with `Part`s in arrival order."""

    def __init__(self, spec: LoadSpec, processes: int, highest_us: int) -> None:
        self._spec = spec
        self._processes = processes
        self._highest_us = highest_us
        self._window_ns = int(spec.window_s * 1e9)
        self._pending: dict[int, list[Part]] = {}
        self._next = 0
        self._limit: int | None = None
        self.windows: list[Window] = []
        self._latency = new_histogram(highest_us)
        self._server = new_histogram(highest_us)
        self._ok = 0
        self._sum_us = 0
        self._errors: dict[str, int] = {}
        self._late = 0
        self._cpu_s = 0.0
        self._batch_sum = 0
        self._batch_count = 0
        self._end_ns = 0
        per = max(1, round(spec.stability_window_s / spec.window_s))
        self._per_stability_window = per
        self._group = new_histogram(highest_us)
        self._group_ok = 0
        self._points: deque[tuple[float, float]] = deque(maxlen=3)
        self.stable: bool | None = None if spec.stability_pct is None else False

    def add(self, part: Part) -> list[Window]:
        """Take one part; returns the windows it completed (usually none or one)."""
        self._pending.setdefault(part.index, []).append(part)
        done = []
        while len(self._pending.get(self._next, ())) == self._processes:
            parts = self._pending.pop(self._next)
            if self._limit is None or self._next <= self._limit:
                done.append(self._complete(self._next, parts))
            self._next += 1
        return done

    def stop_after(self, index: int) -> None:
        """Include no window after `index` (the run stopped there)."""
        self._limit = index

    def _complete(self, index: int, parts: list[Part]) -> Window:
        histogram = new_histogram(self._highest_us)
        ok = sum_us = late = 0
        errors: dict[str, int] = {}
        for part in parts:
            ok += part.ok
            sum_us += part.sum_us
            late += part.late
            self._cpu_s += part.cpu_s
            self._batch_sum += part.batch_sum
            self._batch_count += part.batch_count
            for kind, count in part.errors.items():
                errors[kind] = errors.get(kind, 0) + count
            if part.latency:
                histogram.add(decode_histogram(part.latency))
            if part.server:
                self._server.add(decode_histogram(part.server))
        end_ns = max(part.end_ns for part in parts)
        length_s = (end_ns - index * self._window_ns) / 1e9
        self._latency.add(histogram)
        self._ok += ok
        self._sum_us += sum_us
        self._late += late
        self._end_ns = end_ns
        for kind, count in errors.items():
            self._errors[kind] = self._errors.get(kind, 0) + count
        self._judge(index, histogram, ok)
        p50, p90, p95, p99, top = stats_ms(histogram)
        window = Window(
            index=index,
            elapsed_s=end_ns / 1e9,
            requests=ok,
            errors=errors,
            tps=ok / length_s if length_s > 0 else 0.0,
            mean_ms=sum_us / ok / 1000.0 if ok else 0.0,
            p50_ms=p50,
            p90_ms=p90,
            p95_ms=p95,
            p99_ms=p99,
            max_ms=top,
            histogram=encode_histogram(histogram) if ok else "",
            late_requests=late,
            length_s=length_s,
        )
        self.windows.append(window)
        return window

    def _judge(self, index: int, histogram: HdrHistogram, ok: int) -> None:
        spec = self._spec
        if spec.stability_pct is None or self.stable:
            return
        self._group.add(histogram)
        self._group_ok += ok
        if (index + 1) % self._per_stability_window:
            return
        seconds = self._per_stability_window * spec.window_s
        p99 = stats_ms(self._group)[3]
        self._points.append((self._group_ok / seconds, p99))
        self._group.reset()
        self._group_ok = 0
        if (
            self._end_ns / 1e9 >= spec.min_duration_s
            and self._ok >= spec.min_requests
            and is_stable(list(self._points), spec.stability_pct)
        ):
            self.stable = True
            self._limit = index

    def summary(self, concurrency: int, warmup_requests: int) -> LoadSummary:
        """The summary of every included window. Raises LoadError when nothing succeeded."""
        spec = self._spec
        duration_s = self._end_ns / 1e9
        if not self.windows:
            raise LoadError("the run stopped before measuring began")
        if self._ok == 0:
            errors = ", ".join(f"{k} {v}" for k, v in sorted(self._errors.items())) or "none"
            failure = LoadError(f"no request succeeded in {duration_s:.1f} s (errors: {errors})")
            failure.errors = dict(self._errors)
            failure.duration_s = duration_s
            raise failure
        tps = self._ok / duration_s
        mean_ms = self._sum_us / self._ok / 1000.0
        p50, p90, p95, p99, top = stats_ms(self._latency)
        residual = None
        if spec.rate is None:
            residual = abs(concurrency - tps * mean_ms / 1000.0) / concurrency * 100.0
        server_p50 = server_p99 = None
        if self._server.get_total_count():
            server_p50, _, _, server_p99, _ = stats_ms(self._server)
        completed = self._ok + sum(self._errors.values())
        return LoadSummary(
            mode=spec.mode,
            concurrency=concurrency,
            rate=spec.rate,
            duration_s=duration_s,
            requests=self._ok,
            errors=dict(self._errors),
            tps=tps,
            mean_ms=mean_ms,
            p50_ms=p50,
            p90_ms=p90,
            p95_ms=p95,
            p99_ms=p99,
            max_ms=top,
            server_p50_ms=server_p50,
            server_p99_ms=server_p99,
            littles_law_residual_pct=residual,
            client_cpu_ms_per_request=self._cpu_s * 1000.0 / completed,
            client_processes=self._processes,
            client_busy_pct=client_busy_pct(self._cpu_s, duration_s, self._processes),
            late_requests=self._late,
            stable=self.stable,
            warmup_requests=warmup_requests,
            windows=tuple(self.windows),
            histogram=encode_histogram(self._latency),
            mean_batch_size=self._batch_sum / self._batch_count if self._batch_count else None,
        )

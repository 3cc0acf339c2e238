"""The load generator's parts in-process: histograms, recording, schedules, stability, memory."""

from __future__ import annotations

import os
import threading
import time
import tracemalloc

import pytest
from fake_servers import MemoryInvoker

from rnbench.core.errors import RnbenchError
from rnbench.core.loadgen import LoadSpec, decode_histogram, latency_buckets, plan_processes
from rnbench.core.loadgen.hist import encode_histogram, new_histogram, record_us
from rnbench.core.loadgen.merge import Merger, is_stable
from rnbench.core.loadgen.recorder import Recorder
from rnbench.core.loadgen.transport import HttpTarget, Reply
from rnbench.core.loadgen.types import LoadJob, Window, moving_rate, moving_rates
from rnbench.core.loadgen.workers import Schedule, closed_loop

S = 1_000_000_000


def test_latency_buckets_cover_every_recorded_value() -> None:
    histogram = new_histogram(60_000_000)
    for value_us in [1_000] * 50 + [10_000] * 30 + [200_000] * 20:
        record_us(histogram, value_us)
    buckets = latency_buckets(encode_histogram(histogram), buckets=12)
    assert len(buckets) == 12
    assert sum(count for _, count in buckets) == 100
    bounds = [bound for bound, _ in buckets]
    assert bounds == sorted(bounds) and bounds[-1] == pytest.approx(200.0, rel=1e-3)
    assert buckets[0][1] == 50 and buckets[-1][1] == 20
    assert latency_buckets(encode_histogram(new_histogram(1000))) == []
    assert latency_buckets("") == []  # a window without a success has no histogram text


def test_bad_histogram_text_is_a_one_line_error() -> None:
    with pytest.raises(RnbenchError, match="histogram"):
        decode_histogram("not a histogram")
    with pytest.raises(RnbenchError, match="buckets"):
        latency_buckets(encode_histogram(new_histogram(1000)), buckets=0)


def test_values_past_the_range_are_clamped_not_dropped() -> None:
    histogram = new_histogram(1_000_000)
    record_us(histogram, 0)
    record_us(histogram, 10**12)
    assert histogram.get_total_count() == 2
    assert histogram.get_max_value() >= 999_000


def test_stability_rule_is_three_windows_within_the_percentage() -> None:
    assert not is_stable([(100, 50), (100, 50)], 10)
    assert is_stable([(10, 500), (100, 50), (105, 52), (95, 49)], 10)
    assert not is_stable([(100, 50), (125, 50), (100, 50)], 10)  # tps 125 is 15 % over the mean
    assert not is_stable([(100, 50), (100, 80), (100, 50)], 10)  # p99 swings
    assert not is_stable([(0, 0), (0, 0), (0, 0)], 10)


def test_process_plan_uses_every_cpu_in_auto_mode() -> None:
    cpus = os.cpu_count() or 1
    assert len(plan_processes(LoadSpec(concurrency=16))) == min(cpus, 16)
    assert sum(plan_processes(LoadSpec(concurrency=16))) == 16
    assert len(plan_processes(LoadSpec(concurrency=256))) == cpus
    assert plan_processes(LoadSpec(concurrency=1)) == [1]
    assert plan_processes(LoadSpec(concurrency=5, processes=2)) == [3, 2]
    assert plan_processes(LoadSpec(concurrency=2, processes=8)) == [1, 1]


def test_constant_schedule_interleaves_processes_evenly() -> None:
    first = Schedule(0, 50.0, 100.0, "constant", 1, process=0)
    second = Schedule(0, 50.0, 100.0, "constant", 1, process=1)
    times = sorted([first.next() for _ in range(5)] + [second.next() for _ in range(5)])
    assert times == [i * 10_000_000 for i in range(10)]


def test_poisson_schedule_is_seeded_and_keeps_its_mean_rate() -> None:
    def times(seed: int) -> list[int]:
        schedule = Schedule(0, 100.0, 100.0, "poisson", seed, process=0)
        return [schedule.next() for _ in range(5000)]

    assert times(7) == times(7) and times(7) != times(8)
    assert times(7)[-1] / S == pytest.approx(50.0, rel=0.05)
    gaps = [b - a for a, b in zip(times(7), times(7)[1:], strict=False)]
    assert min(gaps) < 1_000_000 < 30_000_000 < max(gaps)  # exponential, not evenly spaced


def _recorder(measure: int, duration_ns: int = 10 * S, window_ns: int = S) -> Recorder:
    spec = LoadSpec(duration_s=duration_ns / S, window_s=window_ns / S)
    job = LoadJob(HttpTarget("127.0.0.1", 9), b"", spec, 0, 1, 60_000_000)
    assert (job.window_ns, job.duration_ns) == (window_ns, duration_ns)
    return Recorder(job, [1, measure, 0], [0])


def test_recorder_splits_warmup_windows_and_end() -> None:
    recorder = _recorder(measure=10 * S, duration_ns=3 * S)
    recorder.record(9 * S, 9 * S + 5_000_000, None, None, False)  # warm-up
    recorder.record(10 * S, 10 * S + 5_000_000, Reply(200, b"", 4.0, 3), None, False)  # window 0
    recorder.record(11 * S, 12 * S + 5_000_000, None, "timeout", True)  # window 2, late
    recorder.record(12 * S, 13 * S + 1, None, None, False)  # after the end: not counted
    assert recorder.warmup_requests == 1
    parts = recorder.take(3, 3 * S, 0.25)
    assert [(p.index, p.ok, p.errors, p.late) for p in parts] == [
        (0, 1, {}, 0),
        (1, 0, {}, 0),
        (2, 0, {"timeout": 1}, 1),
    ]
    assert parts[0].sum_us == 5_000 and parts[0].server and parts[2].cpu_s == 0.25
    assert (parts[0].batch_sum, parts[0].batch_count) == (3, 1)  # the server's batch size
    # A request recorded after its window was taken lands in the next window.
    recorder.record(10 * S, 11 * S, None, None, False)
    assert recorder.take(3, None, 0.0) == []


def test_merger_adds_parts_of_every_process_before_a_window_is_complete() -> None:
    recorders = [_recorder(measure=S, duration_ns=2 * S) for _ in range(2)]
    for latency_ms, recorder in zip((10, 30), recorders, strict=True):
        for n in range(4):
            sent = S + n * S // 4
            recorder.record(sent, sent + latency_ms * 1_000_000, None, None, False)
    merger = Merger(LoadSpec(concurrency=2, duration_s=2.0), 2, 60_000_000)
    first, second = (r.take(2, 2 * S, 0.1) for r in recorders)
    assert merger.add(first[0]) == []
    (window,) = merger.add(second[0])
    assert window.requests == 8 and window.tps == 8.0 and window.mean_ms == pytest.approx(20.0)
    assert merger.add(first[1]) == [] and len(merger.add(second[1])) == 1
    summary = merger.summary(concurrency=2, warmup_requests=0)
    assert summary.requests == 8 and summary.duration_s == 2.0
    assert summary.client_cpu_ms_per_request == pytest.approx(0.2 * 1000 / 8)
    assert decode_histogram(summary.histogram).get_total_count() == 8


def test_recording_memory_stays_flat_however_many_requests() -> None:
    """Run the real worker loop in-process: 20,000 more requests must not grow its memory.

    One long window holds them all (the load process sends and drops a window each second).
    """

    def run(calls: int) -> tuple[int, int]:
        stop = threading.Event()
        invoker = MemoryInvoker(calls, stop)
        hour = 3600 * S
        recorder = _recorder(measure=time.perf_counter_ns(), duration_ns=hour, window_ns=hour)
        tracemalloc.start()
        closed_loop(invoker, b"x", recorder, stop)
        current, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert recorder.take(1, None, 0.0)[0].ok == calls - calls // 10
        return invoker.calls, current

    _, small = run(1_000)
    calls, large = run(21_000)
    assert calls == 21_000
    assert large - small < 16_384, (small, large)  # a list of latencies would be >= 160 KB


def _windows(counts: list[int], last_length_s: float = 1.0) -> list[Window]:
    windows = [Window(i, i + 1.0, n, {}, float(n), 1, 1, 1, 1, 1, 1) for i, n in enumerate(counts)]
    last = windows[-1]
    windows[-1] = Window(
        last.index, last.index + last_length_s, last.requests, {}, last.requests / last_length_s,
        1, 1, 1, 1, 1, 1, length_s=last_length_s,
    )  # fmt: skip
    return windows


def test_a_moving_rate_does_not_jump_by_the_batch_size() -> None:
    # A server answering in batches of 8 at about 36 req/s: one-second windows read 32 or 40.
    counts = [32, 40, 40, 32, 40, 32, 40, 40, 32, 32]
    windows = _windows(counts)
    assert max(w.tps for w in windows) - min(w.tps for w in windows) == 8.0
    rates = moving_rates(windows)
    assert rates[:2] == [32.0, 36.0]  # the time measured so far, at the start
    assert rates[4:] == pytest.approx([36.8, 36.8, 36.8, 36.8, 36.8, 35.2])  # 5 s: 184 or 176
    assert moving_rate(windows) == (pytest.approx(35.2), sum(counts[-5:]))
    assert moving_rate([]) == (0.0, 0) and moving_rates([]) == []


def test_a_moving_rate_counts_a_short_last_window_by_its_length() -> None:
    windows = _windows([90, 30, 30, 30, 60, 12], last_length_s=0.4)  # a run ending mid-window
    rate, requests = moving_rate(windows)  # 4.4 s: the first window would make it 5.4
    assert requests == 30 + 30 + 30 + 60 + 12 and rate == pytest.approx(162 / 4.4)
    assert moving_rates(windows)[-1] == pytest.approx(rate)
    assert windows[-1].tps == pytest.approx(30.0)

"""The load generator's numbers, proved against a deterministic server (issue 5's tests).

The fake server serves every request in a fixed time with a known concurrency limit, so the
right answers are known in advance: Little's law gives the closed-loop throughput, the service
time gives the latency, and a periodic stall must show in open-loop p99 (latency from the
intended send time) while closed-loop p99 hides it (coordinated omission).
"""

from __future__ import annotations

from fake_servers import Behaviour, FakeServer, load_processes

from rnbench.core.loadgen import LoadSpec, decode_histogram, run_load

SERVICE_S = 0.05
BODY = b"\xff\xd8" + b"j" * 20_000  # the size of the study's JPEG


def test_closed_loop_matches_littles_law_across_two_processes() -> None:
    workers = 8
    with FakeServer(Behaviour(service_s=SERVICE_S, limit=64)) as server:
        spec = LoadSpec(concurrency=workers, duration_s=3.0, warmup_s=0.5, processes=2)
        summary = run_load(server.target, BODY, spec)
    expected_tps = workers / SERVICE_S
    assert abs(summary.tps - expected_tps) <= 0.10 * expected_tps, summary.tps
    assert abs(summary.p50_ms - SERVICE_S * 1000) <= 0.10 * SERVICE_S * 1000, summary.p50_ms
    assert summary.littles_law_residual_pct is not None
    assert summary.littles_law_residual_pct <= 5.0
    assert summary.errors == {}
    assert summary.requests == sum(w.requests for w in summary.windows)
    assert decode_histogram(summary.histogram).get_total_count() == summary.requests
    assert [round(w.elapsed_s, 6) for w in summary.windows] == [1.0, 2.0, 3.0]
    # Windows merge both processes: each holds about a second of the whole run's throughput.
    for window in summary.windows:
        assert abs(window.tps - expected_tps) <= 0.15 * expected_tps, window
    assert summary.server_p50_ms is not None and 49.0 <= summary.server_p50_ms <= 55.0
    assert summary.client_cpu_ms_per_request > 0
    assert summary.warmup_requests > 0
    assert load_processes() == []


def test_open_loop_below_capacity_sends_at_the_rate_with_service_latency() -> None:
    rate, duration = 40.0, 3.0
    with FakeServer(Behaviour(service_s=SERVICE_S, limit=64)) as server:
        spec = LoadSpec(
            concurrency=16, rate=rate, arrival="poisson", duration_s=duration, warmup_s=0.5
        )
        summary = run_load(server.target, BODY, spec)
    assert summary.mode == "open" and summary.littles_law_residual_pct is None
    assert abs(summary.p50_ms - SERVICE_S * 1000) <= 0.10 * SERVICE_S * 1000, summary.p50_ms
    # Poisson arrivals: the count over 3 s varies (sd ~ 9 of 120), the seed makes it repeatable.
    assert abs(summary.requests - rate * duration) <= 0.25 * rate * duration, summary.requests
    # 16 workers for ~2 requests in flight: a worker is always free when a request is due.
    assert summary.late_requests == 0


STALL = Behaviour(service_s=0.01, limit=64, stall_every_s=4.0, stall_s=1.0)
"""Stalls 1 s in every 4 s: 25 % of the time, so an open loop sends a quarter of its requests
into a stall; a closed loop's workers each wait once per stall, < 1 % of its requests."""


def test_a_stall_shows_in_open_loop_p99_and_hides_in_closed_loop_p99() -> None:
    with FakeServer(STALL) as server:
        closed = run_load(
            server.target, BODY, LoadSpec(concurrency=4, duration_s=8.0, warmup_s=0.3)
        )
    with FakeServer(STALL) as server:
        spec = LoadSpec(concurrency=32, rate=100.0, duration_s=8.0, warmup_s=0.3)
        opened = run_load(server.target, BODY, spec)
    # Closed loop: the stalls happened (max) but only a handful of requests saw them.
    assert closed.max_ms >= 500.0, closed.max_ms
    assert closed.p99_ms < 100.0, closed.p99_ms
    # Open loop: every request due during a stall is timed from its intended send time.
    assert opened.p99_ms >= 500.0, opened.p99_ms
    assert opened.p50_ms < 100.0, opened.p50_ms
    assert opened.late_requests > 0  # the 32 workers were all busy during the stalls

"""The load generator's own saturation: CPU per process, and the warning when it limits a run."""

from __future__ import annotations

from dataclasses import replace

from fake_servers import Behaviour, FakeServer

from rnbench.core.loadgen import LoadSpec, run_load
from rnbench.core.loadgen.capacity import SATURATED_PCT, client_busy_pct, saturation_note
from rnbench.core.loadgen.types import LoadSummary

SUMMARY = LoadSummary(
    mode="closed",
    concurrency=16,
    rate=None,
    duration_s=10.0,
    requests=100_000,
    errors={},
    tps=10_000.0,
    mean_ms=1.6,
    p50_ms=1.5,
    p90_ms=2.0,
    p95_ms=2.2,
    p99_ms=3.0,
    max_ms=9.0,
    server_p50_ms=None,
    server_p99_ms=None,
    littles_law_residual_pct=0.5,
    client_cpu_ms_per_request=0.19,
    client_processes=2,
    client_busy_pct=95.0,
)


def test_busy_share_is_cpu_over_time_and_processes() -> None:
    assert client_busy_pct(19.0, 10.0, 2) == 95.0
    assert client_busy_pct(1.0, 0.0, 2) is None


def test_a_saturated_client_is_warned_about_and_an_idle_one_is_not() -> None:
    note = saturation_note(SUMMARY)
    assert "saturated" in note and "95 %" in note and "190 us CPU per request" in note
    assert "\n" not in note
    assert saturation_note(replace(SUMMARY, client_busy_pct=SATURATED_PCT - 1)) == ""
    assert saturation_note(replace(SUMMARY, client_busy_pct=None)) == ""


def test_a_run_reports_its_processes_and_their_cpu_use() -> None:
    with FakeServer(Behaviour(service_s=0.0)) as server:
        spec = LoadSpec(concurrency=4, duration_s=2.0, warmup_s=0.3, processes=1)
        summary = run_load(server.target, b"x" * 1000, spec)
    assert summary.client_processes == 1
    assert summary.client_busy_pct is not None and 0 < summary.client_busy_pct < 150
    assert summary.client_cpu_ms_per_request > 0

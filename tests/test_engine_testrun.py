"""The parts of a test run: its record, the backend's own latency figures, its window log."""

from __future__ import annotations

from pathlib import Path

import pytest
from records import make_record

from rnbench.core.backends.local.backend import LocalBackend
from rnbench.core.backends.protocol import Deployment, ServerLatency
from rnbench.core.backends.sagemaker import SageMakerBackend, SageMakerSettings
from rnbench.core.configs import get_configuration
from rnbench.core.loadgen import LoadSpec, Window
from rnbench.core.loadgen.hist import encode_histogram, new_histogram, record_us
from rnbench.core.loadgen.transport import HttpTarget
from rnbench.core.run.record import TestPlan, build_record, with_server_latency
from rnbench.core.run.windows import WindowLog
from rnbench.results.prices import Price
from rnbench.results.store import RunStore

DEPLOYMENT = Deployment(
    "local-cpu",
    "local",
    "pid 1 on 127.0.0.1:9",
    HttpTarget("127.0.0.1", 9),
    0.0,
    details={"runtime": "eager", "weights": "random", "max_prob_deviation": "0.002"},
)


def _window(index: int, latencies_ms: list[int]) -> Window:
    histogram = new_histogram(60_000_000)
    for ms in latencies_ms:
        record_us(histogram, ms * 1000)
    return Window(
        index, index + 1.0, len(latencies_ms), {"timeout": 1}, float(len(latencies_ms)),
        10.0, 10.0, 10.0, 10.0, 10.0, 10.0, encode_histogram(histogram),
    )  # fmt: skip


def test_a_record_before_any_summary_holds_the_plan_and_zeros() -> None:
    config = get_configuration("local-cpu")
    price = Price("local", "", 2.0, "test table", "2026-05-01")
    spec = LoadSpec(concurrency=3, warmup_s=2.0, warmup_requests=5)
    plan = TestPlan(config, DEPLOYMENT, spec, b"x", price, sweep_id="s1")
    record = build_record(plan, "r1", "2026-05-01T10:00:00+00:00", None, "running")
    assert (record.run_id, record.config, record.status, record.sweep_id) == (
        "r1", "local-cpu", "running", "s1",
    )  # fmt: skip
    assert record.warmup == "2s + 5 requests" and record.concurrency == 3
    assert record.requests == 0 and record.tps == 0.0 and record.server_p50_ms is None
    assert record.usd_per_hour == 2.0 and record.price_source == "test table (, 2026-05-01)"
    assert record.max_prob_deviation == pytest.approx(0.002)


def test_server_latency_fills_figures_or_says_why_they_are_missing() -> None:
    record = make_record("r1")
    assert with_server_latency(record, None) == record
    filled = with_server_latency(record, ServerLatency(12.5, 3.0))
    assert (filled.server_p50_ms, filled.server_overhead_p50_ms) == (12.5, 3.0)
    missing = with_server_latency(record, ServerLatency(None, None, "not yet available"))
    assert missing.note == "not yet available" and missing.server_p50_ms is None


def test_the_local_backend_reports_no_latency_beyond_its_replies() -> None:
    assert LocalBackend().server_latency(DEPLOYMENT, 0.0, 1.0) is None


def test_sagemaker_latency_comes_from_cloudwatch_or_a_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import rnbench.core.backends.sagemaker.live as live

    backend = SageMakerBackend(SageMakerSettings.resolve(region="us-east-1"))
    asked: list[tuple[str, float, float]] = []

    def figures(settings: object, name: str, start: float, end: float) -> tuple[float, float]:
        asked.append((name, start, end))
        return 20.0, 4.0

    monkeypatch.setattr(live, "endpoint_latency", figures)
    assert backend.server_latency(DEPLOYMENT, 1.0, 2.0) == ServerLatency(20.0, 4.0)
    assert asked == [("pid 1 on 127.0.0.1:9", 1.0, 2.0)]
    monkeypatch.setattr(live, "endpoint_latency", lambda *args: None)
    latency = backend.server_latency(DEPLOYMENT, 1.0, 2.0)
    assert latency is not None and latency.model_p50_ms is None
    assert "CloudWatch latency not yet available" in latency.note


def test_the_window_log_stores_every_window_and_merges_histograms(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite3")
    store.begin_run(make_record("r1", status="running"))
    log = WindowLog(store, "r1")
    assert log.recent() == () and log.buckets() == ()
    log.add([_window(0, [10, 10]), _window(1, [30])])
    assert [w.index for w in log.recent()] == [0, 1]
    assert sum(count for _, count in log.buckets()) == 3
    rows = store.windows("r1")
    assert [(r.index, r.requests, r.errors) for r in rows] == [(0, 2, 1), (1, 1, 1)]


def test_a_test_cancelled_partway_is_stored_interrupted_with_its_real_duration() -> None:
    """A tear down or quit during a test (the TUI's `x`, `q`) cancels it: the stored run says
    so, keeps the seconds it really ran, and never counts as the configuration's result."""
    import time
    from dataclasses import replace

    from fake_servers import Behaviour, FakeServer, served_engine

    from rnbench.results.analysis import recommend

    with FakeServer(Behaviour(service_s=0.01)) as server:
        engine = served_engine(server)
        config = get_configuration("local-cpu")
        spec = LoadSpec(concurrency=2, duration_s=8.0, warmup_s=0.0)
        run = engine.start_test(config, spec, b"jpeg")
        deadline = time.monotonic() + 30
        while run.snapshot().phase != "measuring" and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.5)
        run.cancel()
        record = run.wait(60)
    assert record.status == "interrupted" and "cancelled after" in record.note
    assert record.requests > 0 and 1.0 <= record.duration_s < 6.0
    stored = {r.run_id: r for r in engine.runs()}[record.run_id]
    assert (stored.status, stored.duration_s) == ("interrupted", record.duration_s)
    priced = replace(stored, usd_per_hour=1.0)  # priced, it would be sized ...
    assert recommend([replace(priced, status="ok")], 10_000.0, 1.0).best is not None
    assert recommend([priced], 10_000.0, 1.0).best is None  # ... but never when cut short

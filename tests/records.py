"""A complete RunRecord with plausible defaults, for tests that only care about a few fields."""

from __future__ import annotations

from typing import Any

from rnbench.results.record import RunRecord


def make_record(run_id: str, **overrides: Any) -> RunRecord:
    """A finished closed-loop local run (16 clients, 20 TPS, no price); overrides replace fields."""
    values: dict[str, Any] = dict(
        run_id=run_id, started_at="2026-05-01T10:00:00Z", config="local-cpu", backend="local",
        instance_type="local", runtime="eager", compiled=False, device="cpu", weights="random",
        mode="closed", concurrency=16, warmup="5s", duration_s=20.0, requests=400, errors=0,
        tps=20.0, mean_ms=800.0, p50_ms=790.0, p90_ms=850.0, p95_ms=870.0, p99_ms=900.0,
        max_ms=950.0, server_p50_ms=None, littles_law_residual_pct=1.5, usd_per_hour=None,
        price_source="", tps_per_usd_hour=None, usd_per_1m=None, inferences_per_usd=None,
        transactions_per_hour=72000.0, rnbench_version="0.1.0", torch_version="2.14.1",
    )  # fmt: skip
    values.update(overrides)
    return RunRecord(**values)

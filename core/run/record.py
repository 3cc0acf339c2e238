"""The stored record of a test run, built from its plan and the load generator's summary."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib.metadata import version
from typing import Any

from rnbench.core.backends.protocol import Deployment, ServerLatency
from rnbench.core.configs import Configuration
from rnbench.core.loadgen.capacity import saturation_note
from rnbench.core.loadgen.types import LoadSpec, LoadSummary
from rnbench.results.cost import cost_figures
from rnbench.results.prices import Price
from rnbench.results.record import RunRecord

RNBENCH_VERSION = version("rnbench")


@dataclass(frozen=True)
class TestPlan:
    """What one test run loads, and what its record says about where and at what price."""

    __test__ = False  # not a pytest test class

    config: Configuration
    deployment: Deployment
    """The deployment in service that receives the load."""
    spec: LoadSpec
    body: bytes
    """The request body sent with every request (an encoded image)."""
    price: Price | None
    """The hourly price of the hardware, when known."""
    sweep_id: str = ""
    """The sweep this run belongs to; empty for a single test."""


ERROR_STATUSES = ("degraded", "failed", "interrupted")
"""Statuses of runs whose figures must not be taken as the configuration's performance."""


def run_status(summary: LoadSummary, max_error_pct: float) -> tuple[str, str]:
    """(status, note) of a finished run.

    `ok`: at most `max_error_pct` % of the requests sent failed, and at most `max_error_pct` %
    of the measured windows were outages (errors and not one success). `degraded`: more, but some
    requests succeeded (the figures describe a broken endpoint, not the hardware). `failed`: none
    succeeded (a failed run's record also comes from a load run that raised).

    Outages are counted apart because workers back off from a dead server (a few tries a second):
    its seconds of silence weigh little in the count of requests.
    """
    sent = summary.requests + summary.error_count
    if summary.requests == 0:
        return "failed", f"no request succeeded ({_errors(summary)})"
    share = 100.0 * summary.error_count / sent
    if share > max_error_pct:
        return "degraded", (
            f"{share:.1f} % of {sent} requests failed (more than {max_error_pct:g} %): "
            f"{_errors(summary)}"
        )
    windows = summary.windows
    outages = sum(1 for w in windows if w.requests == 0 and sum(w.errors.values()) > 0)
    if windows and 100.0 * outages / len(windows) > max_error_pct:
        return "degraded", (
            f"no request succeeded in {outages} of {len(windows)} measured windows "
            f"(more than {max_error_pct:g} %): {_errors(summary)}"
        )
    return "ok", ""


def cancelled_note(summary: LoadSummary, spec: LoadSpec) -> str:
    """The note of a run cut short by its front end (a tear down or a quit during the test)."""
    planned = f" of {spec.duration_s:g} s planned" if spec.stability_pct is None else ""
    return (
        f"cancelled after {summary.duration_s:.1f} s{planned} (tear down or quit during the "
        "test): figures from the part that ran, never the configuration's performance"
    )


def _errors(summary: LoadSummary) -> str:
    kinds = sorted(summary.errors.items(), key=lambda item: -item[1])
    return ", ".join(f"{kind} {count}" for kind, count in kinds) or "no errors"


def build_record(
    plan: TestPlan, run_id: str, started_at: str, summary: LoadSummary | None, status: str
) -> RunRecord:
    """The record of a run: measured figures from `summary` (zeros while there is none)."""
    config, spec, details, price = plan.config, plan.spec, plan.deployment.details, plan.price
    tps = summary.tps if summary else 0.0
    costs = cost_figures(tps, price.usd_per_hour if price else None)
    warmup = f"{spec.warmup_s:g}s" + (
        f" + {spec.warmup_requests} requests" if spec.warmup_requests else ""
    )
    deviation = details.get("max_prob_deviation")
    return RunRecord(
        run_id=run_id,
        started_at=started_at,
        config=config.key,
        backend=config.backend,
        instance_type=plan.deployment.instance_type,
        runtime=details.get("runtime", config.runtime),
        compiled=config.compiled,
        device=details.get("device", config.device),
        weights=details.get("weights", "unknown"),
        mode=spec.mode,
        concurrency=spec.concurrency,
        warmup=warmup,
        duration_s=summary.duration_s if summary else 0.0,
        requests=summary.requests if summary else 0,
        errors=summary.error_count if summary else 0,
        tps=tps,
        mean_ms=summary.mean_ms if summary else 0.0,
        p50_ms=summary.p50_ms if summary else 0.0,
        p90_ms=summary.p90_ms if summary else 0.0,
        p95_ms=summary.p95_ms if summary else 0.0,
        p99_ms=summary.p99_ms if summary else 0.0,
        max_ms=summary.max_ms if summary else 0.0,
        server_p50_ms=summary.server_p50_ms if summary else None,
        littles_law_residual_pct=summary.littles_law_residual_pct if summary else None,
        usd_per_hour=price.usd_per_hour if price else None,
        price_source=f"{price.source} ({price.region}, {price.as_of})" if price else "",
        tps_per_usd_hour=costs.tps_per_usd_hour,
        usd_per_1m=costs.usd_per_1m,
        inferences_per_usd=costs.inferences_per_usd,
        transactions_per_hour=costs.transactions_per_hour,
        rnbench_version=RNBENCH_VERSION,
        torch_version=details.get("torch_version", ""),
        status=status,
        rate=spec.rate,
        server_p99_ms=summary.server_p99_ms if summary else None,
        errors_by_kind=json.dumps(dict(summary.errors), sort_keys=True) if summary else "",
        client_cpu_ms_per_request=summary.client_cpu_ms_per_request if summary else None,
        late_requests=summary.late_requests if summary else 0,
        stable=summary.stable if summary else None,
        region=details.get("region", ""),
        neo_target=config.neo_target or "",
        max_prob_deviation=float(deviation) if deviation else None,
        **_model_fields(details, tps),
        sweep_id=plan.sweep_id,
        mean_batch_size=summary.mean_batch_size if summary else None,
        max_batch=int(details["max_batch"]) if details.get("max_batch") else None,
        top1_agreement=_float(details.get("top1_agreement")),
        top5_agreement=_float(details.get("top5_agreement")),
        max_logit_deviation=_float(details.get("max_logit_deviation")),
        mean_logit_deviation=_float(details.get("mean_logit_deviation")),
        note=saturation_note(summary) if summary else "",
        cpu_model=details.get("cpu_model", ""),
        cpu_cores=_int(details.get("cpu_cores")),
        cpu_flags=details.get("cpu_flags", ""),
        onnxruntime_version=details.get("onnxruntime_version", ""),
        openvino_version=details.get("openvino_version", ""),
        latency_histogram=summary.histogram if summary else "",
    )


def _float(text: str | None) -> float | None:
    """A deployment detail as a number (None when absent or not a number)."""
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _int(text: str | None) -> int | None:
    """A deployment detail as a whole number (None when absent or not one)."""
    try:
        return int(text) if text else None
    except ValueError:
        return None


def with_server_latency(record: RunRecord, latency: ServerLatency | None) -> RunRecord:
    """`record` with the backend's own latency figures (or the note why they are missing)."""
    if latency is None:
        return record
    if latency.model_p50_ms is None and latency.overhead_p50_ms is None:
        note = "; ".join(n for n in (record.note, latency.note) if n)
        return replace(record, note=note) if latency.note else record
    return replace(
        record,
        server_p50_ms=latency.model_p50_ms,
        server_overhead_p50_ms=latency.overhead_p50_ms,
    )


def _model_fields(details: Mapping[str, str], tps: float) -> dict[str, Any]:
    """The model identity a server reported when ready (ResNet-50 when it reported none)."""
    gflops = _float(details.get("model_gflops"))
    params = details.get("model_params")
    return {
        "model": details.get("model", "resnet50"),
        "model_params": int(params) if params and params.isdigit() else None,
        "model_gflops": gflops,
        "input_size": int(details.get("input_size", "224")),
        "tps_per_gflop": tps / gflops if gflops and tps else None,
    }

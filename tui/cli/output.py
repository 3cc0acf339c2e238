"""Plain-text rendering for the CLI: tables of runs and configurations, one-line progress."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from rnbench.core.engine import TestSnapshot
from rnbench.core.loadgen.types import RATE_SPAN_S, moving_rate
from rnbench.results.record import RunRecord, cpu_text


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A left-aligned text table; numbers are right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for cell, width in zip(cells, widths, strict=True):
            numeric = cell[:1].isdigit() or cell[:1] in "-.$" and cell[1:2].isdigit()
            out.append(cell.rjust(width) if numeric else cell.ljust(width))
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def num(value: float | None, digits: int = 1) -> str:
    """A figure, or an empty cell when there is none (never a made-up zero)."""
    return "" if value is None else f"{value:,.{digits}f}"


def money(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"${value:,.{digits}f}"


RUN_HEADERS = (
    "config",
    "mode",
    "conc",
    "TPS",
    "TPS/GFLOP",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "errors",
    "server p50",
    "Little %",
    "$/h",
    "$ per 1M",
    "weights",
    "status",
    "cpu",
)


def run_row(record: RunRecord) -> list[str]:
    mode = record.mode if record.rate is None else f"open {record.rate:g}/s"
    return [
        record.config,
        mode,
        str(record.concurrency),
        num(record.tps),
        num(record.tps_per_gflop),
        num(record.p50_ms),
        num(record.p90_ms),
        num(record.p99_ms),
        str(record.errors),
        num(record.server_p50_ms),
        num(record.littles_law_residual_pct),
        money(record.usd_per_hour, 3),
        money(record.usd_per_1m),
        record.weights,
        record.status,
        cpu_text(record),
    ]


def runs_table(records: Sequence[RunRecord]) -> str:
    """One table per model (runs of different models are never mixed), newest model first."""
    models = list(dict.fromkeys(r.model for r in records))
    parts = []
    for model in models:
        runs = [r for r in records if r.model == model]
        parts.append(f"model {model_line(runs[0])}")
        parts.append(table(RUN_HEADERS, [run_row(r) for r in runs]))
    return "\n\n".join(parts)


def model_line(record: RunRecord) -> str:
    """`mobilenet_v3_small: 2.5 M params, 0.11 GFLOPs/image, input 224 px`."""
    params = f"{record.model_params / 1e6:.1f} M params" if record.model_params else "params ?"
    gflops = f"{record.model_gflops:.3g} GFLOPs/image" if record.model_gflops else "GFLOPs ?"
    return f"{record.model}: {params}, {gflops}, input {record.input_size} px"


def progress_line(snapshot: TestSnapshot) -> str:
    """One line per second while a test runs."""
    if not snapshot.windows or snapshot.phase in ("starting", "warmup"):
        return f"  {snapshot.config_key}: {snapshot.phase}"
    w = snapshot.windows[-1]
    errors = sum(w.errors.values())
    rate, _ = moving_rate(snapshot.windows)
    return (
        f"  {w.elapsed_s:5.0f}s  {rate:7.1f} req/s ({RATE_SPAN_S:g} s)  p50 {w.p50_ms:7.1f} ms  "
        f"p90 {w.p90_ms:7.1f}  p99 {w.p99_ms:7.1f} ms  errors {errors}"
    )


def say(message: str) -> None:
    """Progress and notes go to stderr, results to stdout, so `> file` keeps only results."""
    print(message, file=sys.stderr, flush=True)

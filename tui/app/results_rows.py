"""The results screen's rows: stored runs beside the study's published table (no widgets here).

Published rows are the study's figures as printed, marked `published`; beside their latency
column is the mean latency Little's law implies (clients / TPS), the study's error made visible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rnbench.results.record import RunRecord
from rnbench.results.seed import PublishedRow
from rnbench.tui import fmt
from rnbench.tui.app.analysis_rows import agreement, mode, stable
from rnbench.tui.app.model_view import STUDY_TEXT, measured_model


@dataclass(frozen=True)
class ResultRow:
    """One row of the results table, measured or published."""

    source: str
    """`measured` or `published`."""
    config: str
    model: str
    """The model measured: `resnet18 · 224 px` (published rows: the study's ResNet-50)."""
    weights: str
    runtime: str
    clients: int
    tps: float
    p50_ms: float | None
    p99_ms: float | None
    littles_ms: float | None
    """Mean latency Little's law implies for a closed loop: clients / TPS."""
    usd_per_hour: float | None
    tps_per_usd_hour: float | None
    usd_per_1m: float | None
    transactions_per_hour: float
    inferences_per_usd: float | None
    started: str
    run_id: str = ""
    mode: str = ""
    """`closed 16` or `open 10/s`."""
    stable: bool | None = None
    """Whether the stability criterion was met; None when not asked for (or published)."""
    agreement: float | None = None
    """Largest probability deviation of the runtime from eager (compiled runtimes)."""
    status: str = ""
    """A measured run's status (`ok`, `degraded`, `failed`, `interrupted`); empty if published."""


Column = tuple[str, str, Callable[[ResultRow], object], Callable[[ResultRow], str]]

COLUMNS: tuple[Column, ...] = (
    ("source", "source", lambda r: r.source, lambda r: r.source),
    ("config", "configuration", lambda r: r.config, lambda r: r.config),
    ("tps", "TPS", lambda r: r.tps, lambda r: fmt.tps(r.tps)),
    ("p50", "p50 ms", lambda r: r.p50_ms, lambda r: _p50(r)),
    ("p99", "p99 ms", lambda r: r.p99_ms, lambda r: fmt.ms(r.p99_ms)),
    ("littles", "LL ms", lambda r: r.littles_ms, lambda r: fmt.ms(r.littles_ms)),
    ("mode", "mode", lambda r: r.mode, lambda r: r.mode),
    ("status", "status", lambda r: r.status, lambda r: r.status),
    ("stable", "stable", lambda r: _stable_key(r.stable), lambda r: stable(r.stable)),
    ("usd_h", "$/h", lambda r: r.usd_per_hour, lambda r: fmt.usd(r.usd_per_hour, 3)),
    ("tps_usd", "TPS/$h", lambda r: r.tps_per_usd_hour, lambda r: fmt.tps(r.tps_per_usd_hour)),
    ("usd_1m", "$/1M", lambda r: r.usd_per_1m, lambda r: fmt.usd(r.usd_per_1m)),
    (
        "tx_h",
        "tx/hour",
        lambda r: r.transactions_per_hour,
        lambda r: fmt.count(r.transactions_per_hour),
    ),
    ("agree", "agree Δp", lambda r: r.agreement, lambda r: agreement(r.agreement)),
    ("model", "model", lambda r: r.model, lambda r: r.model),
    ("weights", "weights", lambda r: r.weights, lambda r: r.weights),
    ("runtime", "runtime", lambda r: r.runtime, lambda r: r.runtime),
    ("started", "started (UTC)", lambda r: r.started, lambda r: r.started),
)
"""(key, header, sort value, cell text) of every column."""

COLUMN_KEYS: tuple[str, ...] = tuple(c[0] for c in COLUMNS)


def _stable_key(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _p50(row: ResultRow) -> str:
    return fmt.ms(row.p50_ms) + (" *" if row.source == "published" else "")


def from_record(record: RunRecord) -> ResultRow:
    littles = None
    if record.mode == "closed" and record.tps > 0:
        littles = record.concurrency / record.tps * 1000.0
    return ResultRow(
        source="measured",
        config=record.config,
        model=measured_model(record),
        weights=record.weights,
        runtime=record.runtime,
        clients=record.concurrency,
        tps=record.tps,
        p50_ms=record.p50_ms,
        p99_ms=record.p99_ms,
        littles_ms=littles,
        usd_per_hour=record.usd_per_hour,
        tps_per_usd_hour=record.tps_per_usd_hour,
        usd_per_1m=record.usd_per_1m,
        transactions_per_hour=record.transactions_per_hour,
        inferences_per_usd=record.inferences_per_usd,
        started=record.started_at.replace("T", " ")[:19].removesuffix("+00:00"),
        run_id=record.run_id,
        mode=mode(record),
        stable=record.stable,
        agreement=record.max_prob_deviation,
        status=record.status,
    )


def from_published(row: PublishedRow) -> ResultRow:
    cost = row.cost_as_published
    return ResultRow(
        source="published",
        config=row.config_key,
        model=STUDY_TEXT,
        weights="pretrained",
        runtime="compiled" if row.compiled else "eager",
        clients=row.threads,
        tps=row.tps,
        p50_ms=row.p50_ms_as_published,
        p99_ms=None,
        littles_ms=row.littles_law_latency_ms,
        usd_per_hour=row.usd_per_hour,
        tps_per_usd_hour=cost.tps_per_usd_hour,
        usd_per_1m=cost.usd_per_1m,
        transactions_per_hour=cost.transactions_per_hour,
        inferences_per_usd=cost.inferences_per_usd,
        started="",
        mode=f"closed {row.threads}",
    )


def result_rows(records: Iterable[RunRecord], published: Iterable[PublishedRow]) -> list[ResultRow]:
    """Finished measured runs (newest first; `degraded`, `failed` and `interrupted` ones say so
    in their status column), then the published rows."""
    measured = sorted(
        (r for r in records if r.status != "running"), key=lambda r: r.started_at, reverse=True
    )
    return [from_record(r) for r in measured] + [from_published(p) for p in published]


def sort_rows(rows: Sequence[ResultRow], key: str, reverse: bool) -> list[ResultRow]:
    """Rows sorted by a column; rows without a value always come last."""
    getter = next(c[2] for c in COLUMNS if c[0] == key)
    present = [r for r in rows if getter(r) is not None]
    missing = [r for r in rows if getter(r) is None]
    present.sort(key=lambda r: _sortable(getter(r)), reverse=reverse)
    return present + missing


def _sortable(value: object) -> tuple[int, float, str]:
    if isinstance(value, int | float):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def chart_rows(rows: Sequence[ResultRow], model: str = STUDY_TEXT) -> list[tuple[str, ResultRow]]:
    """One bar per configuration: its latest `ok` measured run of `model` (`model_text`), and
    each published row when `model` is the study's: never bars of two models side by side."""
    seen: set[str] = set()
    bars: list[tuple[str, ResultRow]] = []
    for row in rows:
        if row.model != model:
            continue
        if row.source == "measured":
            if row.config in seen or row.status != "ok":
                continue
            seen.add(row.config)
            bars.append((row.config, row))
        else:
            bars.append((f"{row.config} (pub)", row))
    return bars

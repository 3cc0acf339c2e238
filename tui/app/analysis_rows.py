"""Cell texts of the results screen's analysis tabs: study overlay, sweeps, SLO recommendation.

Plain functions over engine values (no widgets here): `rnbench.results.analysis` computes, this
module only groups and formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rnbench.results.analysis import OverlayRow, RecommendationResult, knee
from rnbench.results.record import RunRecord
from rnbench.tui import fmt

OVERLAY_HEADERS = (
    "study row",
    "config",
    "TPS pub",
    "lat. as pub. ms",
    "Little ms",
    "ratio",
    "rnbench TPS",
    "p50 ms",
    "p99 ms",
    "run",
)
SWEEP_HEADERS = ("load", "TPS", "p50 ms", "p99 ms", "errs", "stable", "")
SLO_HEADERS = ("config", "instances", "TPS each", "p99 ms", "$/h", "$ per 1M", "$/month")
SLO_ASSUMPTION = (
    "Assumes throughput scales linearly with the instance count and p99 stays as measured at "
    "each instance's load; only runs with a price, <= 0.1 % errors and not found unstable count."
)
MAX_SWEEPS = 8
"""The sweeps tab shows the newest ones."""


def mode(record: RunRecord) -> str:
    """`closed 16` (clients) or `open 10/s` (intended rate)."""
    if record.mode == "open" and record.rate is not None:
        return f"open {record.rate:g}/s"
    return f"{record.mode} {record.concurrency}"


def stable(value: bool | None) -> str:
    return fmt.NONE if value is None else ("yes" if value else "no")


def agreement(value: float | None) -> str:
    """Largest probability deviation from eager: 3.1e-06."""
    return fmt.NONE if value is None else f"{value:.1e}"


def overlay_cells(
    rows: Sequence[OverlayRow], missing: str = "not measured"
) -> list[tuple[str, ...]]:
    """`missing`: the run column of a published row with no measured run beside it."""
    out: list[tuple[str, ...]] = []
    for row in rows:
        run = row.measured
        out.append(
            (
                row.label,
                row.config_key,
                fmt.tps(row.published_tps),
                fmt.ms(row.published_latency_ms),
                fmt.ms(row.littles_law_latency_ms),
                f"{row.ratio:.1f}x",
                fmt.tps(run.tps) if run else fmt.NONE,
                fmt.ms(run.p50_ms) if run else fmt.NONE,
                fmt.ms(run.p99_ms) if run else fmt.NONE,
                f"{mode(run)}, {run.weights}" if run else missing,
            )
        )
    return out


@dataclass(frozen=True)
class Sweep:
    """The runs of one sweep (one `sweep_id`), in the order they ran."""

    sweep_id: str
    config: str
    runs: tuple[RunRecord, ...]
    knee: int | None
    """Index into `runs` of the knee of (TPS, p99), see `rnbench.results.analysis.knee`."""

    @property
    def title(self) -> str:
        started = self.runs[0].started_at.replace("T", " ")[:16]
        if self.knee is None:
            where = "no knee"
        else:
            where = (
                f"knee at {fmt.tps(self.runs[self.knee].tps)} TPS ({mode(self.runs[self.knee])})"
            )
        model = f"{self.runs[0].model} · {self.runs[0].input_size} px"
        return f"{self.config} · {model} · sweep {self.sweep_id} · {started} UTC · {where}"


def sweeps(records: Sequence[RunRecord], limit: int = MAX_SWEEPS) -> list[Sweep]:
    """Finished runs grouped by non-empty `sweep_id`, newest sweep first, at most `limit`."""
    groups: dict[str, list[RunRecord]] = {}
    for record in records:
        if record.sweep_id and record.status == "ok":
            groups.setdefault(record.sweep_id, []).append(record)
    found = []
    for sweep_id, runs in groups.items():
        runs.sort(key=lambda r: r.started_at)
        points = [(r.tps, r.p99_ms) for r in runs]
        found.append(Sweep(sweep_id, runs[0].config, tuple(runs), knee(points)))
    found.sort(key=lambda s: s.runs[0].started_at, reverse=True)
    return found[:limit]


def sweep_cells(sweep: Sweep) -> list[tuple[str, ...]]:
    return [
        (
            mode(r),
            fmt.tps(r.tps),
            fmt.ms(r.p50_ms),
            fmt.ms(r.p99_ms),
            str(r.errors),
            stable(r.stable),
            "← knee" if i == sweep.knee else "",
        )
        for i, r in enumerate(sweep.runs)
    ]


def slo_cells(result: RecommendationResult) -> list[tuple[str, ...]]:
    return [
        (
            c.config,
            str(c.instances),
            fmt.tps(c.run.tps),
            fmt.ms(c.run.p99_ms),
            fmt.usd(c.usd_per_hour, 3),
            fmt.usd(c.usd_per_1m),
            fmt.usd(c.usd_per_month, 0),
        )
        for c in result.candidates
    ]

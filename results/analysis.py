"""Reading results: the knee of a throughput-latency curve, the study overlay, and the cheapest
configuration that meets a latency SLO at a required throughput.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rnbench.results.cost import HOURS_PER_MONTH, SECONDS_PER_HOUR
from rnbench.results.errors import ResultsUsageError
from rnbench.results.record import RunRecord
from rnbench.results.seed import PublishedRow

STUDY_LATENCY_ERROR = (
    "The study divided every latency by its 10-second report interval, so its published "
    "latencies are ~10x too small: 16 clients / TPS (Little's law) gives the real mean."
)
"""One line that explains why the study's latency column disagrees with its own throughput."""

MAX_ERROR_RATE = 0.001
"""Largest share of failed requests a run may have and still qualify for a recommendation.

0.1 %: below the 1 % a p99 looks at, so failures cannot hide the latency tail they would have
formed, while one stray timeout in a long run does not disqualify it."""


def knee(points: Sequence[tuple[float, float]], tolerance: float = 0.0) -> int | None:
    """Index of the knee of a throughput-latency curve, or None when it has none.

    `points` are (x, y) in sweep order: x is measured throughput (or the offered rate of an
    open-loop sweep), y is latency. Between neighbours i-1 and i, with relative increases
    dx = (x[i] - x[i-1]) / x[i-1] and dy = (y[i] - y[i-1]) / y[i-1], latency grows faster than
    throughput when dy > dx + tolerance. The knee is the first point i-1 after which that happens:
    the last point before latency starts to outgrow throughput. Pairs whose x[i-1] or y[i-1] is not
    positive are skipped. Fewer than two points: None.

    Do not pass closed-loop concurrency as x: past saturation, latency there grows exactly in
    proportion to concurrency (Little's law), which sits on the boundary of this test.
    """
    for i in range(1, len(points)):
        (x0, y0), (x1, y1) = points[i - 1], points[i]
        if x0 <= 0 or y0 <= 0:
            continue
        if (y1 - y0) / y0 > (x1 - x0) / x0 + tolerance:
            return i - 1
    return None


@dataclass(frozen=True)
class OverlayRow:
    """A published study row beside rnbench's best measured run of the same configuration."""

    label: str
    """The study's name for the configuration (`c5 + Neo`)."""
    config_key: str
    published_tps: float
    published_latency_ms: float
    """The study's latency column, as published (~10x too small)."""
    littles_law_latency_ms: float
    """Mean latency the published throughput implies: threads / TPS."""
    ratio: float
    """littles_law_latency_ms / published_latency_ms (about 10)."""
    measured: RunRecord | None
    """rnbench's finished run of this configuration with the highest TPS, if any."""


def _best_run(config_key: str, measured: Sequence[RunRecord]) -> RunRecord | None:
    runs = [r for r in measured if r.config == config_key and r.status == "ok" and r.requests > 0]
    return max(runs, key=lambda r: r.tps, default=None)


def study_overlay(
    published: Sequence[PublishedRow], measured: Sequence[RunRecord]
) -> list[OverlayRow]:
    """One row per published configuration, in the study's order (see `OverlayRow`)."""
    return [
        OverlayRow(
            label=row.label,
            config_key=row.config_key,
            published_tps=row.tps,
            published_latency_ms=row.p50_ms_as_published,
            littles_law_latency_ms=row.littles_law_latency_ms,
            ratio=row.latency_ratio,
            measured=_best_run(row.config_key, measured),
        )
        for row in published
    ]


@dataclass(frozen=True)
class Recommendation:
    """Enough instances of one measured configuration to carry the required load."""

    run: RunRecord
    """The measured run the sizing rests on."""
    config: str
    instances: int
    """ceil(required TPS / measured TPS): throughput assumed to scale linearly with instances."""
    capacity_tps: float
    """instances x measured TPS."""
    usd_per_hour: float
    """All instances together."""
    usd_per_1m: float
    """Dollars per million inferences at the required throughput (what the load really costs)."""
    usd_per_month: float
    """All instances, 730 hours a month."""


@dataclass(frozen=True)
class Rejection:
    """A run that cannot serve the SLO, and why."""

    run_id: str
    config: str
    reason: str


NO_PRICE = "no price"
"""The rejection of a run that meets the SLO but has no price to compare."""
HOW_TO_PRICE = (
    "--usd-per-hour for a foreign target, the add-target dialog's $/hour, "
    "or usd_per_hour in prices.toml"
)
"""Where a price comes from, for the message that asks for one."""


@dataclass(frozen=True)
class RecommendationResult:
    """The cheapest qualifying choice (or None), the other qualifying ones, and the rejected."""

    p99_ms: float
    tps: float
    best: Recommendation | None
    candidates: tuple[Recommendation, ...]
    """Every qualifying run, cheapest first (`best` is the first)."""
    rejections: tuple[Rejection, ...]

    @property
    def explanation(self) -> str:
        """One line for the user: the choice, or why there is none."""
        if self.best is not None:
            b = self.best
            return (
                f"{b.config} x {b.instances}: ${b.usd_per_hour:.2f}/h, ${b.usd_per_1m:.2f} per 1M, "
                f"${b.usd_per_month:,.0f}/month (p99 {b.run.p99_ms:.0f} ms at "
                f"{b.run.tps:.1f} TPS per instance)"
            )
        if not self.rejections:
            return "no measured runs to recommend from"
        unpriced = sorted({r.config for r in self.rejections if r.reason == NO_PRICE})
        if unpriced:  # checked last: these meet the latency and lack only a price
            return (
                f"{', '.join(unpriced)} meet{'s' if len(unpriced) == 1 else ''} p99 <= "
                f"{self.p99_ms:g} ms but {'has' if len(unpriced) == 1 else 'have'} no price: "
                f"give one ({HOW_TO_PRICE}) and run again"
            )
        reasons = sorted({r.reason.split(":")[0] for r in self.rejections})
        return f"no measured run meets p99 <= {self.p99_ms:g} ms: " + "; ".join(reasons)


def _rejection_reason(run: RunRecord, p99_ms: float, max_error_rate: float) -> str | None:
    if run.status != "ok":
        return f"not finished: status {run.status}"
    if run.requests <= 0 or run.tps <= 0:
        return "no successful requests"
    rate = run.errors / (run.requests + run.errors)
    if rate > max_error_rate:
        return f"too many errors: {rate:.2%} > {max_error_rate:.2%}"
    if run.stable is False:
        return "not stable"
    if run.p99_ms > p99_ms:
        return f"p99 too high: {run.p99_ms:.1f} ms > {p99_ms:g} ms"
    if run.usd_per_hour is None:  # last: a run rejected only for this meets everything else
        return NO_PRICE
    return None


def recommend(
    records: Sequence[RunRecord],
    p99_ms: float,
    tps: float,
    max_error_rate: float = MAX_ERROR_RATE,
) -> RecommendationResult:
    """The cheapest measured configuration and instance count for p99 <= `p99_ms` at `tps`.

    A run qualifies when it finished (`ok`), has a price, an error rate of at most
    `max_error_rate`, was not found unstable, and its p99 meets the target. Each qualifying run is
    sized to ceil(tps / run.tps) instances, assuming throughput scales linearly with instance
    count and p99 stays as measured at that per-instance load. The cheapest total $/h wins;
    ties go to fewer instances, then the lower p99.

    Raises:
        ResultsUsageError: a target is not a positive number, or `max_error_rate` is outside [0, 1].
    """
    for name, value in (("p99 target", p99_ms), ("required TPS", tps)):
        if not math.isfinite(value) or value <= 0:
            raise ResultsUsageError(f"{name} must be a number > 0, got {value:g}")
    if not 0 <= max_error_rate <= 1:
        raise ResultsUsageError(f"error rate threshold must be within 0..1, got {max_error_rate:g}")
    candidates: list[Recommendation] = []
    rejections: list[Rejection] = []
    for run in records:
        reason = _rejection_reason(run, p99_ms, max_error_rate)
        if reason is not None:
            rejections.append(Rejection(run.run_id, run.config, reason))
            continue
        assert run.usd_per_hour is not None
        instances = max(1, math.ceil(tps / run.tps - 1e-9))
        per_hour = run.usd_per_hour * instances
        candidates.append(
            Recommendation(
                run=run,
                config=run.config,
                instances=instances,
                capacity_tps=instances * run.tps,
                usd_per_hour=per_hour,
                usd_per_1m=per_hour / (tps * SECONDS_PER_HOUR) * 1e6,
                usd_per_month=per_hour * HOURS_PER_MONTH,
            )
        )
    candidates.sort(key=lambda c: (c.usd_per_hour, c.instances, c.run.p99_ms))
    return RecommendationResult(
        p99_ms=p99_ms,
        tps=tps,
        best=candidates[0] if candidates else None,
        candidates=tuple(candidates),
        rejections=tuple(rejections),
    )

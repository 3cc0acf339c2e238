"""Sweep curves and SLO recommendations as the CLI prints them."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from rnbench.results.record import RunRecord
from rnbench.tui.cli.output import money, num, table


def curve_points(records: Sequence[RunRecord]) -> list[tuple[float, float]]:
    """(throughput, p99) per run, in the order the sweep ran them."""
    return [(r.tps, r.p99_ms) for r in records]


def print_curve(records: Sequence[RunRecord], width: int = 80, height: int = 18) -> None:
    """The throughput-latency curve of a sweep, its knee marked, as a table and a plot."""
    import plotext as plt

    from rnbench.results.analysis import knee

    knee_index = knee(curve_points(records))
    rows = []
    for i, r in enumerate(records):
        load = f"{r.rate:g}/s" if r.rate is not None else str(r.concurrency)
        mark = "<- knee" if i == knee_index else ""
        rows.append([load, num(r.tps), num(r.p50_ms), num(r.p99_ms), str(r.errors), mark])
    print()
    print(table(("load", "TPS", "p50 ms", "p99 ms", "errors", "knee"), rows))
    plt.clf()
    plt.plotsize(width, height)
    plt.theme("clear")
    xs = [r.tps for r in records]
    plt.plot(xs, [r.p50_ms for r in records], label="p50", marker="dot")
    plt.plot(xs, [r.p99_ms for r in records], label="p99", marker="dot")
    if knee_index is not None:
        plt.vline(xs[knee_index])
    plt.title(f"{records[0].config}: latency vs throughput")
    plt.xlabel("throughput (req/s)")
    plt.ylabel("ms")
    chart = plt.build()
    print(chart if sys.stdout.isatty() else plt.uncolorize(chart))


def print_recommendation(records: Sequence[RunRecord], p99_ms: float, tps: float) -> int:
    """Print the cheapest measured configuration meeting the SLO and the runs that qualify;
    1 when none does."""
    from rnbench.results.analysis import recommend

    result = recommend(records, p99_ms=p99_ms, tps=tps)
    print(result.explanation)
    if result.best is None:
        return 1
    rows = [
        [
            c.config,
            str(c.instances),
            num(c.run.tps),
            num(c.run.p99_ms),
            money(c.usd_per_hour),
            money(c.usd_per_1m),
            money(c.usd_per_month, 0),
        ]
        for c in result.candidates
    ]
    print()
    print(table(("config", "instances", "TPS each", "p99 ms", "$/h", "$ per 1M", "$/month"), rows))
    print("assumes throughput scales linearly with instance count, p99 as measured per instance")
    return 0


def study_table(records: Sequence[RunRecord]) -> str:
    """The study's published rows beside rnbench's best measured run of each configuration."""
    from rnbench.results.analysis import STUDY_LATENCY_ERROR, study_overlay
    from rnbench.results.seed import STUDY_SOURCE, published_rows

    rows = []
    for row in study_overlay(published_rows(), records):
        best = row.measured
        rows.append(
            [
                row.label,
                num(row.published_tps),
                num(row.published_latency_ms, 2),
                num(row.littles_law_latency_ms),
                f"{row.ratio:.1f}x",
                num(best.tps) if best else "",
                num(best.p50_ms) if best else "",
                num(best.p99_ms) if best else "",
            ]
        )
    headers = (
        "study (published)",
        "TPS",
        "latency as published",
        "Little's law ms",
        "ratio",
        "rnbench TPS",
        "p50 ms",
        "p99 ms",
    )
    return "\n".join([table(headers, rows), "", STUDY_LATENCY_ERROR, f"source: {STUDY_SOURCE}"])

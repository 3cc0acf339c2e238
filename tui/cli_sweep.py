"""Sweep curves and SLO recommendations as the CLI prints them."""

from __future__ import annotations

from collections.abc import Sequence

from rnbench.results.record import RunRecord
from rnbench.tui.cli_output import money, num, table


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
    print(table(("load", "TPS", "p50 ms", "p99 ms", "errors", ""), rows))
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
    print(plt.build())


def print_recommendation(records: Sequence[RunRecord], p99_ms: float, tps: float) -> int:
    """Print the cheapest measured configuration meeting the SLO; 1 when none does."""
    from rnbench.results.analysis import recommend

    choice = recommend(records, p99_ms=p99_ms, tps=tps)
    if choice is None:
        print(
            f"no measured configuration with a price meets p99 <= {p99_ms:g} ms "
            "without errors; measure more configurations or relax the SLO"
        )
        return 1
    print(
        f"{choice.config}: {choice.instances} x {choice.instance_type} "
        f"(measured {num(choice.tps_per_instance)} TPS at p99 {num(choice.p99_ms)} ms each; "
        f"assumes throughput scales with instance count)\n"
        f"  {money(choice.usd_per_hour)} per hour, {money(choice.usd_per_1m)} per 1M inferences, "
        f"{money(choice.usd_per_month, 0)} per month"
    )
    return 0

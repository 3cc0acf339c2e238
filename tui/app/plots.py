"""Drawing the TUI's plotext charts: TPS over time, latency histogram, the study's bar charts.

`rebin` is plain arithmetic (tested alone); the `draw_*` functions only call plotext.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual_plotext.plot import Plot

from rnbench.core.loadgen.types import RATE_SPAN_S, Window, moving_rates


def rebin(buckets: Sequence[tuple[float, int]], bins: int) -> list[tuple[float, int]]:
    """At most `bins` bars: empty buckets at both ends dropped, neighbours merged in equal groups.

    Each bar is (upper bound ms of its last bucket, summed count); the engine's buckets are
    logarithmic, and merging neighbours keeps them so.
    """
    counts = [n for _, n in buckets]
    nonzero = [i for i, n in enumerate(counts) if n > 0]
    if not nonzero or bins < 1:
        return []
    kept = list(buckets[nonzero[0] : nonzero[-1] + 1])
    size = -(-len(kept) // bins)
    return [
        (kept[min(i + size, len(kept)) - 1][0], sum(n for _, n in kept[i : i + size]))
        for i in range(0, len(kept), size)
    ]


TPS_WINDOWS = 120
"""The TPS plot shows the last two minutes."""


def draw_tps(plt: Plot, windows: Sequence[Window]) -> None:
    plt.clear_figure()
    # plain words instead of a legend: plotext's reads "L ⢕⢕ TPS" and "⅃ ⢕⢕ p99 ms"
    plt.title(f"TPS {RATE_SPAN_S:g} s (left) · p99 ms (right)")
    if not windows:
        return
    # the moving rate, not each window's own: a batching server's one-second counts jump by
    # the batch size (see moving_rates)
    windows = windows[-(TPS_WINDOWS + int(RATE_SPAN_S)) :]
    rates = moving_rates(windows)[-TPS_WINDOWS:]
    windows = windows[-TPS_WINDOWS:]
    xs = [w.elapsed_s for w in windows]
    plt.plot(xs, rates, marker="braille")
    plt.plot(xs, [w.p99_ms for w in windows], marker="braille", yside="right")
    plt.xlabel("seconds measured")


def draw_histogram(plt: Plot, buckets: Sequence[tuple[float, int]], bins: int = 16) -> None:
    plt.clear_figure()
    plt.title("latency histogram (ms)")
    binned = rebin(buckets, bins)
    if not binned:
        return
    labels = [f"{upper:.0f}" for upper, _ in binned]
    positions = [float(i) for i in range(1, len(binned) + 1)]
    plt.bar(positions, [n for _, n in binned], width=0.8)
    step = max(1, -(-len(binned) // 6))
    plt.xticks(positions[::step], labels[::step])
    plt.xlabel("upper bound of each bar, ms")


def draw_bars(plt: Plot, title: str, labels: Sequence[str], values: Sequence[float]) -> None:
    plt.clear_figure()
    plt.title(title)
    if not labels:
        return
    plt.bar(list(labels), list(values), orientation="horizontal", width=0.6)


def draw_sweep(
    plt: Plot, tps: Sequence[float], p50: Sequence[float], p99: Sequence[float], knee: int | None
) -> None:
    """Latency against throughput along a sweep; a vertical line at the knee."""
    plt.clear_figure()
    plt.title("latency vs throughput" + ("" if knee is None else " (| = knee)"))
    if not tps:
        return
    plt.plot(list(tps), list(p50), marker="dot", label="p50 ms")
    plt.plot(list(tps), list(p99), marker="dot", label="p99 ms")
    if knee is not None:
        plt.vline(tps[knee], "red")
    plt.xlabel("TPS")

"""The fast (numpy) latency buckets agree with a plain walk over the recorded values."""

from __future__ import annotations

import math
import random

import pytest

from rnbench.core.loadgen.hist import (
    LOWEST_US,
    decode_histogram,
    encode_histogram,
    latency_buckets,
    new_histogram,
    record_us,
    stats_ms,
)


def reference_buckets(encoded: str, buckets: int) -> list[tuple[float, int]]:
    """The straightforward version: iterate HdrHistogram's recorded values one by one."""
    histogram = decode_histogram(encoded)
    if histogram.get_total_count() == 0:
        return []
    low = max(histogram.get_min_value(), LOWEST_US)
    high = max(histogram.get_max_value(), low + 1)
    ratio = (high / low) ** (1.0 / buckets)
    bounds = [low * ratio ** (i + 1) for i in range(buckets)]
    bounds[-1] = high
    counts = [0] * buckets
    for item in histogram.get_recorded_iterator():
        value = histogram.get_highest_equivalent_value(item.value_iterated_to)
        index = 0 if value <= low else min(buckets - 1, int(math.log(value / low, ratio)))
        while index < buckets - 1 and value > bounds[index]:
            index += 1
        counts[index] += item.count_at_value_iterated_to
    return [(bound / 1000.0, count) for bound, count in zip(bounds, counts, strict=True)]


@pytest.mark.parametrize(
    ("low_us", "high_us", "n", "buckets"),
    [(1, 50, 500, 10), (800, 120_000, 5_000, 30), (1_900_000, 2_400_000, 300, 30), (5, 5, 3, 4)],
)
def test_fast_buckets_match_the_reference(low_us: int, high_us: int, n: int, buckets: int) -> None:
    rng = random.Random(low_us)
    histogram = new_histogram(60_000_000)
    for _ in range(n):
        record_us(histogram, int(math.exp(rng.uniform(math.log(low_us), math.log(high_us)))))
    encoded = encode_histogram(histogram)
    fast = latency_buckets(encoded, buckets)
    slow = reference_buckets(encoded, buckets)
    assert [c for _, c in fast] == [c for _, c in slow]
    assert [b for b, _ in fast] == pytest.approx([b for b, _ in slow], rel=1e-9)
    assert sum(c for _, c in fast) == n


def test_a_wide_long_run_histogram_matches_too() -> None:
    rng = random.Random(1)
    histogram = new_histogram(60_000_000)
    for _ in range(20_000):
        record_us(histogram, rng.randint(1, 30_000_000))
    encoded = encode_histogram(histogram)
    fast, slow = latency_buckets(encoded), reference_buckets(encoded, 30)
    assert [c for _, c in fast] == [c for _, c in slow]
    assert [b for b, _ in fast] == pytest.approx([b for b, _ in slow], rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_fast_percentiles_match_hdrhistogram(seed: int) -> None:
    rng = random.Random(seed)
    histogram = new_histogram(60_000_000)
    for _ in range(rng.choice([1, 7, 100, 5_000])):
        record_us(histogram, int(math.exp(rng.uniform(0, math.log(30_000_000)))))
    p50, p90, p95, p99, top = stats_ms(histogram)
    expected = [histogram.get_value_at_percentile(p) / 1000.0 for p in (50, 90, 95, 99)]
    assert [p50, p90, p95, p99] == expected
    assert top == histogram.get_max_value() / 1000.0

"""A stored run's latency histogram (HdrHistogram's encoding, microseconds) as plot buckets.

results/ is a leaf and cannot use core's histogram helpers, so this reads the encoded histogram
with the same library (hdrh) and walks only its non-empty buckets.
"""

from __future__ import annotations

import math

from hdrh.histogram import HdrHistogram

from rnbench.results.errors import ResultsError


def latency_buckets(encoded: str, buckets: int = 30) -> list[tuple[float, int]]:
    """(upper bound in ms, count) of `buckets` logarithmic buckets from the recorded minimum to
    maximum; [] for "" or an empty histogram.

    Raises:
        ResultsError: `encoded` is not an encoded histogram.
    """
    if not encoded:
        return []
    try:
        histogram = HdrHistogram.decode(encoded.encode("ascii"))
    except Exception as exc:  # hdrh raises several unrelated types on bad input
        raise ResultsError(f"a stored latency histogram is unreadable: {exc}") from None
    if histogram.get_total_count() == 0:
        return []
    low = max(float(histogram.get_min_value()), 1.0)
    high = max(float(histogram.get_max_value()), low + 1.0)
    bounds = [low * (high / low) ** (i / buckets) for i in range(1, buckets + 1)]
    bounds[-1] = high
    counts = [0] * buckets
    for item in histogram.get_recorded_iterator():
        value = float(item.value_iterated_to)
        ratio = math.log(max(value, low) / low) / math.log(high / low)
        index = min(max(math.ceil(ratio * buckets) - 1, 0), buckets - 1)
        counts[index] += int(item.count_at_value_iterated_to)
    return [(b / 1000.0, c) for b, c in zip(bounds, counts, strict=True)]

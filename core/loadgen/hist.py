"""HDR histogram helpers shared by the load processes, the parent and the front ends.

Latencies are recorded in microseconds, from 1 us up to a ceiling derived from the spec, with 3
significant digits (0.1 % resolution). A histogram's memory depends on its range, never on how
many values it holds, which is what keeps a long run's memory flat. Histograms cross process
boundaries encoded (compressed, base64) and are merged with `add`.
"""

from __future__ import annotations

import numpy as np
from hdrh.histogram import HdrHistogram

from rnbench.core.errors import RnbenchError

SIGNIFICANT_FIGURES = 3
LOWEST_US = 1


def new_histogram(highest_us: int) -> HdrHistogram:
    """An empty latency histogram (microseconds) able to hold values up to `highest_us`."""
    return HdrHistogram(LOWEST_US, max(highest_us, 2 * LOWEST_US), SIGNIFICANT_FIGURES)


def record_us(histogram: HdrHistogram, value_us: int) -> None:
    """Record one value, clamped into the histogram's range (never silently dropped)."""
    if value_us < LOWEST_US:
        value_us = LOWEST_US
    elif value_us > histogram.highest_trackable_value:
        value_us = histogram.highest_trackable_value
    histogram.record_value(value_us)


def encode_histogram(histogram: HdrHistogram) -> str:
    """The histogram as a compact ASCII string (HdrHistogram's standard encoding)."""
    encoded: bytes = histogram.encode()
    return encoded.decode("ascii")


EMPTY_HIGHEST_US = 3_600_000_000
"""Range of the empty histogram that `decode_histogram("")` gives (one hour)."""


def decode_histogram(encoded: str) -> HdrHistogram:
    """A histogram from `encode_histogram` output (or a `Window`/`LoadSummary` field).

    "" (a window without a successful request) gives an empty histogram.
    Raises RnbenchError when the text is not an encoded histogram.
    """
    if not encoded:
        return new_histogram(EMPTY_HIGHEST_US)
    try:
        return HdrHistogram.decode(encoded.encode("ascii"))
    except Exception as exc:  # hdrh raises several unrelated types on bad input
        raise RnbenchError(f"not an encoded latency histogram: {exc}") from exc


def latency_buckets(encoded: str, buckets: int = 30) -> list[tuple[float, int]]:
    """Counts in `buckets` logarithmic latency buckets, as (upper bound in ms, count), for a plot.

    The buckets span the recorded minimum to maximum; an empty histogram (or "") gives [].
    Front ends call this a few times a second, so it reads the counts array with numpy instead
    of iterating in Python (milliseconds instead of tens of them).
    Raises RnbenchError when `encoded` is not an encoded histogram or `buckets` < 1.
    """
    if buckets < 1:
        raise RnbenchError(f"buckets must be at least 1, not {buckets}")
    histogram = decode_histogram(encoded)
    if histogram.get_total_count() == 0:
        return []
    values, counts = recorded_values(histogram)
    low = max(histogram.get_min_value(), LOWEST_US)
    high = max(histogram.get_max_value(), low + 1)
    bounds = low * (high / low) ** (np.arange(1, buckets + 1) / buckets)
    bounds[-1] = high
    index = np.minimum(np.searchsorted(bounds, values, side="left"), buckets - 1)
    totals = np.bincount(index, weights=counts, minlength=buckets)
    return [(float(b) / 1000.0, int(c)) for b, c in zip(bounds, totals, strict=True)]


def recorded_values(histogram: HdrHistogram) -> tuple[np.ndarray, np.ndarray]:
    """(highest equivalent value, count) of every non-empty bucket of `histogram`, in us.

    The standard HdrHistogram index-to-value mapping, vectorised over the counts array.
    """
    counts = np.ctypeslib.as_array(histogram.counts)[: histogram.counts_len]
    index = np.nonzero(counts)[0]
    half_magnitude = histogram.sub_bucket_half_count_magnitude
    half_count = histogram.sub_bucket_half_count
    bucket = (index >> half_magnitude) - 1
    sub_bucket = (index & (half_count - 1)) + half_count
    first = bucket < 0
    sub_bucket[first] -= half_count
    bucket[first] = 0
    shift = bucket + histogram.unit_magnitude
    lowest = sub_bucket.astype(np.int64) << shift
    highest = lowest + (np.int64(1) << shift) - 1
    return highest, counts[index].astype(np.int64)


def stats_ms(histogram: HdrHistogram) -> tuple[float, float, float, float, float]:
    """p50, p90, p95, p99 and max of a histogram, in milliseconds (zeros when empty).

    Percentiles follow HdrHistogram's definition (the highest equivalent value of the first
    bucket whose running count reaches the target), computed with numpy: the library's own loop
    walks all 16k buckets in Python for each percentile, several times per window.
    """
    total = histogram.get_total_count()
    if total == 0:
        return (0.0, 0.0, 0.0, 0.0, 0.0)
    values, counts = recorded_values(histogram)
    running = np.cumsum(counts)
    targets = [max(int(p * total / 100 + 0.5), 1) for p in (50.0, 90.0, 95.0, 99.0)]
    at = np.minimum(np.searchsorted(running, targets, side="left"), len(values) - 1)
    p50, p90, p95, p99 = (float(v) / 1000.0 for v in values[at])
    return (p50, p90, p95, p99, histogram.get_max_value() / 1000.0)

"""Whether the load generator itself limited a run: its CPU use per process, and the warning.

A load process runs Python worker threads under one interpreter lock, so it can use at most
about one core. When the processes spent nearly all of that (`SATURATED_PCT` of a core each),
the client, not the endpoint, may have set the throughput: the run record says so, and the
front ends show it.
"""

from __future__ import annotations

import os

from rnbench.core.loadgen.types import LoadSummary

SATURATED_PCT = 90.0
"""A load process busier than this share of one core limits the throughput it can send."""


def client_busy_pct(cpu_s: float, duration_s: float, processes: int) -> float | None:
    """Mean CPU use of one load process over the measured time, in percent of one core."""
    if duration_s <= 0 or processes < 1:
        return None
    return cpu_s / (duration_s * processes) * 100.0


def saturation_note(summary: LoadSummary) -> str:
    """A one-line warning when the load generator's own CPU limited the run, else ""."""
    busy = summary.client_busy_pct
    if busy is None or busy <= SATURATED_PCT:
        return ""
    cores = os.cpu_count() or 1
    more = (
        "; run more load processes (--processes) or more machines (--workers)"
        if summary.client_processes < cores
        else "; add load machines (--workers, rnbench worker)"
    )
    return (
        f"load generator saturated: {summary.client_processes} process(es) at {busy:.0f} % of a "
        f"core each, {summary.client_cpu_ms_per_request * 1000:.0f} us CPU per request: the "
        f"throughput may be the client's limit, not the endpoint's{more}"
    )

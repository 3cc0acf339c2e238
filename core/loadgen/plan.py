"""How a load run is laid out before it starts: checked spec, processes, histogram range."""

from __future__ import annotations

import math
import os

from rnbench.core.errors import UsageError
from rnbench.core.loadgen.types import LoadSpec

WORKERS_PER_PROCESS = 32
"""Auto mode runs at most this many workers per load process (and no more processes than CPUs)."""


def plan_processes(spec: LoadSpec) -> list[int]:
    """Workers per load process: `spec.processes`, or enough processes for 32 workers each."""
    count = spec.processes or min(
        os.cpu_count() or 1, math.ceil(spec.concurrency / WORKERS_PER_PROCESS)
    )
    count = max(1, min(count, spec.concurrency))
    base, extra = divmod(spec.concurrency, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def check_spec(spec: LoadSpec) -> None:
    """Raises UsageError, with one line, for a spec that cannot run."""
    problems = [
        (spec.concurrency < 1, f"concurrency must be at least 1, not {spec.concurrency}"),
        (spec.duration_s <= 0, f"duration must be positive, not {spec.duration_s}"),
        (spec.warmup_s < 0 or spec.warmup_requests < 0, "warm-up cannot be negative"),
        (spec.rate is not None and not spec.rate > 0, f"rate must be positive, not {spec.rate}"),
        (spec.timeout_s <= 0, f"timeout must be positive, not {spec.timeout_s}"),
        (spec.processes < 0, f"processes cannot be negative, not {spec.processes}"),
        (spec.window_s <= 0, f"window must be positive, not {spec.window_s}"),
        (spec.stability_window_s <= 0, "stability window must be positive"),
        (spec.stability_pct is not None and not spec.stability_pct > 0, "stability % must be > 0"),
        (spec.arrival not in ("constant", "poisson"), f"unknown arrival {spec.arrival!r}"),
    ]
    for bad, message in problems:
        if bad:
            raise UsageError(message)


def highest_us(spec: LoadSpec) -> int:
    """The largest latency to record, in us: the timeout, plus (open loop, where latency runs
    from the intended time and queueing can exceed the timeout) the run's whole length."""
    seconds = spec.timeout_s
    if spec.rate is not None:
        seconds += spec.warmup_s + spec.duration_s
    return int(seconds * 1e6) + 1_000_000

"""How a load run is laid out before it starts: checked spec, processes, histogram range."""

from __future__ import annotations

import os

from rnbench.core.errors import UsageError
from rnbench.core.loadgen.types import LoadSpec


def plan_processes(spec: LoadSpec) -> list[int]:
    """Workers per load process: `spec.processes`, or (auto) one process per CPU.

    A load process is one Python interpreter, so it sends at most one core's worth of requests;
    against a fast target only every core keeps up. Against a slow one the extra processes
    mostly wait, which costs little. Never more processes than workers.
    """
    count = spec.processes or os.cpu_count() or 1
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
        (spec.workers < 0 or spec.remote_workers < 0, "workers cannot be negative"),
        (not 0 < spec.master_port < 65536, f"not a port number: {spec.master_port}"),
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

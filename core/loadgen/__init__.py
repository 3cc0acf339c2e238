"""The load generator: closed- and open-loop load from separate processes, HDR-recorded.

`LoadRun` (start, poll windows, result, cancel) and `run_load` (blocking, with a callback) are
the API; `decode_histogram` and `latency_buckets` read the encoded histograms of windows and
summaries.
"""

from rnbench.core.loadgen.distributed import LocustLoadRun
from rnbench.core.loadgen.hist import decode_histogram, latency_buckets
from rnbench.core.loadgen.plan import check_spec, plan_processes
from rnbench.core.loadgen.run import LoadRun, run_load
from rnbench.core.loadgen.transport import Target
from rnbench.core.loadgen.types import LoadError, LoadJob, LoadSpec, LoadSummary, Window
from rnbench.core.loadgen.workers import LATE_AFTER_NS


def open_load_run(target: Target, body: bytes, spec: LoadSpec) -> LoadRun | LocustLoadRun:
    """A load run of `spec`: local load processes, or Locust workers when it asks for them."""
    if spec.distributed:
        return LocustLoadRun(target, body, spec)
    return LoadRun(target, body, spec)


__all__ = [
    "LATE_AFTER_NS",
    "LoadError",
    "LoadJob",
    "LoadRun",
    "LocustLoadRun",
    "LoadSpec",
    "LoadSummary",
    "Window",
    "check_spec",
    "decode_histogram",
    "latency_buckets",
    "open_load_run",
    "plan_processes",
    "run_load",
]

"""The load generator: closed- and open-loop load from separate processes, HDR-recorded.

`LoadRun` (start, poll windows, result, cancel) and `run_load` (blocking, with a callback) are
the API; `decode_histogram` and `latency_buckets` read the encoded histograms of windows and
summaries.
"""

from rnbench.core.loadgen.hist import decode_histogram, latency_buckets
from rnbench.core.loadgen.plan import check_spec, plan_processes
from rnbench.core.loadgen.run import LoadRun, run_load
from rnbench.core.loadgen.types import LoadError, LoadJob, LoadSpec, LoadSummary, Window
from rnbench.core.loadgen.workers import LATE_AFTER_NS

__all__ = [
    "LATE_AFTER_NS",
    "LoadError",
    "LoadJob",
    "LoadRun",
    "LoadSpec",
    "LoadSummary",
    "Window",
    "check_spec",
    "decode_histogram",
    "latency_buckets",
    "plan_processes",
    "run_load",
]

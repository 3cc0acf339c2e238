"""The load generator: closed- and open-loop load from separate processes, HDR-recorded.

`LoadRun` (start, poll windows, result, cancel) and `run_load` (blocking, with a callback) are
the API; `decode_histogram` and `latency_buckets` read the encoded histograms of windows and
summaries. Names are loaded on first use (PEP 562): the TUI imports `LoadSpec` at start-up and
must not pay for numpy, the HDR histogram and Locust's client before its first frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rnbench.core.lazy_names import loader

if TYPE_CHECKING:
    from rnbench.core.loadgen.distributed import LocustLoadRun
    from rnbench.core.loadgen.hist import decode_histogram, latency_buckets
    from rnbench.core.loadgen.plan import check_spec, plan_processes
    from rnbench.core.loadgen.run import LoadRun, run_load
    from rnbench.core.loadgen.transport import Target
    from rnbench.core.loadgen.types import LoadError, LoadJob, LoadSpec, LoadSummary, Window
    from rnbench.core.loadgen.workers import LATE_AFTER_NS

_HOMES = {
    "LATE_AFTER_NS": "workers",
    "LoadError": "types",
    "LoadJob": "types",
    "LoadRun": "run",
    "LocustLoadRun": "distributed",
    "LoadSpec": "types",
    "LoadSummary": "types",
    "Window": "types",
    "check_spec": "plan",
    "decode_histogram": "hist",
    "latency_buckets": "hist",
    "plan_processes": "plan",
    "run_load": "run",
}
"""Each exported name and the module of this package that defines it."""


__getattr__ = loader(__name__, _HOMES)


def open_load_run(target: Target, body: bytes, spec: LoadSpec) -> LoadRun | LocustLoadRun:
    """A load run of `spec`: local load processes, or Locust workers when it asks for them."""
    if spec.distributed:
        from rnbench.core.loadgen.distributed import LocustLoadRun

        return LocustLoadRun(target, body, spec)
    from rnbench.core.loadgen.run import LoadRun

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

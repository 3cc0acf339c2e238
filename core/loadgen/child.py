"""The body of one load process: start worker threads, stream window parts to the parent.

The parent passes a `LoadJob`, shared control values (start, measure and stop times; see
`recorder`) and one pipe end. The process reports `("ready",)`, waits for the start time, runs
its workers, sends a `Part` for every window as it completes, and ends with
`("done", warm-up requests)`. A failure of its own is sent as `("crash", one line)` before it
exits with status 1.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from multiprocessing.connection import Connection

from rnbench.core.loadgen.recorder import MEASURE, START, STOP, Recorder
from rnbench.core.loadgen.types import LoadJob
from rnbench.core.loadgen.workers import Schedule, closed_loop, guarded, open_loop

FLUSH_DELAY_NS = 20_000_000
"""A window is sent this long after it ends, so requests finishing at its edge are in it."""
_TICK_S = 0.005
"""How often a waiting process looks at the control values (start, warm-up end, stop)."""
_MEASURING_TICK_S = 0.05
"""While measuring, the longest sleep between looks: a stop is seen within 50 ms."""
_START_TIMEOUT_NS = 120_000_000_000
_JOIN_S = 1.0


def child_main(
    job: LoadJob, control: Sequence[int], warm_counts: Sequence[int], conn: Connection
) -> None:
    """Entry point of a load process (runs under the `spawn` start method)."""
    # Ctrl-C reaches the whole process group: the parent decides how the run stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _run(job, control, warm_counts, conn)
    except BaseException as exc:
        try:
            conn.send(("crash", f"load process {job.process}: {type(exc).__name__}: {exc}"))
        finally:
            raise SystemExit(1) from None


def _run(
    job: LoadJob, control: Sequence[int], warm_counts: Sequence[int], conn: Connection
) -> None:
    spec, process = job.spec, job.process
    recorder = Recorder(job, control, warm_counts)
    conn.send(("ready",))
    deadline = time.perf_counter_ns() + _START_TIMEOUT_NS
    while control[START] == 0:
        if control[STOP] or time.perf_counter_ns() > deadline:
            conn.send(("done", 0))
            return
        time.sleep(_TICK_S)

    stop = threading.Event()
    schedule = None
    if spec.rate is not None:
        share = spec.rate * job.workers / spec.concurrency
        schedule = Schedule(control[START], share, spec.rate, spec.arrival, spec.seed, process)
    threads = []
    for n in range(job.workers):
        invoker = job.target.open(spec.timeout_s)
        loop: Callable[[], None]
        if schedule is None:
            loop = partial(closed_loop, invoker, job.body, recorder, stop)
        else:
            loop = partial(open_loop, invoker, job.body, recorder, stop, schedule)
        name = f"load worker {process}.{n}"
        threads.append(
            threading.Thread(target=guarded(loop, invoker, recorder, name), name=name, daemon=True)
        )
    for thread in threads:
        thread.start()
    try:
        _stream(recorder, control, job.window_ns, conn)
    finally:
        stop.set()
        deadline_s = time.monotonic() + _JOIN_S
        for thread in threads:
            thread.join(max(0.0, deadline_s - time.monotonic()))
    conn.send(("done", recorder.warmup_requests))


def _stream(recorder: Recorder, control: Sequence[int], window_ns: int, conn: Connection) -> None:
    """Send window parts as windows complete, until measuring ends (or stops before it began)."""
    cpu_mark: float | None = None
    parent = os.getppid()
    while True:
        if os.getppid() != parent:
            raise RuntimeError("the parent process is gone")
        for note in recorder.take_notes():
            conn.send(("note", note))
        if recorder.fatal is not None:
            raise RuntimeError(recorder.fatal)
        now = time.perf_counter_ns()
        measure = control[MEASURE]
        if measure == 0 or now < measure:
            if control[STOP]:
                return  # cancelled during warm-up: nothing was measured
            time.sleep(_TICK_S)
            continue
        if cpu_mark is None:
            cpu_mark = time.process_time()
        end = recorder.end_ns()
        final = now >= end + FLUSH_DELAY_NS
        if final:
            upto = -(-(end - measure) // window_ns)
            last_end: int | None = end - measure
        else:
            upto = (now - FLUSH_DELAY_NS - measure) // window_ns
            last_end = None
        cpu_now = time.process_time()
        parts = recorder.take(upto, last_end, cpu_now - cpu_mark)
        if parts:
            cpu_mark = cpu_now
        for part in parts:
            conn.send(("part", part))
        if final:
            return
        next_edge = measure + (upto + 1) * window_ns + FLUSH_DELAY_NS
        wake_ns = min(next_edge, end + FLUSH_DELAY_NS) - time.perf_counter_ns()
        time.sleep(min(max(wake_ns, 0) / 1e9, _MEASURING_TICK_S))

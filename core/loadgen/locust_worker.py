"""A Locust worker that sends rnbench's requests and reports exact HDR window parts to its master.

Run as its own process (`python -m rnbench.core.loadgen.locust_worker HOST PORT`, or
`rnbench worker --master HOST[:PORT]`): importing locust monkey-patches the standard library for
gevent, which must never happen in the rnbench front ends.

The master sends this worker its `LoadJob` (target, body, spec, process index) in an
`rnbench_job` message, repeated until this worker's reports say it has it; only then does Locust
spawn `RnbenchUser`s here. Each user holds one connection and
sends requests back to back (closed loop), recording every outcome in the same `Recorder` as a
local load process. Locust's own statistics are not used for results (its percentiles are
rounded): every worker report (`report_to_master`) carries the window parts completed since the
last one, each with its encoded HdrHistogram, and the last report says the worker is done.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import pickle
import sys
import threading
import time
from typing import Any

import gevent
import locust.runners
from locust import User, constant, task
from locust.env import Environment

from rnbench.core.loadgen.child import FLUSH_DELAY_NS
from rnbench.core.loadgen.recorder import CONTROL_SIZE, MEASURE, START, STOP, Recorder
from rnbench.core.loadgen.transport import Invoker
from rnbench.core.loadgen.types import LoadJob
from rnbench.core.loadgen.workers import Backoff, _invoke

REPORT_INTERVAL_S = 1.0
"""How often a worker reports to its master (Locust's default is 3 s)."""
JOB_MESSAGE = "rnbench_job"
STOP_MESSAGE = "rnbench_stop"
PARTS_KEY = "rnbench_parts"
DONE_KEY = "rnbench_done"
WARM_KEY = "rnbench_warmup"
MEASURED_KEY = "rnbench_measured_ok"
FATAL_KEY = "rnbench_fatal"
HAS_JOB_KEY = "rnbench_has_job"
"""In every report once the worker holds its job: the master starts no user before that."""


def encode_object(value: object) -> str:
    """A picklable value as text for a Locust (msgpack) message."""
    return base64.b64encode(pickle.dumps(value)).decode("ascii")


def decode_object(text: str) -> Any:
    return pickle.loads(base64.b64decode(text))


class _State:
    """This worker's job and recorder (one run per worker process)."""

    def __init__(self) -> None:
        self.job: LoadJob | None = None
        self.recorder: Recorder | None = None
        self.control = [0] * CONTROL_SIZE
        self.cpu_mark: float | None = None
        self.measured_ok = 0
        self.done = False
        self.finished = threading.Event()
        """Set with `done` (gevent's Event once locust has patched threading)."""


STATE = _State()


class RnbenchUser(User):
    """One closed-loop connection to the job's target."""

    wait_time = constant(0)

    def on_start(self) -> None:
        job = STATE.job
        if job is None:
            raise RuntimeError("user started before the master sent the job")
        control = STATE.control
        if not control[START]:  # the first user starts the warm-up (all start within ms)
            now = time.perf_counter_ns()
            control[START] = now
            control[MEASURE] = now + int(job.spec.warmup_s * 1e9)
        self._invoker: Invoker = job.target.open(job.spec.timeout_s)

    def on_stop(self) -> None:
        self._invoker.close()

    @task
    def send(self) -> None:
        """Send requests back to back until Locust stops this user (it kills the greenlet).

        One long task instead of one task per request spares Locust's per-task scheduling. A
        user with nothing (left) to send waits instead of returning at once: Locust would call
        the task again straight away, and that spin would starve the worker's reports."""
        job, recorder = STATE.job, STATE.recorder
        if job is None or recorder is None or STATE.done:
            gevent.sleep(0.1)
            return
        invoker, body, record, clock = (
            self._invoker,
            job.body,
            recorder.record,
            time.perf_counter_ns,
        )
        backoff = Backoff(STATE.finished)  # a refused connection does not block: wait after it
        while not STATE.done:
            sent = clock()
            reply, kind = _invoke(invoker, body, recorder)
            record(sent, clock(), reply, kind, False)
            backoff.after(kind)


def _on_job(environment: Environment, msg: Any, **_: Any) -> None:
    """Take the job (the master repeats it until a report says it arrived: once is enough)."""
    if STATE.job is not None:
        return
    job: LoadJob = decode_object(msg.data["job"])
    STATE.recorder = Recorder(job, STATE.control, None)  # warm-up starts with the first user
    STATE.job = job


def _on_stop(environment: Environment, msg: Any, **_: Any) -> None:
    """Stop measuring: after window `last` (stability), or now (cancelled)."""
    control, job = STATE.control, STATE.job
    if job is None or control[STOP]:
        return
    last = msg.data.get("last")
    if last is None or not control[MEASURE]:
        control[STOP] = time.perf_counter_ns()
    else:
        control[STOP] = control[MEASURE] + (int(last) + 1) * job.window_ns


def _on_report(client_id: str, data: dict[str, Any]) -> None:
    """Add the window parts completed since the last report to this report."""
    job, recorder, control = STATE.job, STATE.recorder, STATE.control
    if job is None or recorder is None or STATE.done:
        return
    data[HAS_JOB_KEY] = True
    if recorder.fatal is not None:
        data[FATAL_KEY] = recorder.fatal
    now = time.perf_counter_ns()
    measure = control[MEASURE]
    if not measure and control[STOP]:  # stopped before any user started: nothing measured
        _done(data, recorder)
        return
    if not measure or now < measure:  # no user yet, or still warming up
        return
    if STATE.cpu_mark is None:
        STATE.cpu_mark = time.process_time()
    end = recorder.end_ns()
    final = now >= end + FLUSH_DELAY_NS
    if final:
        upto = -(-(end - measure) // job.window_ns)
        last_end: int | None = end - measure
    else:
        upto = (now - FLUSH_DELAY_NS - measure) // job.window_ns
        last_end = None
    cpu_now = time.process_time()
    parts = recorder.take(upto, last_end, cpu_now - STATE.cpu_mark)
    if parts:
        STATE.cpu_mark = cpu_now
    STATE.measured_ok += sum(part.ok for part in parts)
    data[PARTS_KEY] = [dataclasses.asdict(part) for part in parts]
    if final:
        _done(data, recorder)


def _done(data: dict[str, Any], recorder: Recorder) -> None:
    """Make this the worker's last report."""
    STATE.done = True
    STATE.finished.set()
    data[DONE_KEY] = True
    data[WARM_KEY] = recorder.warmup_requests
    data[MEASURED_KEY] = STATE.measured_ok


def _exit_with_parent(parent: int) -> None:
    """A worker started by a run (or by `rnbench worker`) never outlives it."""
    while os.getppid() == parent:
        gevent.sleep(0.5)
    os._exit(1)


def run_worker(master_host: str, master_port: int) -> None:
    """Connect to the master and serve until it quits."""
    locust.runners.WORKER_REPORT_INTERVAL = REPORT_INTERVAL_S
    environment = Environment(user_classes=[RnbenchUser])
    runner = environment.create_worker_runner(master_host, master_port)
    runner.register_message(JOB_MESSAGE, _on_job)
    runner.register_message(STOP_MESSAGE, _on_stop)
    environment.events.report_to_master.add_listener(_on_report)  # type: ignore[no-untyped-call]
    gevent.spawn(_exit_with_parent, os.getppid())
    assert runner.greenlet is not None
    runner.greenlet.join()


def main(argv: list[str]) -> None:
    host, port = argv[0], int(argv[1])
    run_worker(host, port)
    # The master is gone: skip zmq's wait to deliver messages nobody will read.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])

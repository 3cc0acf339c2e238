"""The Locust master of a distributed rnbench run; merges its workers' exact window parts.

Run as its own process by `distributed.LocustLoadRun` (`python -m
rnbench.core.loadgen.locust_master JOB_FILE`): locust monkey-patches for gevent on import. It
binds Locust's master runner, waits for the expected workers, sends each its `LoadJob` (with its
own process index), starts `spec.concurrency` users across them, and merges the window parts
they report (see `locust_worker`) with the same `Merger` as local load processes. What it has to
say goes to stdout as pickled tuples: ("listening", port), ("started",), ("window", Window),
("note", text), ("summary", LoadSummary, {worker index: measured requests}) or ("error", text).
SIGTERM cancels the run: measuring stops and what was measured is summarised.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import time
from typing import Any

import gevent
from locust.env import Environment

from rnbench.core.errors import RnbenchError
from rnbench.core.loadgen.distributed import DistributedJob
from rnbench.core.loadgen.locust_worker import (
    DONE_KEY,
    FATAL_KEY,
    HAS_JOB_KEY,
    JOB_MESSAGE,
    MEASURED_KEY,
    PARTS_KEY,
    STOP_MESSAGE,
    WARM_KEY,
    RnbenchUser,
    encode_object,
)
from rnbench.core.loadgen.merge import Merger
from rnbench.core.loadgen.plan import highest_us
from rnbench.core.loadgen.recorder import Part
from rnbench.core.loadgen.types import LoadJob

_WORKERS_TIMEOUT_S = 120.0
_JOB_TIMEOUT_S = 30.0
"""How long connected workers have to confirm their job before the run fails."""
_END_MARGIN_S = 30.0
"""How long past the run's planned end the master waits for the workers' last reports."""
_CANCEL_GRACE_S = 10.0
"""How long a cancelled run waits for its workers' last reports before it summarises the
windows merged so far."""
_RESEND_S = 1.0
"""How often the master repeats a job to workers that have not confirmed it, and a cancelled
run's stop to workers that have not finished."""


def _emit(*message: object) -> None:
    out = sys.stdout.buffer
    pickle.dump(message, out)
    out.flush()


class _Master:
    def __init__(self, job: DistributedJob) -> None:
        self.job = job
        self.highest_us = highest_us(job.spec)
        self.merger = Merger(job.spec, job.workers, self.highest_us)
        self.environment = Environment(user_classes=[RnbenchUser])
        self.runner = self.environment.create_master_runner(job.bind_host, job.port)
        self.index: dict[str, int] = {}
        self.has_job: set[str] = set()
        self.done: set[str] = set()
        self.warm = 0
        self.measured: dict[int, int] = {}
        self.reports: dict[str, int] = {}
        self.last_report: dict[str, float] = {}
        self.cancelled_at: float | None = None
        self.stop_sent = False
        self.error: str | None = None
        self.environment.events.worker_report.add_listener(self.on_report)  # type: ignore[no-untyped-call]

    def cancel(self) -> None:
        """Stop measuring now (SIGTERM); the stop is repeated until every worker is done."""
        self.cancelled_at = self.cancelled_at or time.monotonic()
        self.stop_sent = True
        self.runner.send_message(STOP_MESSAGE, {"last": None})

    def on_report(self, client_id: str, data: dict[str, Any]) -> None:
        if client_id not in self.index:
            return
        self.reports[client_id] = self.reports.get(client_id, 0) + 1
        self.last_report[client_id] = time.monotonic()
        if data.get(HAS_JOB_KEY):
            self.has_job.add(client_id)
        if FATAL_KEY in data:
            self.error = str(data[FATAL_KEY])
        for fields in data.get(PARTS_KEY, ()):
            for window in self.merger.add(Part(**fields)):
                _emit("window", window)
        if self.merger.stable and not self.stop_sent:
            self.stop_sent = True
            self.runner.send_message(STOP_MESSAGE, {"last": self.merger.windows[-1].index})
        if data.get(DONE_KEY):
            self.done.add(client_id)
            self.warm += int(data.get(WARM_KEY, 0))
            self.measured[self.index[client_id]] = int(data.get(MEASURED_KEY, 0))

    def run(self) -> None:
        job, runner = self.job, self.runner
        assert runner.server is not None
        _emit("listening", runner.server.port)
        deadline = time.monotonic() + _WORKERS_TIMEOUT_S
        while runner.worker_count < job.workers:
            if self.cancelled_at is not None or time.monotonic() > deadline:
                have = runner.worker_count
                raise RnbenchError(f"only {have} of {job.workers} Locust workers connected")
            gevent.sleep(0.05)
        for index, client_id in enumerate(list(runner.clients.keys())[: job.workers]):
            self.index[client_id] = index
        self._hand_out_jobs()
        runner.start(job.spec.concurrency, spawn_rate=max(job.spec.concurrency * 10, 100))
        _emit("started")
        spec = job.spec
        end = time.monotonic() + spec.warmup_s + spec.duration_s + _END_MARGIN_S
        resent = 0.0
        while len(self.done) < job.workers:
            now = time.monotonic()
            if self.error is not None:
                raise RnbenchError(self.error)
            lost = runner.worker_count < job.workers
            if self.cancelled_at is not None:
                if lost or now > self.cancelled_at + _CANCEL_GRACE_S:
                    _emit("note", f"cancelled: {self._unfinished()}; summarised what was merged")
                    break
                if now > resent + _RESEND_S:
                    resent = now
                    runner.send_message(STOP_MESSAGE, {"last": None})
            elif lost:
                raise RnbenchError("a Locust worker disconnected during the run")
            if now > end:
                raise RnbenchError(f"Locust workers never finished: {self._unfinished()}")
            gevent.sleep(0.05)
        summary = self.merger.summary(spec.concurrency, self.warm)
        _emit("summary", summary, dict(self.measured))

    def _hand_out_jobs(self) -> None:
        """Send each worker its share, again every `_RESEND_S` until its report says it has it:
        a user spawned before its worker holds the job would die, and that worker would never
        finish."""
        job, runner = self.job, self.runner
        messages = {
            client_id: {
                "job": encode_object(
                    LoadJob(job.target, job.body, job.spec, index, 0, self.highest_us)
                )
            }
            for client_id, index in self.index.items()
        }
        deadline = time.monotonic() + _JOB_TIMEOUT_S
        sent = 0.0
        while missing := [c for c in self.index if c not in self.has_job]:
            now = time.monotonic()
            if self.cancelled_at is not None:
                raise RnbenchError("cancelled before the Locust workers started")
            if now > deadline:
                which = ", ".join(str(self.index[c]) for c in missing)
                raise RnbenchError(f"Locust worker(s) {which} never confirmed their job")
            if now > sent + _RESEND_S:
                sent = now
                for client_id in missing:
                    runner.send_message(JOB_MESSAGE, messages[client_id], client_id=client_id)
            gevent.sleep(0.05)

    def _unfinished(self) -> str:
        """Which workers have not sent their last report, and when they last reported."""
        now, lines = time.monotonic(), []
        for client_id, index in self.index.items():
            if client_id in self.done:
                continue
            count = self.reports.get(client_id, 0)
            last = self.last_report.get(client_id)
            ago = "never" if last is None else f"the last {now - last:.1f} s ago"
            lines.append(f"worker {index} sent {count} report(s), {ago}")
        return "; ".join(lines)


def main(argv: list[str]) -> None:
    with open(argv[0], "rb") as file:
        job: DistributedJob = pickle.load(file)
    parent = os.getppid()
    master = _Master(job)
    gevent.signal_handler(signal.SIGTERM, master.cancel)

    def watch_parent() -> None:
        while os.getppid() == parent:
            gevent.sleep(0.5)
        os._exit(1)

    gevent.spawn(watch_parent)
    try:
        master.run()
    except Exception as exc:  # noqa: BLE001 - reported to the parent as one line
        _emit(
            "error",
            f"{type(exc).__name__}: {exc}" if not isinstance(exc, RnbenchError) else str(exc),
        )
    finally:
        try:
            master.runner.quit()
        except Exception:  # noqa: BLE001 - quitting a broken runner may fail
            pass
        sys.stdout.flush()
        os._exit(0)  # skip zmq's wait to deliver messages to workers that already quit


if __name__ == "__main__":
    main(sys.argv[1:])

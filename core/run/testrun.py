"""`TestRun`: a load test of one deployment, stored as it goes.

The load generator works in its own processes; a follower thread hands every window to a
`WindowLog` as it arrives, and at the end stores the record (with the backend's own latency
figures, when it has any). Front ends sample `snapshot()` at their own pace.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from rnbench.core.backends.protocol import Backend
from rnbench.core.errors import RnbenchError
from rnbench.core.loadgen import open_load_run
from rnbench.core.loadgen.transport import InvokeError
from rnbench.core.loadgen.types import LoadError, LoadSummary, Window
from rnbench.core.run.cold_start import first_request_ms
from rnbench.core.run.record import (
    TestPlan,
    build_record,
    cancelled_note,
    run_status,
    with_server_latency,
)
from rnbench.results.errors import ResultsError
from rnbench.results.record import RunRecord
from rnbench.results.store import RunStore, new_run_id


@dataclass(frozen=True)
class TestSnapshot:
    """What a front end shows of a test in progress."""

    __test__ = False  # not a pytest test class

    config_key: str
    run_id: str
    phase: str
    """`starting`, `warmup`, `measuring`, `done`, `failed` or `cancelled`."""
    windows: tuple[Window, ...]
    """The most recent windows, oldest first."""
    histogram: tuple[tuple[float, int], ...]
    """Latency distribution of the whole measured run so far: (upper bound ms, count)."""
    record: RunRecord | None
    """The stored result, once the run is over."""
    error: str | None


class TestRun:
    """A load test of one deployment, stored as it goes."""

    __test__ = False  # not a pytest test class

    def __init__(self, store: RunStore, backend: Backend, plan: TestPlan) -> None:
        self._store = store
        self._backend = backend
        self._plan = plan
        self.run_id = new_run_id()
        self._started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self._wall_start = time.time()
        self._load = open_load_run(plan.deployment.target, plan.body, plan.spec)
        from rnbench.core.run.windows import WindowLog  # numpy and HDR: once a test starts

        self._windows = WindowLog(store, self.run_id)
        self._lock = threading.Lock()
        self._record: RunRecord | None = None
        self._error: str | None = None
        self._finished = threading.Event()
        self._cold_start_ms: float | None = None
        self._cancelled = False
        self._thread = threading.Thread(
            target=self._follow, name=f"test-{plan.config.key}", daemon=True
        )

    @property
    def key(self) -> str:
        """The configuration under test."""
        return self._plan.config.key

    def start(self) -> TestRun:
        self._wall_start = time.time()
        self._store.begin_run(self._record_from(None, status="running"))
        if not self._plan.config.serverless:
            self._load.start()
        self._thread.start()
        return self

    def snapshot(self) -> TestSnapshot:
        with self._lock:
            record, error = self._record, self._error
        windows, buckets = self._windows.recent(), self._windows.buckets()
        phase = self._load.phase if record is None and error is None else self._final_phase()
        return TestSnapshot(self.key, self.run_id, phase, windows, buckets, record, error)

    def _final_phase(self) -> str:
        return "failed" if self._error is not None else "done"

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    def cancel(self) -> None:
        self._cancelled = True
        self._load.cancel()

    def wait(self, timeout: float | None = None) -> RunRecord:
        """The stored record once the run is over.

        Raises:
            RnbenchError: the run failed (the message says why) or `timeout` passed.
        """
        if not self._finished.wait(timeout):
            raise RnbenchError(f"{self.key}: the test is still running")
        if self._record is None:
            raise RnbenchError(self._error or f"{self.key}: the test failed")
        return self._record

    def _cold_start(self) -> None:
        """Serverless: time the first request alone (see `cold_start`), then start the load."""
        try:
            self._cold_start_ms = first_request_ms(self._plan.deployment.target, self._plan.body)
        except InvokeError as exc:
            raise RnbenchError(
                f"{self.key}: the first (cold start) request failed: {exc}"
            ) from None
        if self._cancelled:
            raise RnbenchError(f"{self.key}: cancelled before the load started")
        self._load.start()

    def _follow(self) -> None:
        try:
            if self._plan.config.serverless:
                self._cold_start()
            while not self._load.done:
                self._windows.add(self._load.poll())
                time.sleep(0.2)
            self._windows.add(self._load.poll())
            summary = self._load.result()
            status, note = run_status(summary, self._plan.spec.max_error_pct)
            if self._cancelled:  # cut short (tear down, quit): never the row's performance
                status, note = "interrupted", cancelled_note(summary, self._plan.spec)
            record = self._record_from(summary, status)  # its note: a saturated client, if so
            record = replace(record, note="; ".join(n for n in (note, record.note) if n))
            record = self._with_server_latency(record)
            self._store.finish_run(record)
            with self._lock:
                self._record = record
        except LoadError as exc:  # nothing succeeded: its errors are stored with it
            status = "interrupted" if self._cancelled else "failed"
            self._fail(str(exc), exc.errors, exc.duration_s, status)
        except (RnbenchError, ResultsError) as exc:  # a one-line message of its own
            self._fail(str(exc))
        except Exception as exc:  # noqa: BLE001 - reported to the user, never a silent thread death
            self._fail(f"{self.key}: test failed: {type(exc).__name__}: {exc}")
        finally:
            self._finished.set()

    def _with_server_latency(self, record: RunRecord) -> RunRecord:
        """Add the backend's own latency figures for the run (SageMaker: CloudWatch), if any."""
        if record.server_p50_ms is not None:
            return record
        latency = self._backend.server_latency(self._plan.deployment, self._wall_start, time.time())
        return with_server_latency(record, latency)

    def _fail(
        self,
        message: str,
        errors: dict[str, int] | None = None,
        duration_s: float = 0.0,
        status: str = "failed",
    ) -> None:
        with self._lock:
            self._error = message
        record = replace(self._record_from(None, status=status), note=message)
        if errors:
            record = replace(
                record,
                errors=sum(errors.values()),
                errors_by_kind=json.dumps(errors, sort_keys=True),
                duration_s=duration_s,
            )
        self._store.finish_run(record)

    def _record_from(self, summary: LoadSummary | None, status: str) -> RunRecord:
        record = build_record(self._plan, self.run_id, self._started_at, summary, status)
        return replace(record, cold_start_ms=self._cold_start_ms)

"""The engine both front ends drive: configurations, their backends, prices, and stored tests.

The CLI calls it directly; the TUI calls it from thread workers. A test runs as a `TestRun`: the
load generator works in its own processes, a follower thread stores every window as it arrives
(a crash loses at most the last one), and front ends sample `snapshot()` at their own pace.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from hdrh.histogram import HdrHistogram

from rnbench.core.backend import Backend, Deployment, Progress, State, Status, no_progress
from rnbench.core.configs import Configuration, all_configurations, get_configuration
from rnbench.core.errors import NotDeployedError, RnbenchError
from rnbench.core.loadgen import LoadRun, decode_histogram, latency_buckets
from rnbench.core.loadgen.hist import encode_histogram
from rnbench.core.loadgen.types import LoadSpec, LoadSummary, Window
from rnbench.results.cost import cost_figures
from rnbench.results.export import export_csv
from rnbench.results.prices import Price, PriceBook
from rnbench.results.record import RunRecord
from rnbench.results.store import RunStore, WindowRow, new_run_id

RNBENCH_VERSION = version("rnbench")


@dataclass(frozen=True)
class TestSnapshot:
    """What a front end shows of a test in progress."""

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

    def __init__(
        self,
        store: RunStore,
        backend: Backend,
        config: Configuration,
        deployment: Deployment,
        spec: LoadSpec,
        body: bytes,
        price: Price | None,
        sweep_id: str = "",
    ) -> None:
        self._store = store
        self._backend = backend
        self._wall_start = time.time()
        self._config = config
        self._deployment = deployment
        self._spec = spec
        self._body = body
        self._price = price
        self._sweep_id = sweep_id
        self.run_id = new_run_id()
        self._started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self._load = LoadRun(deployment.target, body, spec)
        self._lock = threading.Lock()
        self._windows: deque[Window] = deque(maxlen=600)
        self._histogram: HdrHistogram | None = None
        self._record: RunRecord | None = None
        self._error: str | None = None
        self._finished = threading.Event()
        self._thread = threading.Thread(target=self._follow, name=f"test-{config.key}", daemon=True)

    def start(self) -> TestRun:
        self._wall_start = time.time()
        self._store.begin_run(self._record_from(None, status="running"))
        self._load.start()
        self._thread.start()
        return self

    def snapshot(self) -> TestSnapshot:
        with self._lock:
            windows = tuple(self._windows)
            histogram = encode_histogram(self._histogram) if self._histogram else ""
            record, error = self._record, self._error
        phase = self._load.phase if record is None and error is None else self._final_phase()
        buckets = tuple(latency_buckets(histogram)) if histogram else ()
        return TestSnapshot(self._config.key, self.run_id, phase, windows, buckets, record, error)

    def _final_phase(self) -> str:
        return "failed" if self._error is not None else "done"

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    def cancel(self) -> None:
        self._load.cancel()

    def wait(self, timeout: float | None = None) -> RunRecord:
        """The stored record once the run is over.

        Raises:
            RnbenchError: the run failed (the message says why) or `timeout` passed.
        """
        if not self._finished.wait(timeout):
            raise RnbenchError(f"{self._config.key}: the test is still running")
        if self._record is None:
            raise RnbenchError(self._error or f"{self._config.key}: the test failed")
        return self._record

    def _follow(self) -> None:
        try:
            while not self._load.done:
                self._take(self._load.poll())
                time.sleep(0.2)
            self._take(self._load.poll())
            summary = self._load.result()
            record = self._with_server_latency(self._record_from(summary, status="ok"))
            self._store.finish_run(record)
            with self._lock:
                self._record = record
        except RnbenchError as exc:
            self._fail(str(exc))
        except Exception as exc:  # noqa: BLE001 - reported to the user, never a silent thread death
            self._fail(f"{self._config.key}: test failed: {type(exc).__name__}: {exc}")
        finally:
            self._finished.set()

    def _with_server_latency(self, record: RunRecord) -> RunRecord:
        """Add the backend's own latency figures for the run (SageMaker: CloudWatch), if any."""
        fetch = getattr(self._backend, "server_latency", None)
        if fetch is None or record.server_p50_ms is not None:
            return record
        figures = fetch(self._deployment, self._wall_start, time.time())
        if figures is None:
            return replace(record, note="CloudWatch latency not yet available for this run")
        model_ms, overhead_ms = figures
        return replace(record, server_p50_ms=model_ms, server_overhead_p50_ms=overhead_ms)

    def _fail(self, message: str) -> None:
        with self._lock:
            self._error = message
        self._store.finish_run(replace(self._record_from(None, status="failed"), note=message))

    def _take(self, windows: Sequence[Window]) -> None:
        for window in windows:
            self._store.add_window(self.run_id, _window_row(window))
            with self._lock:
                self._windows.append(window)
                if window.histogram:
                    latencies = decode_histogram(window.histogram)
                    if self._histogram is None:
                        self._histogram = latencies
                    else:
                        self._histogram.add(latencies)

    def _record_from(self, summary: LoadSummary | None, status: str) -> RunRecord:
        config, spec, details = self._config, self._spec, self._deployment.details
        tps = summary.tps if summary else 0.0
        price = self._price
        costs = cost_figures(tps, price.usd_per_hour if price else None)
        warmup = f"{spec.warmup_s:g}s" + (
            f" + {spec.warmup_requests} requests" if spec.warmup_requests else ""
        )
        deviation = details.get("max_prob_deviation")
        return RunRecord(
            run_id=self.run_id,
            started_at=self._started_at,
            config=config.key,
            backend=config.backend,
            instance_type=self._deployment.instance_type,
            runtime=details.get("runtime", config.runtime),
            compiled=config.compiled,
            device=details.get("device", config.device),
            weights=details.get("weights", "unknown"),
            mode=spec.mode,
            concurrency=spec.concurrency,
            warmup=warmup,
            duration_s=summary.duration_s if summary else 0.0,
            requests=summary.requests if summary else 0,
            errors=summary.error_count if summary else 0,
            tps=tps,
            mean_ms=summary.mean_ms if summary else 0.0,
            p50_ms=summary.p50_ms if summary else 0.0,
            p90_ms=summary.p90_ms if summary else 0.0,
            p95_ms=summary.p95_ms if summary else 0.0,
            p99_ms=summary.p99_ms if summary else 0.0,
            max_ms=summary.max_ms if summary else 0.0,
            server_p50_ms=summary.server_p50_ms if summary else None,
            littles_law_residual_pct=summary.littles_law_residual_pct if summary else None,
            usd_per_hour=price.usd_per_hour if price else None,
            price_source=f"{price.source} ({price.region}, {price.as_of})" if price else "",
            tps_per_usd_hour=costs.tps_per_usd_hour,
            usd_per_1m=costs.usd_per_1m,
            inferences_per_usd=costs.inferences_per_usd,
            transactions_per_hour=costs.transactions_per_hour,
            rnbench_version=RNBENCH_VERSION,
            torch_version=details.get("torch_version", ""),
            status=status,
            rate=spec.rate,
            server_p99_ms=summary.server_p99_ms if summary else None,
            errors_by_kind=json.dumps(dict(summary.errors), sort_keys=True) if summary else "",
            client_cpu_ms_per_request=summary.client_cpu_ms_per_request if summary else None,
            late_requests=summary.late_requests if summary else 0,
            stable=summary.stable if summary else None,
            region=details.get("region", ""),
            neo_target=config.neo_target or "",
            max_prob_deviation=float(deviation) if deviation else None,
            sweep_id=self._sweep_id,
            mean_batch_size=summary.mean_batch_size if summary else None,
            max_batch=int(details["max_batch"]) if details.get("max_batch") else None,
            top1_agreement=_float(details.get("top1_agreement")),
            top5_agreement=_float(details.get("top5_agreement")),
            max_logit_deviation=_float(details.get("max_logit_deviation")),
            mean_logit_deviation=_float(details.get("mean_logit_deviation")),
        )


def _float(text: str | None) -> float | None:
    """A deployment detail as a number (None when absent or not a number)."""
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _window_row(window: Window) -> WindowRow:
    return WindowRow(
        index=window.index,
        elapsed_s=window.elapsed_s,
        requests=window.requests,
        errors=sum(window.errors.values()),
        tps=window.tps,
        mean_ms=window.mean_ms,
        p50_ms=window.p50_ms,
        p90_ms=window.p90_ms,
        p95_ms=window.p95_ms,
        p99_ms=window.p99_ms,
        max_ms=window.max_ms,
    )


class Engine:
    """Configurations, the backend of each, prices and the results store, behind one object."""

    def __init__(
        self,
        backends: Mapping[str, Backend],
        store: RunStore,
        prices: PriceBook,
        cuda: bool = False,
    ) -> None:
        self._backends = dict(backends)
        self.store = store
        self.prices = prices
        self.cuda = cuda

    def configurations(self) -> tuple[Configuration, ...]:
        return all_configurations(self.cuda)

    def configuration(self, key: str) -> Configuration:
        """Raises UsageError for an unknown key."""
        return get_configuration(key, cuda=self.cuda)

    def backend(self, config: Configuration) -> Backend:
        return self._backends[config.backend]

    def status(self, config: Configuration) -> Status:
        return self.backend(config).describe(config)

    def price(self, config: Configuration) -> Price | None:
        return self.prices.lookup(config.instance_type, self.backend(config).region, config.key)

    def compile(self, config: Configuration, progress: Progress = no_progress) -> None:
        self.backend(config).compile(config, progress)

    def deploy(self, config: Configuration, progress: Progress = no_progress) -> Deployment:
        return self.backend(config).deploy(config, progress)

    def teardown(self, config: Configuration, progress: Progress = no_progress) -> bool:
        return self.backend(config).teardown(config, progress)

    def owned(self) -> list[Deployment]:
        """Everything rnbench has up, across backends that are usable here."""
        found: list[Deployment] = []
        for backend in self._backends.values():
            try:
                found.extend(backend.owned())
            except RnbenchError:
                continue
        return found

    def teardown_all(self, progress: Progress = no_progress) -> list[str]:
        """Tear down every deployment rnbench owns; returns the configuration keys torn down."""
        done = []
        for deployment in self.owned():
            config = get_configuration(deployment.config_key, cuda=True)
            if self.backend(config).teardown(config, progress):
                done.append(config.key)
        return done

    def start_test(
        self, config: Configuration, spec: LoadSpec, body: bytes, sweep_id: str = ""
    ) -> TestRun:
        """Start a load test of a deployed configuration; returns at once.

        Raises:
            NotDeployedError: the configuration is not in service.
        """
        status = self.status(config)
        if status.state is not State.IN_SERVICE or status.deployment is None:
            raise NotDeployedError(f"{config.key} is not in service ({status.state.value})")
        run = TestRun(
            self.store,
            self.backend(config),
            config,
            status.deployment,
            spec,
            body,
            self.price(config),
            sweep_id,
        )
        return run.start()

    def run_test(
        self,
        config: Configuration,
        spec: LoadSpec,
        body: bytes,
        on_snapshot: Callable[[TestSnapshot], None] | None = None,
        sweep_id: str = "",
        tick_s: float = 1.0,
    ) -> RunRecord:
        """Run a load test to its end; `on_snapshot` hears about it every `tick_s`.

        Raises:
            NotDeployedError, RnbenchError (the run failed).
        """
        run = self.start_test(config, spec, body, sweep_id)
        try:
            while not run.done:
                time.sleep(tick_s)
                if on_snapshot is not None:
                    on_snapshot(run.snapshot())
        except KeyboardInterrupt:
            run.cancel()
            run.wait(60)
            raise
        return run.wait()

    def runs(self, limit: int | None = None) -> list[RunRecord]:
        return self.store.runs(limit)

    def export(self, path: Path, run_ids: Sequence[str] | None = None) -> int:
        """Write runs to CSV atomically; returns the number of rows.

        Raises:
            UsageError: the path cannot be written.
        """
        records = self.store.runs()
        if run_ids is not None:
            wanted = set(run_ids)
            records = [r for r in records if r.run_id in wanted]
        return export_csv(records, path)

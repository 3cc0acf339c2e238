"""The engine both front ends drive: configurations, their backends, prices, and stored tests.

The CLI calls it directly; the TUI calls it from thread workers. A test runs as a `TestRun`
(core/testrun.py): the load generator works in its own processes, its windows are stored as
they arrive, and front ends sample `snapshot()` at their own pace.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from rnbench.core.backend import Backend, Deployment, Progress, State, Status, no_progress
from rnbench.core.configs import Configuration, all_configurations, get_configuration
from rnbench.core.errors import (
    BackendUnavailable,
    NotDeployedError,
    speaks_engine_errors,
)
from rnbench.core.loadgen.types import LoadSpec
from rnbench.core.run_record import TestPlan
from rnbench.core.sweep import SweepPoint, SweepRun
from rnbench.core.testrun import TestRun, TestSnapshot
from rnbench.results.export import export_csv
from rnbench.results.prices import Price, PriceBook
from rnbench.results.record import RunRecord
from rnbench.results.store import RunStore

__all__ = ["Engine", "TestPlan", "TestRun", "TestSnapshot"]


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

    def price_note(self, config: Configuration) -> str:
        """`no price: <why>` when `price(config)` is None, else ""."""
        region = self.backend(config).region
        return self.prices.missing_reason(config.instance_type, region, config.key)

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
            except BackendUnavailable:  # not usable here; a failing one (ControlPlaneError) raises
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

    @speaks_engine_errors
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
        plan = TestPlan(config, status.deployment, spec, body, self.price(config), sweep_id)
        return TestRun(self.store, self.backend(config), plan).start()

    @speaks_engine_errors
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

    @speaks_engine_errors
    def runs(self, limit: int | None = None) -> list[RunRecord]:
        return self.store.runs(limit)

    @speaks_engine_errors
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

    def start_sweep(
        self,
        config: Configuration,
        specs: Sequence[LoadSpec],
        body: bytes,
        on_point: Callable[[SweepPoint[TestRun]], object] | None = None,
        on_error: Callable[[BaseException], object] | None = None,
        stop: threading.Event | None = None,
    ) -> SweepRun[TestRun]:
        """Run `specs` one after another on a deployed configuration (more than one: a sweep
        with one sweep id); returns at once. See `rnbench.core.sweep`."""

        def start_point(spec: LoadSpec, sweep_id: str) -> TestRun:
            return self.start_test(config, spec, body, sweep_id)

        return SweepRun(start_point, specs, on_point, on_error, stop).start()

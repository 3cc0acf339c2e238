"""The engine both front ends drive: configurations, their backends, prices, and stored tests.

The CLI calls it directly; the TUI calls it from thread workers. A test runs as a `TestRun`
(core/testrun.py): the load generator works in its own processes, its windows are stored as
they arrive, and front ends sample `snapshot()` at their own pace.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from rnbench.core.backends.foreign.backend import in_service
from rnbench.core.backends.foreign.targets import (
    FOREIGN_NO_PRICE,
    USER_GIVEN,
    ForeignTarget,
    is_foreign_key,
)
from rnbench.core.backends.protocol import Backend, Deployment, Progress, State, Status, no_progress
from rnbench.core.configs import Configuration, all_configurations, get_configuration
from rnbench.core.errors import (
    BackendUnavailable,
    NotDeployedError,
    RnbenchError,
    UsageError,
    leaf_errors_mapped,
    speaks_engine_errors,
)
from rnbench.core.loadgen.types import LoadSpec
from rnbench.core.model_choice import ModelChoice
from rnbench.core.run.record import TestPlan
from rnbench.core.run.sweep import SweepPoint, SweepRun
from rnbench.core.run.testrun import TestRun, TestSnapshot
from rnbench.results.prices import Price, PriceBook
from rnbench.results.record import RunRecord
from rnbench.results.store import RunStore

__all__ = ["Engine", "TestPlan", "TestRun", "TestSnapshot"]


@runtime_checkable
class _ServesModel(Protocol):
    """A backend that deploys the chosen model (local, SageMaker); a foreign target does not."""

    model: ModelChoice


class Engine:
    """Configurations, the backend of each, prices and the results store, behind one object."""

    def __init__(
        self,
        backends: Mapping[str, Backend],
        store: RunStore,
        prices: PriceBook,
    ) -> None:
        self._backends = dict(backends)
        self.store = store
        self.prices = prices

    def configurations(self) -> tuple[Configuration, ...]:
        """Every configuration, those this machine cannot serve too (their status says why)."""
        return all_configurations()

    @property
    def model(self) -> ModelChoice:
        """The model the backends deploy (the first that holds one; none: ResNet-50)."""
        held = (b.model for b in self._backends.values() if isinstance(b, _ServesModel))
        return next(held, ModelChoice())

    def set_model(self, choice: ModelChoice) -> None:
        """Deploy `choice` from now on, on every backend that holds a model. Servers already up
        keep theirs: a deploy over one serving another model is refused (tear it down first)."""
        for backend in self._backends.values():
            if isinstance(backend, _ServesModel):
                backend.model = choice

    def configuration(self, key: str) -> Configuration:
        """A configuration, or a foreign target's (`endpoint:NAME`, `url:http://...`).

        Raises UsageError for an unknown key."""
        if is_foreign_key(key):
            return ForeignTarget.from_key(key).configuration()
        return get_configuration(key)

    def backend(self, config: Configuration) -> Backend:
        return self._backends[config.backend]

    def status(self, config: Configuration) -> Status:
        return self.backend(config).describe(config)

    def price(self, config: Configuration) -> Price | None:
        return self.prices.lookup(config.instance_type, self.backend(config).region, config.key)

    def price_note(self, config: Configuration) -> str:
        """`no price: <why>` when `price(config)` is None, else ""."""
        if is_foreign_key(config.key) and self.price(config) is None:
            return FOREIGN_NO_PRICE  # only the user can price what rnbench did not create
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
            config = get_configuration(deployment.config_key)
            if self.backend(config).teardown(config, progress):
                done.append(config.key)
        return done

    def check_usable(self, config: Configuration) -> Status:
        """The configuration's status, when its backend can serve it here.

        Raises:
            UsageError: it cannot (no AWS region, role or credentials; no CUDA): the message
                says why. An unreachable control plane is not this: its status is `unknown`.
        """
        status = self.status(config)
        if status.state is State.UNAVAILABLE:
            raise UsageError(f"{config.key} is unavailable here: {status.reason or 'no reason'}")
        return status

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
            raise NotDeployedError(
                f"{config.key} is not in service ({status.state.value}"
                + (f": {status.reason})" if status.reason else ")")
            )
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
            with contextlib.suppress(RnbenchError):  # the interrupt, not the cut run, is news
                run.wait(60)
            raise
        return run.wait()

    @speaks_engine_errors
    def runs(self, limit: int | None = None) -> list[RunRecord]:
        return self.store.runs(limit)

    @speaks_engine_errors
    def export(self, path: Path, run_ids: Sequence[str] | None = None, fmt: str = "csv") -> int:
        """Write runs to `path` atomically as `fmt` (csv, json, parquet); returns the rows.

        Raises:
            UsageError: the path cannot be written, or the format is unknown.
        """
        records = self.store.runs()
        if run_ids is not None:
            wanted = set(run_ids)
            records = [r for r in records if r.run_id in wanted]
        from rnbench.results.export import export_runs  # pandas: only when exporting

        return export_runs(records, path, fmt)

    @speaks_engine_errors
    def report(self, path: Path, slo_p99_ms: float | None = None) -> int:
        """Write the HTML report of every stored run to `path` atomically; returns the runs.

        Raises:
            UsageError: no stored runs, or the path cannot be written.
        """
        from rnbench.results.frames import select_runs  # pandas: only for the report
        from rnbench.results.report import write_report

        records = select_runs(self.store.runs())
        write_report(records, path, slo_p99_ms)
        return len(records)

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
        with one sweep id); returns at once. See `rnbench.core.run.sweep`."""

        def start_point(spec: LoadSpec, sweep_id: str) -> TestRun:
            return self.start_test(config, spec, body, sweep_id)

        return SweepRun(start_point, specs, on_point, on_error, stop).start()

    # ---- foreign targets (core/foreign.py): load-tested only, never deployed or torn down ----

    def foreign_configuration(
        self, target: ForeignTarget, usd_per_hour: float | None = None
    ) -> Configuration:
        """The configuration a foreign target is tested and stored as; `usd_per_hour`, when
        given, is its price (marked as user-given), else it has none.

        Raises:
            BackendUnavailable: this engine has no backend for foreign targets.
            UsageError: the price is not a positive number.
        """
        if "foreign" not in self._backends:
            raise BackendUnavailable("this engine cannot test foreign targets")
        if usd_per_hour is not None:
            with leaf_errors_mapped():
                self.prices = self.prices.with_override(
                    usd_per_hour, config_key=target.key, source=USER_GIVEN
                )
        return target.configuration()

    def check_foreign(self, config: Configuration) -> Status:
        """Ask whether a foreign target can be load-tested now (an endpoint: DescribeEndpoint
        says it exists and is InService); returns its status (its reason notes a failed ping).

        Raises:
            UsageError (no such endpoint; SageMaker not set up here), NotDeployedError (not
            InService), ControlPlaneError (AWS could not be asked).
        """
        status = self.status(config)
        in_service(status)
        return status

"""What the TUI needs of the engine, as protocols: the real `Engine` fits, and so do test fakes.

The TUI never imports `rnbench.core.engine` at module level (its first frame must not wait for
the load generator, the results store or boto3); it receives an engine built in a worker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from rnbench.core.backend import Deployment, Progress, Status
from rnbench.core.configs import Configuration
from rnbench.core.loadgen.types import LoadSpec, Window
from rnbench.core.sweep import SweepPoint
from rnbench.results.prices import Price
from rnbench.results.record import RunRecord


class SnapshotLike(Protocol):
    """What the live panel reads of a test in progress (`rnbench.core.engine.TestSnapshot`)."""

    @property
    def config_key(self) -> str: ...
    @property
    def run_id(self) -> str: ...
    @property
    def phase(self) -> str: ...
    @property
    def windows(self) -> Sequence[Window]: ...
    @property
    def histogram(self) -> Sequence[tuple[float, int]]: ...
    @property
    def record(self) -> RunRecord | None: ...
    @property
    def error(self) -> str | None: ...


class TestRunLike(Protocol):
    """A test in progress (`rnbench.core.engine.TestRun`): sampled, never pushed."""

    def snapshot(self) -> SnapshotLike: ...
    def cancel(self) -> None: ...
    @property
    def done(self) -> bool: ...


class EnginePort(Protocol):
    """The engine's methods the TUI calls (all from worker threads, except `configurations`)."""

    def configurations(self) -> tuple[Configuration, ...]: ...
    def status(self, config: Configuration) -> Status: ...
    def price(self, config: Configuration) -> Price | None: ...
    def compile(self, config: Configuration, progress: Progress) -> None: ...
    def deploy(self, config: Configuration, progress: Progress) -> Deployment: ...
    def teardown(self, config: Configuration, progress: Progress) -> bool: ...
    def owned(self) -> list[Deployment]: ...
    def teardown_all(self, progress: Progress) -> list[str]: ...
    def start_test(
        self, config: Configuration, spec: LoadSpec, body: bytes, sweep_id: str = ""
    ) -> TestRunLike: ...
    def start_sweep(
        self,
        config: Configuration,
        specs: Sequence[LoadSpec],
        body: bytes,
        on_point: Callable[[SweepPoint[TestRunLike]], object] | None = None,
        on_error: Callable[[BaseException], object] | None = None,
        stop: threading.Event | None = None,
    ) -> object: ...
    def runs(self, limit: int | None = None) -> list[RunRecord]: ...
    def export(self, path: Path) -> int: ...

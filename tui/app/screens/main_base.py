"""The main screen's state and plumbing: widgets, the engine's view, workers, the 2 Hz timer.

`MainScreen` (keys and the teardown/quit flow, `main.py`) builds on `MainEvents` (what workers
report, `main_events.py`), which builds on this: the TUI's view of the engine (statuses, prices,
last runs, tests in progress), helpers every handler uses, and the timer that samples tests.
Every blocking call runs in a thread worker (see `rnbench.tui.app.workers`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from rnbench.core.backend import Deployment, State, Status
from rnbench.core.configs import Configuration, all_configurations
from rnbench.results.prices import Price
from rnbench.results.record import RunRecord
from rnbench.results.seed import published_row
from rnbench.tui.app import messages as m
from rnbench.tui.app import settings as stored
from rnbench.tui.app import workers
from rnbench.tui.app.port import EnginePort, SnapshotLike, TestRunLike
from rnbench.tui.app.rows import RowFacts, detail_line, is_deployed
from rnbench.tui.app.widgets.grid import ConfigGrid
from rnbench.tui.app.widgets.live_panel import LivePanel
from rnbench.tui.app.widgets.log_panel import LogPanel

ACTIVITY = {"compile": "compiling", "deploy": "deploying", "teardown": "tearing down"}
TICK_S = 0.5
"""The sampling timer: 2 Hz."""
REFRESH_TICKS = 30
"""Statuses are described again every REFRESH_TICKS ticks (15 s)."""


class MainBase(Screen[None]):
    """Configurations, their state, their tests: state and helpers."""

    def __init__(
        self,
        engine_factory: Callable[[], EnginePort],
        body: bytes,
        settings_path: Path,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self._factory = engine_factory
        self._body = body
        self._settings_path = settings_path
        self._clock = clock
        self.engine: EnginePort | None = None
        self.configs: tuple[Configuration, ...] = all_configurations(cuda=False)
        self.statuses: dict[str, Status] = {}
        self.prices: dict[str, Price | None] = {}
        self.last_runs: dict[str, RunRecord] = {}
        self.activity: dict[str, str] = {}
        self.tests: dict[str, TestRunLike] = {}
        self.snapshots: dict[str, SnapshotLike] = {}
        self.test_steps: dict[str, tuple[int, int]] = {}
        """(point, points) of the test in progress per configuration: (1, 1) unless a sweep."""
        self._stops: dict[str, threading.Event] = {}
        """Set to end a configuration's test sequence (a sweep) before its next point."""
        self.leftovers: dict[str, Deployment] = {}
        """Deployments found up at start: their rows show in service until the engine's own
        status says otherwise or they are torn down."""
        self._generation = 0
        self._applied = 0
        self._settle: dict[str, int] = {}
        self._ticks = 0
        self._quitting = False
        self._engine_error: str | None = None
        self.settings, self._settings_warning = stored.load(settings_path)

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConfigGrid(id="grid")
        yield Static(id="detail")
        yield LivePanel(id="live")
        yield LogPanel(self._clock, id="log")
        yield Footer()

    def on_mount(self) -> None:
        self.log_line("loading the engine (backends, prices, results store)…")
        if self._settings_warning:
            self.log_line(self._settings_warning, "warning")
        self._show_rows()
        self.run_worker(
            partial(workers.build_engine, self.post_message, self._factory),
            name="build-engine",
            group="engine",
            thread=True,
            exit_on_error=False,
        )
        self.set_interval(TICK_S, self._tick)
        self.query_one(ConfigGrid).focus()

    # ---- helpers -------------------------------------------------------------------------

    def log_line(self, line: str, level: str = "info") -> None:
        self.query_one(LogPanel).add(line, level)

    def _fail(self, line: str) -> None:
        self.log_line(line, "error")
        self.notify(line, title="failed", severity="error", timeout=8)

    def _explain(self, line: str) -> None:
        self.log_line(line, "warning")
        self.notify(line, severity="warning", timeout=6)

    def _facts(self, config: Configuration) -> RowFacts:
        status = self.statuses.get(config.key)
        left = self.leftovers.get(config.key)
        if left is not None and not is_deployed(status):
            status = Status(config.key, State.IN_SERVICE, deployment=left)
        return RowFacts(
            config,
            status,
            self.prices.get(config.key),
            self.last_runs.get(config.key),
            published_row(config.key),
            self.activity.get(config.key),
        )

    def _show_rows(self) -> None:
        facts = [self._facts(c) for c in self.configs]
        self.query_one(ConfigGrid).show(facts, self._clock())
        self._show_selected()

    def _show_selected(self) -> None:
        config = self.selected
        detail = self.query_one("#detail", Static)
        if config is None:
            detail.update("")
            return
        detail.update(detail_line(self._facts(config)))
        hint = (
            f"{config.key}: no test yet in this session.\n\nd deploys, t tests "
            f"({self.settings.describe()}), s changes the settings."
        )
        self.query_one(LivePanel).show(config.key, self.snapshots.get(config.key), hint)

    @property
    def selected(self) -> Configuration | None:
        key = self.query_one(ConfigGrid).selected_key
        return next((c for c in self.configs if c.key == key), None)

    def _thread(self, work: Callable[..., None], group: str, *args: Any) -> None:
        assert self.engine is not None
        self.run_worker(
            partial(work, self.post_message, self.engine, *args),
            name=f"{group}:{work.__name__}",
            group=group,
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def _refresh(self) -> int:
        self._generation += 1
        if self.engine is not None:
            self._thread(workers.refresh, "refresh", self.configs, self._generation)
        return self._generation

    def _ready_config(self, verb: str) -> Configuration | None:
        """The selected configuration when `verb` may act on it now, else explain and None."""
        config = self.selected
        if config is None:
            return None
        if not self._have_engine(verb):
            return None
        status = self.statuses.get(config.key)
        if status is not None and status.state is State.UNAVAILABLE:
            self._explain(f"{config.key} is unavailable here: {status.reason}")
            return None
        if config.key in self.activity:
            self._explain(f"{config.key} is busy ({self.activity[config.key]}); wait for it")
            return None
        return config

    def _have_engine(self, verb: str) -> bool:
        if self.engine is not None:
            return True
        if self._engine_error is not None:
            self._explain(f"{verb}: the engine could not start: {self._engine_error}")
        else:
            self._explain(f"{verb}: the engine is still loading, try again in a moment")
        return False

    # ---- the timer -----------------------------------------------------------------------

    def _tick(self) -> None:
        self._ticks += 1
        for key, run in list(self.tests.items()):
            self._sample(key, run)
        # Up time and $ accrued change every second; while a test streams, the grid is redrawn
        # every other second instead, which keeps the UI process's CPU down.
        if self._ticks % (4 if self.tests else 2) == 0:
            self._show_rows()
        elif self.tests:
            self._show_selected()
        if self._ticks % REFRESH_TICKS == 0 and not self.activity:
            self._refresh()

    def _sample(self, key: str, run: TestRunLike) -> None:
        """Take the run's snapshot; once it is over, drop it and report its end."""
        finished = run.done  # before the snapshot, so a finished run's has its record
        step, steps = self.test_steps.get(key, (1, 1))
        try:
            snapshot = run.snapshot()
        except Exception as exc:  # noqa: BLE001 - a broken sample must not kill the UI
            self.tests.pop(key, None)
            self.post_message(m.TestFinished(key, None, workers.one_line(exc)))
            return
        self.snapshots[key] = snapshot
        if finished:
            self.tests.pop(key, None)
            last = step >= steps or snapshot.record is None
            self.post_message(m.TestFinished(key, snapshot.record, snapshot.error, last))

    def _stop_tests(self, key: str | None = None) -> None:
        """End test sequences (all, or `key`'s): their runs are cancelled, no next point starts."""
        for k in [key] if key else list(self._stops):
            stop = self._stops.pop(k, None)
            if stop is not None:
                stop.set()
            run = self.tests.get(k)
            if run is not None:
                run.cancel()

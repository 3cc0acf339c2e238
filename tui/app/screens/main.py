"""The main screen: the grid, the selected row's live panel, the log; every key's action.

One Screen composed of small parts: its state is a `Session` (`rnbench.tui.app.session`), what
workers report is handled by the plain functions of `main_events.py`, the teardown, quit and
start-up leftovers dialogs by those of `main_flows.py`. Every blocking call runs in a thread
worker (`rnbench.tui.app.workers`); a 2 Hz timer samples the tests in progress.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from rnbench.core.configs import Configuration
from rnbench.core.test_settings import TestSettings
from rnbench.tui.app import messages as m
from rnbench.tui.app import settings as stored
from rnbench.tui.app import workers
from rnbench.tui.app.keys import MAIN_KEYS, bindings
from rnbench.tui.app.port import EnginePort, SnapshotLike, TestRunLike
from rnbench.tui.app.rows import detail_line, is_deployed
from rnbench.tui.app.screens import main_events as events
from rnbench.tui.app.screens import main_flows as flows
from rnbench.tui.app.screens import main_foreign as foreign_rows
from rnbench.tui.app.screens.export import ExportScreen
from rnbench.tui.app.screens.help import HelpScreen
from rnbench.tui.app.screens.results import ResultsScreen
from rnbench.tui.app.screens.settings import SettingsScreen
from rnbench.tui.app.session import ACTIVITY, Session
from rnbench.tui.app.widgets.grid import ConfigGrid
from rnbench.tui.app.widgets.live_panel import LivePanel
from rnbench.tui.app.widgets.log_panel import LogPanel

TICK_S = 0.5
"""The sampling timer: 2 Hz."""
REFRESH_TICKS = 30
"""Statuses are described again every REFRESH_TICKS ticks (15 s)."""


class MainScreen(Screen[None]):
    """Configurations, their state, their tests."""

    BINDINGS = bindings(MAIN_KEYS)

    def __init__(
        self,
        engine_factory: Callable[[], EnginePort],
        body: bytes,
        settings_path: Path,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self._factory = engine_factory
        self.body = body
        self._settings_path = settings_path
        self.clock = clock
        self._ticks = 0
        settings, self._settings_warning = stored.load(settings_path)
        self.session = Session(settings)

    @property
    def tests(self) -> dict[str, TestRunLike]:
        return self.session.tests

    @property
    def snapshots(self) -> dict[str, SnapshotLike]:
        return self.session.snapshots

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConfigGrid(id="grid")
        yield Static(id="detail")
        yield LivePanel(id="live")
        yield LogPanel(self.clock, id="log")
        yield Footer()

    def on_mount(self) -> None:
        self.log_line("loading the engine (backends, prices, results store)…")
        if self._settings_warning:
            self.log_line(self._settings_warning, "warning")
        self.show_rows()
        self.run_worker(
            partial(workers.build_engine, self.post_message, self._factory),
            name="build-engine",
            group="engine",
            thread=True,
            exit_on_error=False,
        )
        self.set_interval(TICK_S, self._tick)
        self.query_one(ConfigGrid).focus()

    # ---- what every part uses ------------------------------------------------------------

    def log_line(self, line: str, level: str = "info") -> None:
        self.query_one(LogPanel).add(line, level)

    def fail(self, line: str) -> None:
        self.log_line(line, "error")
        self.notify(line, title="failed", severity="error", timeout=8)

    def explain(self, line: str) -> None:
        self.log_line(line, "warning")
        self.notify(line, severity="warning", timeout=6)

    def show_rows(self) -> None:
        facts = [self.session.facts(c) for c in self.session.configs]
        self.query_one(ConfigGrid).show(facts, self.clock())
        self.show_selected()

    def show_selected(self) -> None:
        config = self.selected
        detail = self.query_one("#detail", Static)
        if config is None:
            detail.update("")
            return
        detail.update(detail_line(self.session.facts(config)))
        hint = (
            f"{config.key}: no test yet in this session.\n\nd deploys, t tests "
            f"({self.session.settings.describe()}), s changes the settings."
        )
        if config.backend == "foreign":
            hint = foreign_rows.hint(config, self.session.settings.describe())
        self.query_one(LivePanel).show(config.key, self.session.snapshots.get(config.key), hint)

    @property
    def selected(self) -> Configuration | None:
        return self.session.config(self.query_one(ConfigGrid).selected_key)

    def thread(self, work: Callable[..., None], group: str, *args: Any) -> None:
        """Run `work(post, engine, *args)` in a thread worker, one at a time per `group`."""
        assert self.session.engine is not None
        self.run_worker(
            partial(work, self.post_message, self.session.engine, *args),
            name=f"{group}:{work.__name__}",
            group=group,
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def refresh_rows(self) -> int:
        """Describe every configuration again (in a worker); returns the refresh's number."""
        generation = self.session.next_generation()
        if self.session.engine is not None:
            self.thread(workers.refresh, "refresh", self.session.configs, generation)
        return generation

    def ready_config(self, verb: str) -> Configuration | None:
        """The selected configuration when `verb` may act on it now, else explain and None."""
        config = self.selected
        if config is None or not self.have_engine(verb):
            return None
        busy = self.session.why_busy(config)
        if busy is not None:
            self.explain(busy)
            return None
        return config

    def have_engine(self, verb: str) -> bool:
        if self.session.engine is not None:
            return True
        if self.session.engine_error is not None:
            self.explain(f"{verb}: the engine could not start: {self.session.engine_error}")
        else:
            self.explain(f"{verb}: the engine is still loading, try again in a moment")
        return False

    # ---- the timer -----------------------------------------------------------------------

    def _tick(self) -> None:
        self._ticks += 1
        tests = self.session.tests
        for key, run in list(tests.items()):
            self.sample(key, run)
        # Up time and $ accrued change every second; while a test streams, the grid is redrawn
        # every other second instead, which keeps the UI process's CPU down.
        if self._ticks % (4 if tests else 2) == 0:
            self.show_rows()
        elif tests:
            self.show_selected()
        if self._ticks % REFRESH_TICKS == 0 and not self.session.activity:
            self.refresh_rows()

    def sample(self, key: str, run: TestRunLike) -> None:
        ended = self.session.sample(key, run)
        if ended is not None:
            self.post_message(ended)

    # ---- keys ----------------------------------------------------------------------------

    def _act(self, action: str) -> None:
        if foreign_rows.refused(self, self.selected):
            return
        config = self.ready_config(action)
        if config is None:
            return
        self.session.activity[config.key] = ACTIVITY[action]
        self.log_line(f"{config.key}: {action}…")
        self.thread(workers.act, f"row:{config.key}", action, config)
        self.show_rows()

    def action_compile(self) -> None:
        self._act("compile")

    def action_deploy(self) -> None:
        self._act("deploy")

    def action_test(self) -> None:
        config = self.ready_config("test")
        if config is None:
            return
        if not is_deployed(self.session.statuses.get(config.key)):
            self.explain(f"{config.key} is not in service: deploy it first (d)")
            return
        stop = self.session.begin_test(config.key)
        specs = self.session.settings.specs()
        self.thread(workers.run_tests, f"row:{config.key}", config, specs, self.body, stop)
        self.show_rows()

    def action_teardown(self) -> None:
        if not foreign_rows.refused(self, self.selected):
            flows.confirm_teardown(self)

    def action_add_target(self) -> None:
        foreign_rows.add_target(self)

    def action_teardown_all(self) -> None:
        flows.confirm_teardown_all(self)

    def action_settings(self) -> None:
        def saved(settings: TestSettings | None) -> None:
            if settings is None:
                return
            self.session.settings = settings
            try:
                stored.save(self._settings_path, settings)
            except Exception as exc:  # noqa: BLE001
                self.fail(workers.one_line(exc))
                return
            self.log_line(f"test settings: {settings.describe()} (saved)", "ok")
            self.show_selected()

        self.app.push_screen(SettingsScreen(self.session.settings), saved)

    def action_export(self) -> None:
        if not self.have_engine("export"):
            return

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.log_line(f"exporting runs to {path}…")
                self.thread(workers.export, "export", path)

        self.app.push_screen(ExportScreen(Path.cwd() / "rnbench-runs.csv"), chosen)

    def action_results(self) -> None:
        if self.session.engine is None:
            self.have_engine("results")
            return
        self.app.push_screen(ResultsScreen(self.session.engine))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_request_quit(self) -> None:
        flows.request_quit(self)

    # ---- what workers report (handled in main_events and main_flows) ---------------------

    def on_engine_ready(self, message: m.EngineReady) -> None:
        events.engine_ready(self, message)

    def on_engine_failed(self, message: m.EngineFailed) -> None:
        events.engine_failed(self, message)

    def on_rows_refreshed(self, message: m.RowsRefreshed) -> None:
        events.rows_refreshed(self, message)

    def on_action_progress(self, message: m.ActionProgress) -> None:
        events.action_progress(self, message)

    def on_action_done(self, message: m.ActionDone) -> None:
        events.action_done(self, message)

    def on_action_failed(self, message: m.ActionFailed) -> None:
        events.action_failed(self, message)

    def on_test_started(self, message: m.TestStarted) -> None:
        events.test_started(self, message)

    def on_test_finished(self, message: m.TestFinished) -> None:
        events.test_finished(self, message)

    def on_export_written(self, message: m.ExportWritten) -> None:
        events.export_written(self, message)

    def on_owned_listed(self, message: m.OwnedListed) -> None:
        flows.owned_listed(self, message)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_selected()

"""The main screen: the grid, the selected row's live panel, the log; every key's action.

It owns the TUI's view of the engine (statuses, prices, last runs, tests in progress) and runs
every blocking call in a thread worker (see `rnbench.tui.workers`); workers answer with
messages, handled here on the UI thread. A 2 Hz timer samples tests in progress.
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
from textual.widgets import DataTable, Footer, Header, Static

from rnbench.core.backend import Deployment, State, Status
from rnbench.core.configs import Configuration, all_configurations
from rnbench.results.prices import Price
from rnbench.results.record import RunRecord
from rnbench.results.seed import published_row
from rnbench.tui import messages as m
from rnbench.tui import settings as stored
from rnbench.tui import workers
from rnbench.tui.keys import MAIN_KEYS, bindings
from rnbench.tui.port import EnginePort, SnapshotLike, TestRunLike
from rnbench.tui.rows import RowFacts, detail_line, is_deployed
from rnbench.tui.screens.confirm import ConfirmScreen
from rnbench.tui.screens.export import ExportScreen
from rnbench.tui.screens.help import HelpScreen
from rnbench.tui.screens.leftovers import LeftoversScreen
from rnbench.tui.screens.quit import QuitScreen
from rnbench.tui.screens.results import ResultsScreen
from rnbench.tui.screens.settings import SettingsScreen
from rnbench.tui.settings import describe_spec
from rnbench.tui.widgets.grid import ConfigGrid
from rnbench.tui.widgets.live_panel import LivePanel
from rnbench.tui.widgets.log_panel import LogPanel

ACTIVITY = {"compile": "compiling", "deploy": "deploying", "teardown": "tearing down"}
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
        if self._ticks % 2 == 0:
            self._show_rows()  # up time and $ accrued: 1 Hz is their resolution
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

    # ---- messages from workers -----------------------------------------------------------

    def on_engine_ready(self, message: m.EngineReady) -> None:
        self.engine = message.engine
        self.configs = message.engine.configurations()
        self.log_line(f"engine ready: {len(self.configs)} configurations", "ok")
        self._show_rows()
        self._refresh()
        self._thread(workers.list_owned, "leftovers", "start")

    def on_engine_failed(self, message: m.EngineFailed) -> None:
        self._engine_error = message.reason
        self._fail(f"the engine could not start: {message.reason}")

    def on_rows_refreshed(self, message: m.RowsRefreshed) -> None:
        if message.generation < self._applied:
            return  # an older refresh that finished late
        self._applied = message.generation
        self.statuses.update(message.statuses)
        self.prices.update(message.prices)
        self.last_runs.update(message.last_runs)
        for key, status in message.statuses.items():
            if status.state in (State.IN_SERVICE, State.NOT_DEPLOYED):
                self.leftovers.pop(key, None)  # the engine's own word wins
        for key, generation in list(self._settle.items()):
            if message.generation >= generation:
                self._settle.pop(key)
                if self.activity.get(key) in ACTIVITY.values():
                    self.activity.pop(key)
        self._show_rows()

    def on_action_progress(self, message: m.ActionProgress) -> None:
        self.log_line(message.line)
        if message.config_key and message.config_key in self.activity:
            lowered = message.line.lower()
            if "compil" in lowered or "export" in lowered:
                self.activity[message.config_key] = "compiling"
            elif "packag" in lowered:
                self.activity[message.config_key] = "packaging"

    def on_action_done(self, message: m.ActionDone) -> None:
        if message.action == "teardown":
            self.leftovers.pop(message.config_key, None)
        elif message.action == "teardown-all":
            self.leftovers.clear()
        self.log_line(message.summary, "ok")
        self.notify(message.summary, timeout=4)
        self._after_action(message.config_key, message.action)

    def on_action_failed(self, message: m.ActionFailed) -> None:
        self._fail(f"{message.action} failed: {message.reason}")
        if message.config_key:
            self.activity.pop(message.config_key, None)
        self._after_action(message.config_key, message.action)

    def _after_action(self, key: str, action: str) -> None:
        generation = self._refresh()
        if key and key in self.activity:
            self._settle[key] = generation
        if action == "teardown-all":
            for k, a in list(self.activity.items()):
                if a == "tearing down":
                    self._settle[k] = generation
            if self._quitting:
                self.app.exit()
        self._show_rows()

    def on_test_started(self, message: m.TestStarted) -> None:
        key = message.config_key
        previous = self.tests.get(key)
        if previous is not None and previous is not message.run:
            self._sample(key, previous)  # the sweep's last point: report it before the next
        self.tests[key] = message.run
        self.test_steps[key] = (message.step, message.steps)
        if self.activity.get(key, "testing").startswith("testing"):
            sweep = message.steps > 1
            self.activity[key] = f"testing {message.step}/{message.steps}" if sweep else "testing"
        spec = message.spec
        load = self.settings.describe() if spec is None else describe_spec(spec)
        if message.steps > 1:
            point = f"sweep {message.sweep_id} point {message.step}/{message.steps}"
            self.log_line(f"{key}: {point} started ({load})")
        else:
            self.log_line(f"{key}: test started ({load})")
        self._show_rows()

    def on_test_finished(self, message: m.TestFinished) -> None:
        if message.last:
            self.activity.pop(message.config_key, None)
            self._stops.pop(message.config_key, None)
        record = message.record
        if record is not None:
            self.last_runs[record.config] = record
            line = (
                f"{record.config}: {record.tps:.1f} TPS, p50 {record.p50_ms:.1f} ms, "
                f"p99 {record.p99_ms:.1f} ms, {record.errors} errors ({record.weights} "
                f"weights)"
            )
            self.log_line(line, "ok")
            self.notify(line, title="test done", timeout=6)
        else:
            self._fail(f"{message.config_key}: test failed: {message.error or 'no result'}")
        self._show_rows()

    def on_owned_listed(self, message: m.OwnedListed) -> None:
        if message.purpose == "start":
            self._offer_leftovers(message)
            return
        if not message.deployments:
            self._exit()
            return
        self.app.push_screen(QuitScreen(message.deployments, message.prices), self._quit_choice)

    def on_export_written(self, message: m.ExportWritten) -> None:
        line = f"wrote {message.rows} run(s) to {message.path}"
        self.log_line(line, "ok")
        self.notify(line, title="exported", timeout=8)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_selected()

    # ---- actions -------------------------------------------------------------------------

    def _act(self, action: str) -> None:
        config = self._ready_config(action)
        if config is None:
            return
        self.activity[config.key] = ACTIVITY[action]
        self.log_line(f"{config.key}: {action}…")
        self._thread(workers.act, f"row:{config.key}", action, config)
        self._show_rows()

    def action_compile(self) -> None:
        self._act("compile")

    def action_deploy(self) -> None:
        self._act("deploy")

    def action_test(self) -> None:
        config = self._ready_config("test")
        if config is None:
            return
        if not is_deployed(self.statuses.get(config.key)):
            self._explain(f"{config.key} is not in service: deploy it first (d)")
            return
        self.activity[config.key] = "testing"
        self.snapshots.pop(config.key, None)
        specs = self.settings.specs()
        stop = self._stops[config.key] = threading.Event()
        self._thread(workers.run_tests, f"row:{config.key}", config, specs, self._body, stop)
        self._show_rows()

    def action_teardown(self) -> None:
        config = self.selected
        if config is None:
            return
        run = self.tests.get(config.key)
        status = self.statuses.get(config.key)
        if run is None and (self._ready_config("tear down") is None):
            return
        if status is None or status.deployment is None:
            self._explain(f"{config.key}: nothing is deployed")
            return
        what = status.deployment.resource_id
        if config.backend == "sagemaker":
            what += " (endpoint, endpoint configuration and model rnbench created)"
        body = f"This deletes {config.key}: {what}."
        if run is not None:
            body += "\nThe test in progress is cancelled first."

        def answer(yes: bool | None) -> None:
            if not yes:
                self.log_line(f"{config.key}: tear down cancelled")
                return
            self._stop_tests(config.key)
            self.activity[config.key] = "tearing down"
            self._thread(workers.act, f"row:{config.key}", "teardown", config)
            self._show_rows()

        self.app.push_screen(ConfirmScreen(f"Tear down {config.key}?", body, "Tear down"), answer)

    def action_teardown_all(self) -> None:
        if not self._have_engine("tear down"):
            return
        up = [c.key for c in self.configs if is_deployed(self.statuses.get(c.key))]
        listed = ", ".join(up) if up else "none known to this screen"
        body = f"This deletes every deployment rnbench created ({listed}), local and SageMaker."
        self.app.push_screen(
            ConfirmScreen("Tear down everything?", body, "Tear all down"),
            lambda yes: self._teardown_all() if yes else None,
        )

    def _teardown_all(self) -> None:
        for key in self.tests:
            self.activity[key] = "tearing down"
        self._stop_tests()
        for config in self.configs:
            if is_deployed(self.statuses.get(config.key)):
                self.activity[config.key] = "tearing down"
        self.log_line("tearing down everything rnbench deployed…")
        self._thread(workers.teardown_all, "teardown-all")
        self._show_rows()

    def action_settings(self) -> None:
        def saved(settings: stored.TestSettings | None) -> None:
            if settings is None:
                return
            self.settings = settings
            try:
                stored.save(self._settings_path, settings)
            except Exception as exc:  # noqa: BLE001
                self._fail(workers.one_line(exc))
                return
            self.log_line(f"test settings: {settings.describe()} (saved)", "ok")
            self._show_selected()

        self.app.push_screen(SettingsScreen(self.settings), saved)

    def action_export(self) -> None:
        if not self._have_engine("export"):
            return

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.log_line(f"exporting runs to {path}…")
                self._thread(workers.export, "export", path)

        self.app.push_screen(ExportScreen(Path.cwd() / "rnbench-runs.csv"), chosen)

    def action_results(self) -> None:
        if self.engine is None:
            self._have_engine("results")
            return
        self.app.push_screen(ResultsScreen(self.engine))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_request_quit(self) -> None:
        if self.engine is None:
            self._exit()
            return
        self.log_line("checking what is still deployed…")
        self._thread(workers.list_owned, "quit")

    def _offer_leftovers(self, message: m.OwnedListed) -> None:
        """At start: show what is still up from earlier and ask what to do with it."""
        if not message.deployments:
            self.log_line("nothing rnbench created is still up")
            return
        self.leftovers = {d.config_key: d for d in message.deployments}
        keys = ", ".join(sorted(self.leftovers))
        self.log_line(f"still up from earlier: {keys}", "warning")
        self._show_rows()
        screen = LeftoversScreen(message.deployments, message.prices, self._clock())
        self.app.push_screen(screen, self._leftovers_choice)

    def _leftovers_choice(self, choice: str | None) -> None:
        if choice == "teardown":
            self._teardown_all()
        elif choice == "keep":
            self.log_line(f"keeping {', '.join(sorted(self.leftovers))} up")
        else:
            self.log_line("leftovers: decide later (X tears everything down)")

    def _quit_choice(self, choice: str | None) -> None:
        if choice == "keep":
            self.log_line("leaving deployments up")
            self._exit()
        elif choice == "teardown":
            self._quitting = True
            self._teardown_all()

    def _exit(self) -> None:
        self._stop_tests()
        for run in self.tests.values():
            run.cancel()
        self.app.exit()

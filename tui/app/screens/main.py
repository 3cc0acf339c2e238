"""The main screen: the grid, the selected row's live panel, the log; every key's action.

Its state is a `Session` (`rnbench.tui.app.session`); the keys' actions and the handlers of what
workers report are this class's methods, in that order; the dialogs that delete or leave are in
`main_dialogs`. Every
blocking call runs in a thread worker (`rnbench.tui.app.workers`); a 2 Hz timer samples the tests
in progress.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from rnbench.core.configs import Configuration
from rnbench.core.run.options import TestSettings, describe_spec
from rnbench.tui.app import collector, footer_keys, foreign_rows, grid_filter, workers
from rnbench.tui.app import messages as m
from rnbench.tui.app import settings as stored
from rnbench.tui.app.foreign_rows import ForeignRows
from rnbench.tui.app.keys import MAIN_KEYS, bindings
from rnbench.tui.app.port import EnginePort, SnapshotLike, TestRunLike
from rnbench.tui.app.rows import detail_line, is_deployed
from rnbench.tui.app.screens import main_dialogs as dialogs
from rnbench.tui.app.screens import model_switch
from rnbench.tui.app.screens.add_target import AddedTarget, AddTargetScreen
from rnbench.tui.app.screens.export import REPORT, ExportScreen
from rnbench.tui.app.screens.help import HelpScreen
from rnbench.tui.app.screens.settings import SettingsScreen
from rnbench.tui.app.session import ACTIVITY, Session
from rnbench.tui.app.widgets.activity_bar import ActivityBar
from rnbench.tui.app.widgets.filter_bar import FilterBar
from rnbench.tui.app.widgets.grid import ConfigGrid

if TYPE_CHECKING:
    from rnbench.tui.app.widgets.live_panel import LivePanel
    from rnbench.tui.app.widgets.log_panel import LogPanel

TICK_S = 0.5
"""The sampling timer: 2 Hz."""
WIDE = 120
"""Below this many columns the footer is compact."""
REFRESH_TICKS = 30
"""Statuses are described again every REFRESH_TICKS ticks (15 s)."""
FIRST_FRAME_LATEST_S = 2.0
"""The panels and the engine wait for the first frame at most this long."""


class MainScreen(Screen[None]):
    """Configurations, their state, their tests."""

    BINDINGS = bindings(MAIN_KEYS, footer_keys.GATED)

    def __init__(
        self,
        engine_factory: Callable[[], EnginePort],
        body: bytes,
        settings_path: Path,
        clock: Callable[[], float] = time.time,
        restore_model: bool = True,
    ) -> None:
        """`restore_model`: start with the model saved by an earlier session's `m` (False when
        the command line named one)."""
        super().__init__()
        self._factory = engine_factory
        self._saved_model = stored.load_model(settings_path) if restore_model else None
        self.body = body
        self.settings_path = settings_path
        self.clock = clock
        self._ticks = 0
        self._detail_shown: str | None = None
        settings, self._settings_warning = stored.load(settings_path)
        self.session = Session(settings)
        self.foreign = ForeignRows(self.session, settings_path, self._say)
        self._footer: tuple[bool | None, ...] = ()
        """The footer's key states last drawn (`footer_keys.key_states`)."""
        self._live: LivePanel | None = None
        self._log: LogPanel | None = None
        self._early_log: list[tuple[str, str]] = []
        """Lines logged before the log panel was mounted (`_mount_panels` writes them)."""
        self._panels_due = True
        """Until `after_first_frame`: the panels are not mounted nor the engine built yet."""

    @property
    def tests(self) -> dict[str, TestRunLike]:
        return self.session.tests

    @property
    def snapshots(self) -> dict[str, SnapshotLike]:
        return self.session.snapshots

    def compose(self) -> ComposeResult:
        yield Header()
        yield FilterBar(id="filter")
        yield ConfigGrid(id="grid")
        yield Static(id="detail")
        yield ActivityBar(id="activity")
        yield Footer()  # the live panel and the log come after the first frame: _mount_panels

    def on_mount(self) -> None:
        self.log_line("loading the engine (backends, prices, results store)…")
        if self._settings_warning:
            self.log_line(self._settings_warning, "warning")
        self.show_rows()
        # The engine's imports hold the GIL for most of a second, and the panels below the grid
        # take a tenth of one to import and lay out: both wait for the first frame
        # (`_compositor_refresh`), or for this timer should that never come.
        self.set_timer(FIRST_FRAME_LATEST_S, self.after_first_frame)
        self.set_interval(TICK_S, self._tick)
        self.query_one(ConfigGrid).focus()

    def _compositor_refresh(self) -> None:
        """Textual's paint of this screen (a private method of Textual's Screen: were it renamed,
        the timer in `on_mount` would still mount the panels). The first paint outside the app's
        start-up batch, in which nothing reaches the terminal, is the first frame."""
        super()._compositor_refresh()
        if self._panels_due and self.is_current and not getattr(self.app, "_batch_count", 0):
            self.after_first_frame()

    def after_first_frame(self) -> None:
        """Mount the panels below the grid, then build the engine (once)."""
        if self._panels_due:
            self._panels_due = False
            collector.resume()
            self.call_later(self._mount_panels)
            self.call_later(self._build_engine)

    async def _mount_panels(self) -> None:
        """The live panel and the log, once the grid's first frame is drawn: their imports
        (plotext, rich.pretty) and first layout would otherwise delay it by about 0.1 s."""
        from rnbench.tui.app.widgets.live_panel import LivePanel
        from rnbench.tui.app.widgets.log_panel import LogPanel

        live, log = LivePanel(id="live"), LogPanel(self.clock, id="log")
        await self.mount(live, log, before=self.query_one(Footer))
        self._live, self._log = live, log
        for line, level in self._early_log:
            log.add(line, level)
        self._early_log.clear()
        self.show_selected()

    def _build_engine(self) -> None:
        self.run_worker(
            partial(workers.build_engine, self.post_message, self._factory, self._saved_model),
            name="build-engine",
            group="engine",
            thread=True,
            exit_on_error=False,
        )

    # ---- what every part uses ------------------------------------------------------------

    def log_line(self, line: str, level: str = "info") -> None:
        if self._log is None:
            self._early_log.append((line, level))
        else:
            self._log.add(line, level)

    def fail(self, line: str) -> None:
        self.log_line(line, "error")
        self.notify(line, title="failed", severity="error", timeout=8)

    def explain(self, line: str) -> None:
        self.log_line(line, "warning")
        self.notify(line, severity="warning", timeout=6)

    def _say(self, line: str, level: str) -> None:
        if level == "error":
            self.fail(line)
        else:
            self.log_line(line, level)

    def show_rows(self) -> None:
        now, bar = self.clock(), self.query_one(FilterBar)
        shown = grid_filter.filtered(self.session.configs, bar.text)
        self.query_one(ConfigGrid).show([self.session.facts(c, now) for c in shown], now)
        bar.show_count(len(shown), len(self.session.configs))
        self.show_selected()

    def show_selected(self) -> None:
        config = self.selected
        detail = self.query_one("#detail", Static)
        bar = self.query_one(ActivityBar)
        self._refresh_footer()
        if config is None:
            self._detail_shown = ""
            detail.update("")
            bar.show(None, None, None)
            return
        facts = self.session.facts(config, self.clock())
        line = detail_line(facts)
        if line != self._detail_shown:  # an update lays out the whole screen again
            self._detail_shown = line
            detail.update(line)
        bar.show(facts.activity, facts.elapsed_s, self.session.test_total(config.key))
        hint = (
            f"{config.key}: no test yet in this session.\n\nd deploys, t tests "
            f"({self.session.settings.describe()}), s changes the settings."
        )
        if config.backend == "foreign":
            hint = foreign_rows.hint(config, self.session.settings.describe())
        if self._live is not None:
            self._live.show(config.key, self.session.snapshots.get(config.key), hint)

    @property
    def selected(self) -> Configuration | None:
        return self.session.config(self.query_one(ConfigGrid).selected_key)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Whether the footer offers `action` for the selected row (`footer_keys`)."""
        try:
            config = self.selected
        except NoMatches:  # not composed yet
            config = None
        return footer_keys.key_state(action, config, self.session, self.size.width >= WIDE)

    def _refresh_footer(self) -> None:
        states = footer_keys.key_states(self.selected, self.session, self.size.width >= WIDE)
        if states != self._footer:
            self._footer = states
            self.refresh_bindings()

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
            model = self.session.model.spec
            self.thread(workers.refresh, "refresh", self.session.configs, generation, model)
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
        if self._refused(self.selected):
            return
        config = self.ready_config(action)
        if config is None:
            return
        self.session.set_activity(config.key, ACTIVITY[action], self.clock())
        self.log_line(f"{config.key}: {action}…")
        self.thread(workers.act, f"row:{config.key}", action, config)
        self.show_rows()

    def action_unchecked(self, action: str) -> None:
        """A key the footer does not offer now: its action runs anyway, and says why not."""
        if action in {key.action for key in MAIN_KEYS}:
            getattr(self, f"action_{action}")()

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
        stop = self.session.begin_test(config.key, self.clock())
        specs = self.session.settings.specs()
        self.thread(workers.run_tests, f"row:{config.key}", config, specs, self.body, stop)
        self.show_rows()

    def action_teardown(self) -> None:
        if not self._refused(self.selected):
            dialogs.confirm_teardown(self)

    def action_add_target(self) -> None:
        """Ask for a URL or an endpoint name; add it as a row, select it and describe it."""
        if not self.have_engine("add target"):
            return

        def chosen(added: AddedTarget | None) -> None:
            if added is None:
                return
            config = self.foreign.add(added.target, added.usd_per_hour)
            if config is None:
                return
            self.foreign.save()
            if not grid_filter.matches(config, self.query_one(FilterBar).text):
                self.query_one(FilterBar).clear()  # the new row shows
            self.show_rows()
            grid = self.query_one(ConfigGrid)
            grid.move_cursor(row=grid.get_row_index(config.key))
            self.refresh_rows()

        self.app.push_screen(AddTargetScreen(), chosen)

    def action_teardown_all(self) -> None:
        if self.have_engine("tear down"):
            dialogs.confirm_teardown_all(self)

    def action_model(self) -> None:
        if self.have_engine("model"):
            model_switch.ask(self)

    def action_settings(self) -> None:
        def saved(settings: TestSettings | None) -> None:
            if settings is None:
                return
            self.session.settings = settings
            try:
                stored.save(self.settings_path, settings)
            except Exception as exc:  # noqa: BLE001
                self.fail(workers.one_line(exc))
                return
            self.log_line(f"test settings: {settings.describe()} (saved)", "ok")
            self.show_selected()

        self.app.push_screen(SettingsScreen(self.session.settings), saved)

    def action_export(self) -> None:
        engine = self.session.engine
        if not self.have_engine("export") or engine is None:
            return

        def written(message: m.ExportWritten | None) -> None:
            if message is not None:
                self.on_export_written(message)

        self.app.push_screen(ExportScreen(Path.cwd(), engine), written)

    def action_report(self) -> None:
        engine = self.session.engine
        if not self.have_engine("report") or engine is None:
            return

        def written(message: m.ExportWritten | None) -> None:
            if message is not None:
                self.on_export_written(message)

        self.app.push_screen(ExportScreen(Path.cwd(), engine, REPORT), written)

    def action_results(self) -> None:
        if self.session.engine is None:
            self.have_engine("results")
            return
        from rnbench.tui.app.screens.results import ResultsScreen  # charts: not needed at start

        self.app.push_screen(ResultsScreen(self.session.engine, self.session.model.spec))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    def action_clear_filter(self) -> None:
        self.query_one(FilterBar).clear()

    def on_filter_bar_changed(self, message: FilterBar.Changed) -> None:
        self.show_rows()

    def on_filter_bar_done(self, message: FilterBar.Done) -> None:
        self.query_one(ConfigGrid).focus()
        self.show_rows()

    def action_request_quit(self) -> None:
        """Quit at once when nothing can be up; else list what is (in a worker) and ask."""
        if self.session.engine is None:
            self.exit_app()
            return
        self.log_line("checking what is still deployed…")
        self.thread(workers.list_owned, "quit")

    # ---- what the dialogs and handlers share ---------------------------------------------

    def exit_app(self) -> None:
        self.session.stop_tests()
        for run in self.session.tests.values():
            run.cancel()
        self.app.exit()

    def _refused(self, config: Configuration | None) -> bool:
        """True (and said) when `config` is a foreign target, which rnbench only tests."""
        refusal = foreign_rows.refusal(config)
        if refusal is not None:
            self.explain(refusal)
        return refusal is not None

    def _after_action(self, key: str, action: str) -> None:
        generation = self.refresh_rows()
        self.session.settle_after(key, action, generation)
        if action == "teardown-all" and self.session.quitting:
            self.app.exit()
        self.show_rows()

    # ---- what workers report -------------------------------------------------------------

    def on_engine_ready(self, message: m.EngineReady) -> None:
        session = self.session
        session.engine = message.engine
        session.configs = message.engine.configurations()
        model_switch.use(self, message.model, message.warning)
        self.log_line(f"engine ready: {len(session.configs)} configurations", "ok")
        self.foreign.restore()
        self.show_rows()
        self.refresh_rows()
        self.thread(workers.list_owned, "leftovers", "start")

    def on_engine_failed(self, message: m.EngineFailed) -> None:
        self.session.engine_error = message.reason
        self.fail(f"the engine could not start: {message.reason}")

    def on_rows_refreshed(self, message: m.RowsRefreshed) -> None:
        if self.session.apply_rows(message):
            self.show_rows()

    def on_action_progress(self, message: m.ActionProgress) -> None:
        self.log_line(message.line)
        key = message.config_key
        if message.phase and key in self.session.activity:  # the backend's own word
            self.session.set_activity(key, message.phase, self.clock())
            self.show_rows()

    def on_action_done(self, message: m.ActionDone) -> None:
        if message.action == "teardown":
            self.session.leftovers.pop(message.config_key, None)
        elif message.action == "teardown-all":
            self.session.leftovers.clear()
        self.log_line(message.summary, "ok")
        self.notify(message.summary, timeout=4)
        self._after_action(message.config_key, message.action)

    def on_action_failed(self, message: m.ActionFailed) -> None:
        self.fail(f"{message.action} failed: {message.reason}")
        if message.config_key:
            self.session.end_activity(message.config_key)
        self._after_action(message.config_key, message.action)

    def on_test_started(self, message: m.TestStarted) -> None:
        ended = self.session.point_started(message, self.clock())
        if ended is not None:
            self.post_message(ended)  # the sweep's last point: reported before the next
        key, spec = message.config_key, message.spec
        load = self.session.settings.describe() if spec is None else describe_spec(spec)
        if message.steps > 1:
            point = f"sweep {message.sweep_id} point {message.step}/{message.steps}"
            self.log_line(f"{key}: {point} started ({load})")
        else:
            self.log_line(f"{key}: test started ({load})")
        self.show_rows()

    def on_test_finished(self, message: m.TestFinished) -> None:
        self.session.test_finished(message)
        record = message.record
        if record is not None:
            line = (
                f"{record.config}: {record.tps:.1f} TPS, p50 {record.p50_ms:.1f} ms, "
                f"p99 {record.p99_ms:.1f} ms, {record.errors} errors ({record.weights} "
                f"weights)"
            )
            if record.status == "ok":
                self.log_line(line, "ok")
                self.notify(line, title="test done", timeout=6)
                if record.note:  # e.g. the load generator saturated its own CPU
                    self.log_line(f"{record.config}: note: {record.note}", "warning")
                other = model_switch.other_model_note(record, self.session.model)
                if other:
                    self.explain(other)
            else:  # degraded: the figures describe a failing endpoint
                self.explain(f"{line}: {record.status}: {record.note}")
        else:
            self.fail(f"{message.config_key}: test failed: {message.error or 'no result'}")
        self.show_rows()

    def on_export_written(self, message: m.ExportWritten) -> None:
        line = f"wrote {message.rows} run(s) to {message.path}"
        if message.what == "report":
            line = f"wrote the report of {message.rows} run(s) to {message.path}"
        self.log_line(line, "ok")
        self.notify(line, title="exported", timeout=8)

    def on_owned_listed(self, message: m.OwnedListed) -> None:
        """What is still up: at start, offer it for teardown; on quit, ask before leaving."""
        if message.purpose == "start":
            dialogs.offer_leftovers(self, message)
        else:
            dialogs.ask_before_quit(self, message)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_selected()

    def on_resize(self, event: events.Resize) -> None:
        """Narrow terminals get a compact footer without the palette hint, so every key fits."""
        footer = self.query_one(Footer)
        footer.compact = event.size.width < WIDE
        footer.show_command_palette = event.size.width >= WIDE
        self.query_one(ConfigGrid).fit(event.size.width)
        self._refresh_footer()

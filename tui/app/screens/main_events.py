"""The main screen's handlers of worker messages, on the UI thread (see `main_base.py`)."""

from __future__ import annotations

from textual.widgets import DataTable

from rnbench.core.backend import State
from rnbench.core.test_settings import describe_spec
from rnbench.tui.app import messages as m
from rnbench.tui.app import workers
from rnbench.tui.app.screens.main_base import ACTIVITY, MainBase


class MainEvents(MainBase):
    """What workers report, applied to the screen."""

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

    def on_export_written(self, message: m.ExportWritten) -> None:
        line = f"wrote {message.rows} run(s) to {message.path}"
        self.log_line(line, "ok")
        self.notify(line, title="exported", timeout=8)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_selected()

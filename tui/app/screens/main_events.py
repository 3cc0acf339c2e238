"""What workers report, applied to the main screen: plain functions, on the UI thread.

`MainScreen`'s `on_*` handlers call these; each updates the screen's `Session` and shows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rnbench.core.test_settings import describe_spec
from rnbench.tui.app import messages as m
from rnbench.tui.app import workers

if TYPE_CHECKING:
    from rnbench.tui.app.screens.main import MainScreen


def engine_ready(screen: MainScreen, message: m.EngineReady) -> None:
    session = screen.session
    session.engine = message.engine
    session.configs = message.engine.configurations()
    screen.log_line(f"engine ready: {len(session.configs)} configurations", "ok")
    screen.show_rows()
    screen.refresh_rows()
    screen.thread(workers.list_owned, "leftovers", "start")


def engine_failed(screen: MainScreen, message: m.EngineFailed) -> None:
    screen.session.engine_error = message.reason
    screen.fail(f"the engine could not start: {message.reason}")


def rows_refreshed(screen: MainScreen, message: m.RowsRefreshed) -> None:
    if screen.session.apply_rows(message):
        screen.show_rows()


def action_progress(screen: MainScreen, message: m.ActionProgress) -> None:
    screen.log_line(message.line)
    activity = screen.session.activity
    if message.config_key and message.config_key in activity:
        lowered = message.line.lower()
        if "compil" in lowered or "export" in lowered:
            activity[message.config_key] = "compiling"
        elif "packag" in lowered:
            activity[message.config_key] = "packaging"


def action_done(screen: MainScreen, message: m.ActionDone) -> None:
    if message.action == "teardown":
        screen.session.leftovers.pop(message.config_key, None)
    elif message.action == "teardown-all":
        screen.session.leftovers.clear()
    screen.log_line(message.summary, "ok")
    screen.notify(message.summary, timeout=4)
    _after_action(screen, message.config_key, message.action)


def action_failed(screen: MainScreen, message: m.ActionFailed) -> None:
    screen.fail(f"{message.action} failed: {message.reason}")
    if message.config_key:
        screen.session.activity.pop(message.config_key, None)
    _after_action(screen, message.config_key, message.action)


def _after_action(screen: MainScreen, key: str, action: str) -> None:
    generation = screen.refresh_rows()
    screen.session.settle_after(key, action, generation)
    if action == "teardown-all" and screen.session.quitting:
        screen.app.exit()
    screen.show_rows()


def test_started(screen: MainScreen, message: m.TestStarted) -> None:
    ended = screen.session.point_started(message)
    if ended is not None:
        screen.post_message(ended)  # the sweep's last point: reported before the next
    key, spec = message.config_key, message.spec
    load = screen.session.settings.describe() if spec is None else describe_spec(spec)
    if message.steps > 1:
        point = f"sweep {message.sweep_id} point {message.step}/{message.steps}"
        screen.log_line(f"{key}: {point} started ({load})")
    else:
        screen.log_line(f"{key}: test started ({load})")
    screen.show_rows()


def test_finished(screen: MainScreen, message: m.TestFinished) -> None:
    screen.session.test_finished(message)
    record = message.record
    if record is not None:
        line = (
            f"{record.config}: {record.tps:.1f} TPS, p50 {record.p50_ms:.1f} ms, "
            f"p99 {record.p99_ms:.1f} ms, {record.errors} errors ({record.weights} "
            f"weights)"
        )
        if record.status == "ok":
            screen.log_line(line, "ok")
            screen.notify(line, title="test done", timeout=6)
            if record.note:  # e.g. the load generator saturated its own CPU
                screen.log_line(f"{record.config}: note: {record.note}", "warning")
        else:  # degraded: the figures describe a failing endpoint
            screen.explain(f"{line}: {record.status}: {record.note}")
    else:
        screen.fail(f"{message.config_key}: test failed: {message.error or 'no result'}")
    screen.show_rows()


def export_written(screen: MainScreen, message: m.ExportWritten) -> None:
    line = f"wrote {message.rows} run(s) to {message.path}"
    screen.log_line(line, "ok")
    screen.notify(line, title="exported", timeout=8)

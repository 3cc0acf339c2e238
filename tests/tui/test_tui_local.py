"""The app on the real local backend: deploy local-cpu, test it, export, tear down, quit prompt.

One app session does it all (one ResNet-50 server start); a finalizer tears down anything left.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Input

from rnbench.core.assembly import build_engine
from rnbench.core.engine import Engine
from rnbench.core.run import options as core_settings
from rnbench.tui.app import messages as m
from rnbench.tui.app import settings as stored
from rnbench.tui.app.main import RnbenchApp
from rnbench.tui.app.screens.quit import QuitScreen
from rnbench.tui.app.widgets.grid import ConfigGrid
from rnbench.tui.app.widgets.live_panel import LivePanel
from rnbench.tui.app.widgets.log_panel import LogPanel


@pytest.fixture
def engine(rnbench_home: Path) -> Iterator[Engine]:
    built = build_engine()
    yield built
    build_engine().teardown_all()


async def wait_for(pilot: Pilot[None], seen: list[Message], kind: type, timeout_s: float) -> list:
    for _ in range(int(timeout_s / 0.25)):
        found = [x for x in seen if isinstance(x, kind)]
        if found:
            return found
        await pilot.pause(0.25)
    raise AssertionError(f"no {kind.__name__} within {timeout_s} s; log: {log(pilot)}")


def log(pilot: Pilot[None]) -> str:
    app = pilot.app
    assert isinstance(app, RnbenchApp)
    return "\n".join(app.main_screen.query_one(LogPanel).entries)


def cell(app: RnbenchApp, key: str, column: str) -> str:
    return str(app.main_screen.query_one(ConfigGrid).get_cell(key, column))


async def test_deploy_test_export_teardown_and_quit_on_the_local_backend(
    engine: Engine, doggo_jpeg: bytes, tmp_path: Path
) -> None:
    settings_path = tmp_path / "tui-settings.json"
    stored.save(settings_path, core_settings.TestSettings((2,), 3.0, 1.0))
    app = RnbenchApp(lambda: engine, doggo_jpeg, settings_path=settings_path)
    seen: list[Message] = []
    async with app.run_test(size=(120, 35), message_hook=seen.append) as pilot:
        await wait_for(pilot, seen, m.RowsRefreshed, 30)
        grid = app.main_screen.query_one(ConfigGrid)
        grid.move_cursor(row=grid.get_row_index("local-cpu"))
        await pilot.press("d")
        await pilot.pause()
        state = cell(app, "local-cpu", "state")
        assert state.startswith(("deploying", "starting server", "loading model")), state
        done = await wait_for(pilot, seen, m.ActionDone, 240)
        assert done[0].action == "deploy", log(pilot)
        phases = [x.phase for x in seen if isinstance(x, m.ActionProgress) and x.phase]
        assert list(dict.fromkeys(phases)) == ["starting server", "loading model"]  # the backend's
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert cell(app, "local-cpu", "state") == "in service"

        await pilot.press("t")
        await wait_for(pilot, seen, m.TestStarted, 30)
        await pilot.pause(1.0)
        await pilot.press("question_mark")  # the UI answers keys while the test runs
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        finished = await wait_for(pilot, seen, m.TestFinished, 90)
        record = finished[0].record
        assert record is not None, finished[0].error
        assert record.config == "local-cpu" and record.concurrency == 2 and record.tps > 0
        await pilot.pause()
        assert cell(app, "local-cpu", "tps") == f"{record.tps:.1f}"
        assert cell(app, "local-cpu", "state") == "in service"
        shown = app.main_screen.snapshots["local-cpu"]
        assert shown.phase == "done" and shown.windows and shown.histogram
        panel = app.main_screen.query_one(LivePanel)
        last = shown.windows[-1].index
        assert panel._drawn == (shown.run_id, "done", "", str(last))
        assert panel._plotted == ((shown.run_id, "done", ""), last)  # the end is always plotted

        target = tmp_path / "runs.csv"
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        written = await wait_for(pilot, seen, m.ExportWritten, 30)
        assert written[0].path == target
        with target.open() as f:
            assert record.run_id in {row["run_id"] for row in csv.DictReader(f)}

        await pilot.press("q")
        await wait_for(pilot, seen, m.OwnedListed, 30)
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("c")
        await pilot.pause()

        seen.clear()
        await pilot.press("x", "y")
        done = await wait_for(pilot, seen, m.ActionDone, 60)
        assert done[0].action == "teardown"
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert cell(app, "local-cpu", "state") == "not deployed"
    assert engine.owned() == []

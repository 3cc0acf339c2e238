"""The app with a foreign target (core/foreign.py): `a` adds a URL as a grid row, marked foreign;
`t` load-tests it on the real engine; `d`, `c` and `x` say rnbench does not deploy or tear it
down, and `X` leaves it alone; a bad URL is refused in the prompt."""

from __future__ import annotations

from pathlib import Path

from fake_servers import Behaviour, FakeServer
from test_tui_local import cell, log, wait_for
from textual.message import Message
from textual.widgets import Input, Label

from rnbench.core.assembly import build_engine
from rnbench.core.backends.foreign import targets as foreign
from rnbench.core.run import options as core_settings
from rnbench.tui.app import messages as m
from rnbench.tui.app import settings as stored
from rnbench.tui.app.main import RnbenchApp
from rnbench.tui.app.screens.add_target import AddTargetScreen
from rnbench.tui.app.screens.main import MainScreen
from rnbench.tui.app.widgets.grid import ConfigGrid


async def test_add_a_url_target_test_it_and_be_refused_teardown(
    rnbench_home: Path, doggo_jpeg: bytes, tmp_path: Path
) -> None:
    settings_path = tmp_path / "tui-settings.json"
    stored.save(settings_path, core_settings.TestSettings((2,), 1.0, 0.5))
    engine = build_engine()
    seen: list[Message] = []
    with FakeServer(Behaviour(service_s=0.005)) as server:
        address = f"http://127.0.0.1:{server.port}/invocations"
        key = f"url:{address}"
        app = RnbenchApp(lambda: engine, doggo_jpeg, settings_path=settings_path)
        async with app.run_test(size=(120, 35), message_hook=seen.append) as pilot:
            await wait_for(pilot, seen, m.RowsRefreshed, 30)

            await pilot.press("a")
            await pilot.pause()
            assert isinstance(app.screen, AddTargetScreen)
            app.screen.query_one("#target", Input).value = "ftp://nowhere"
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, AddTargetScreen)  # refused, still asking
            error = str(app.screen.query_one("#dialog-error", Label).render())
            assert "not an http:// URL" in error
            app.screen.query_one("#target", Input).value = address
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)

            seen.clear()
            await wait_for(pilot, seen, m.RowsRefreshed, 30)
            await pilot.pause()
            assert app.main_screen.query_one(ConfigGrid).selected_key == key
            assert cell(app, key, "where") == "foreign URL"
            assert cell(app, key, "state") == "in service"
            assert "foreign target" in log(pilot)
            assert "foreign target" in str(app.main_screen.query_one("#detail").render())

            for refused_key in ("d", "c", "x"):
                await pilot.press(refused_key)
                await pilot.pause()
                assert isinstance(app.screen, MainScreen), refused_key  # no confirm dialog
            assert log(pilot).count(foreign.REFUSAL) == 3

            await pilot.press("t")
            await wait_for(pilot, seen, m.TestStarted, 30)
            finished = await wait_for(pilot, seen, m.TestFinished, 60)
            record = finished[0].record
            assert record is not None, finished[0].error
            assert (record.config, record.backend, record.concurrency) == (key, "foreign", 2)
            assert record.requests > 0 and record.usd_per_hour is None
            await pilot.pause()
            assert cell(app, key, "tps") == f"{record.tps:.1f}"
            assert server.requests >= record.requests

            seen.clear()
            await pilot.press("X")
            await pilot.pause()
            assert key not in str(app.screen.query_one(".dialog-body", Label).render())
            await pilot.press("y")
            await pilot.pause()
            assert cell(app, key, "state") == "in service"  # never "tearing down"
            done = await wait_for(pilot, seen, m.ActionDone, 60)
            assert done[0].action == "teardown-all" and key not in done[0].summary
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            assert cell(app, key, "state") == "in service"
    assert engine.owned() == []
    assert [r.config for r in engine.runs()] == [key]

"""A URL target with secrets in its query, added in the TUI (issue 18, item 5): the row, the log
and the settings file show its query values as `***`; a later session cannot know them, so it
says, in one line, to give the URL again, and adds no row."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input
from tui_fakes import FakeEngine
from tui_pilot import log, make_app, settle

from rnbench.core.backends.foreign import targets as foreign

SECRET = "SECRET123"


async def test_a_url_with_secrets_is_remembered_without_them(
    fake_engine: FakeEngine, settings_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(foreign, "_given", {})
    given = f"http://10.0.0.5:8080/invocations?X-Amz-Signature={SECRET}"
    key = "url:http://10.0.0.5:8080/invocations?X-Amz-Signature=***"
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        app.screen.query_one("#target", Input).value = given
        await pilot.press("enter")
        await settle(pilot)
        assert app.main_screen.session.config(key) is not None
        assert f"{key}: added as a foreign target" in log(app)
        assert SECRET not in log(app)
    text = settings_path.read_text()
    assert key in text and SECRET not in text

    foreign._given.clear()  # the next session knows nothing of the URL given in this one
    again = FakeEngine()
    app = make_app(again, settings_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        assert app.main_screen.session.config(key) is None
        warnings = [line for line in log(app).splitlines() if "ignored a saved target" in line]
        assert len(warnings) == 1 and "give the URL again" in warnings[0], log(app)
        assert SECRET not in log(app)

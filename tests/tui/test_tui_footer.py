"""The footer follows the selected row: it offers only the keys that fit it; a key that does not
fit is still answered with why. The results screen's footer and help list its tab keys."""

from __future__ import annotations

import inspect
import threading
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey
from tui_fakes import FakeEngine, fixed_clock
from tui_pilot import log, make_app, rendered, select, settle, start_test

from rnbench.core.backends.local.backend import NO_CUDA
from rnbench.core.backends.protocol import State, Status
from rnbench.core.configs import get_configuration
from rnbench.core.run.options import TestSettings
from rnbench.tui.app.footer_keys import key_state
from rnbench.tui.app.main import RnbenchApp
from rnbench.tui.app.screens.help import HelpScreen
from rnbench.tui.app.screens.results import ResultsScreen
from rnbench.tui.app.session import Session

SIZE = (120, 35)
ROW_KEYS = {"c", "d", "t", "x"}


def footer_keys(pilot: Pilot[None]) -> dict[str, bool]:
    """The keys the footer shows now, and whether each is enabled (not greyed out)."""
    footer = pilot.app.screen.query_one(Footer)
    return {key.key: not key.has_class("-disabled") for key in footer.query(FooterKey)}


@pytest.mark.parametrize("row", ["c5", "local-gpu"])
async def test_an_unavailable_row_is_offered_no_row_key_but_a_deployed_one_is(
    fake_engine: FakeEngine, settings_path: Path, row: str
) -> None:
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select(pilot, row)
        shown = footer_keys(pilot)
        assert not ROW_KEYS & shown.keys(), shown
        assert {"a", "s", "e", "r", "question_mark", "q"} <= shown.keys()
        await select(pilot, "local-cpu-compiled")  # in service, a compiled runtime
        shown = footer_keys(pilot)
        assert {"c", "t", "x", "a"} <= shown.keys() and "d" not in shown, shown
        assert all(shown.values())
        await select(pilot, "local-cpu")  # eager, not deployed: deploy only
        shown = footer_keys(pilot)
        assert "d" in shown and not {"c", "t", "x"} & shown.keys(), shown


async def test_a_key_the_footer_hides_is_still_answered_with_why(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select(pilot, "local-gpu")
        await pilot.press("d", "c")
        await settle(pilot)
        assert f"local-gpu is unavailable here: {NO_CUDA}" in log(app)
        await select(pilot, "local-cpu")
        assert "t" not in footer_keys(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert "local-cpu is not in service: deploy it first (d)" in log(app)
        assert fake_engine.calls == []


async def test_a_busy_row_greys_its_keys_and_a_pressed_one_says_busy(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    fake_engine.test_windows = 1000
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_test(pilot, "local-cpu-compiled")
        await pilot.pause(0.6)
        shown = footer_keys(pilot)
        assert shown["t"] is False and shown["c"] is False, shown  # greyed: wait for the test
        assert shown["x"] is True  # tearing down cancels the test
        await pilot.press("t")
        await pilot.pause()
        assert "local-cpu-compiled is busy (testing" in log(app)
        assert [c for c in fake_engine.calls if c[0] == "test"] == [("test", "local-cpu-compiled")]
        app.main_screen.session.stop_tests()


async def test_while_the_engine_loads_its_keys_are_greyed_and_answered(
    settings_path: Path,
) -> None:
    loaded = threading.Event()

    def slow() -> FakeEngine:
        loaded.wait(20)
        return FakeEngine()

    app = RnbenchApp(slow, b"jpeg", settings_path=settings_path, clock=fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = footer_keys(pilot)
        assert not ROW_KEYS & shown.keys(), shown
        assert shown["e"] is False and shown["a"] is False, shown
        assert shown["q"] is True
        await pilot.press("e")
        await pilot.pause()
        assert "export: the engine is still loading" in log(app)
        loaded.set()
        await settle(pilot)
        assert footer_keys(pilot)["e"] is True


async def test_the_palette_runs_a_hidden_key_which_says_why(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select(pilot, "c5")
        deploy = next(c for c in app.get_system_commands(app.screen) if c.title == "Deploy")
        outcome = deploy.callback()
        assert inspect.isawaitable(outcome)
        await outcome
        await settle(pilot)
        assert "c5 is unavailable here: no AWS credentials" in log(app)


async def test_the_results_footer_and_help_list_its_tab_keys(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ResultsScreen)
        assert {"1", "2", "3", "4", "escape", "question_mark"} <= footer_keys(pilot).keys()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = rendered(app.screen.query(Static).first())
        assert "Tab 3: throughput-latency curves" in text and "[" in text
        assert "Deploy the selected configuration" not in text  # the main screen's keys
        await pilot.press("escape")
        await pilot.press("3")
        await pilot.pause()
        assert app.screen.query_one("TabbedContent").active == "tab-sweeps"  # type: ignore[attr-defined]


def test_key_states_follow_the_row() -> None:
    session = Session(TestSettings())
    gpu, cpu = get_configuration("local-gpu"), get_configuration("local-cpu-compiled")
    assert key_state("deploy", cpu, session) is False  # no engine yet: row keys wait unseen
    assert key_state("export", cpu, session) is None
    assert key_state("help", cpu, session) is True
    session.engine = FakeEngine()
    session.statuses[gpu.key] = Status(gpu.key, State.UNAVAILABLE, NO_CUDA)
    session.statuses[cpu.key] = Status(cpu.key, State.NOT_DEPLOYED)
    assert [key_state(a, gpu, session) for a in ("compile", "deploy", "test")] == [False] * 3
    assert [key_state(a, cpu, session) for a in ("compile", "deploy", "test", "teardown")] == [
        True,
        True,
        False,
        False,
    ]
    session.activity[cpu.key] = "deploying"
    assert key_state("deploy", cpu, session) is None  # greyed until the deploy is over
    assert key_state("filter", cpu, session, wide=False) is False  # no room at 80 columns

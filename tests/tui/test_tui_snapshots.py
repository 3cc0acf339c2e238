"""Snapshots of the main, results and help screens: fake engine, fixed data, fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from tui_fakes import FakeEngine, fixed_clock

from rnbench.tui.app.main import RnbenchApp
from rnbench.tui.app.screens.leftovers import LeftoversScreen
from rnbench.tui.app.widgets.grid import ConfigGrid

SnapCompare = Callable[..., bool]


def make_app(settings_path: Path) -> RnbenchApp:
    engine = FakeEngine(test_windows=6)
    return RnbenchApp(lambda: engine, b"jpeg", settings_path=settings_path, clock=fixed_clock)


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for the workers; the start-up leftovers prompt is answered 'decide later'."""
    for _ in range(2):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not isinstance(pilot.app.screen, LeftoversScreen):
            return
        await pilot.press("escape")


async def after_a_test(pilot: Pilot[Any]) -> None:
    """The compiled local row selected after a finished (fake) test."""
    await settle(pilot)
    grid = pilot.app.screen.query_one(ConfigGrid)
    grid.move_cursor(row=grid.get_row_index("local-cpu-compiled"))
    await pilot.press("t")
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, RnbenchApp)
    for _ in range(40):
        if not app.main_screen.tests and not app.main_screen.session.activity:
            break  # its end handled too: the row's keys are back
        await pilot.pause(0.2)
    app.clear_notifications()
    await pilot.pause()
    await pilot.pause()  # the footer, redrawn for them


def test_main_screen(snap_compare: SnapCompare, settings_path: Path, utc: None) -> None:
    assert snap_compare(make_app(settings_path), terminal_size=(120, 35), run_before=after_a_test)


def test_main_screen_wide(snap_compare: SnapCompare, settings_path: Path, utc: None) -> None:
    assert snap_compare(make_app(settings_path), terminal_size=(200, 50), run_before=after_a_test)


def test_results_screen(snap_compare: SnapCompare, settings_path: Path, utc: None) -> None:
    async def results(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)

    assert snap_compare(make_app(settings_path), terminal_size=(120, 35), run_before=results)


@pytest.mark.parametrize("tab", ["2", "3", "4"], ids=["overlay", "sweeps", "slo"])
def test_results_tab(snap_compare: SnapCompare, settings_path: Path, utc: None, tab: str) -> None:
    async def results(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(tab)
        await pilot.pause()

    assert snap_compare(make_app(settings_path), terminal_size=(120, 35), run_before=results)


def test_help_screen(snap_compare: SnapCompare, settings_path: Path, utc: None) -> None:
    async def help_screen(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make_app(settings_path), terminal_size=(120, 35), run_before=help_screen)


@pytest.mark.parametrize("key", ["a", "X"])
def test_dialog_text_wraps_at_80x24(
    snap_compare: SnapCompare, settings_path: Path, utc: None, key: str
) -> None:
    """The add-target and tear-all dialogs wrap their text instead of cutting it."""

    async def dialog(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press(key)
        await pilot.pause()

    assert snap_compare(make_app(settings_path), terminal_size=(80, 24), run_before=dialog)


def test_main_screen_at_160x45(snap_compare: SnapCompare, settings_path: Path, utc: None) -> None:
    assert snap_compare(make_app(settings_path), terminal_size=(160, 45), run_before=after_a_test)


def test_main_screen_at_80x24(snap_compare: SnapCompare, settings_path: Path, utc: None) -> None:
    """At 80 columns the grid keeps its essential columns (the stored runs' figures), the footer
    its essential keys and the log its lines. (Before a test: plotext's axis ticks in a 20-column
    histogram are not the same from one render to the next.)"""

    async def selected(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        grid = pilot.app.screen.query_one(ConfigGrid)
        grid.move_cursor(row=grid.get_row_index("local-cpu-compiled"))
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(settings_path), terminal_size=(80, 24), run_before=selected)


def test_results_screen_at_80x24(snap_compare: SnapCompare, settings_path: Path, utc: None) -> None:
    async def results(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)

    assert snap_compare(make_app(settings_path), terminal_size=(80, 24), run_before=results)


def test_model_dialog_wraps_at_80x24(
    snap_compare: SnapCompare, settings_path: Path, utc: None
) -> None:
    """The model dialog (m) wraps its text, torchvision's names listed (their worker done)."""

    async def dialog(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("m")
        await pilot.pause()
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # torchvision's import takes a varying number of blinks
        await settle(pilot)

    assert snap_compare(make_app(settings_path), terminal_size=(80, 24), run_before=dialog)


def test_filtered_grid_at_80x24(snap_compare: SnapCompare, settings_path: Path, utc: None) -> None:
    """`/cpu` then enter: the grid keeps the local CPU rows, the line above it says so."""

    async def filtered(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("slash", *"cpu", "enter")
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(settings_path), terminal_size=(80, 24), run_before=filtered)

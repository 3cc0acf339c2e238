"""What the Pilot tests of the explorer share: an app on the fake engine, waiting for its
workers, choosing a row, starting a test, and reading the grid, the log and a Static."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static
from tui_fakes import FakeEngine, fixed_clock

from rnbench.tui.app.main import RnbenchApp
from rnbench.tui.app.screens.leftovers import LeftoversScreen
from rnbench.tui.app.widgets.grid import ConfigGrid
from rnbench.tui.app.widgets.log_panel import LogPanel

SIZE = (120, 35)


def make_app(engine: FakeEngine, settings_path: Path) -> RnbenchApp:
    return RnbenchApp(lambda: engine, b"jpeg", settings_path=settings_path, clock=fixed_clock)


async def wait(pilot: Pilot[None]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def settle(pilot: Pilot[None]) -> None:
    """Wait for the workers; the start-up leftovers prompt is answered 'decide later'."""
    await wait(pilot)
    if isinstance(pilot.app.screen, LeftoversScreen):
        await pilot.press("escape")
        await wait(pilot)


async def select(pilot: Pilot[None], key: str) -> None:
    grid = pilot.app.screen.query_one(ConfigGrid)
    grid.move_cursor(row=grid.get_row_index(key))
    await pilot.pause()


async def start_test(pilot: Pilot[None], key: str) -> None:
    """Once the engine is up, choose `key`'s row and press t."""
    await settle(pilot)
    await select(pilot, key)
    await pilot.press("t")


def cell(app: RnbenchApp, key: str, column: str) -> str:
    return str(app.main_screen.query_one(ConfigGrid).get_cell(key, column))


def rendered(widget: Static) -> str:
    """The text a Static shows, rich renderables (tables) included."""
    console = Console(width=160, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def log(app: RnbenchApp) -> str:
    return "\n".join(app.main_screen.query_one(LogPanel).entries)

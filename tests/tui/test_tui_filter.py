"""The grid's `/` filter, as k9s's: typing narrows the rows, enter keeps it, escape clears it."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, Static
from tui_fakes import FakeEngine
from tui_pilot import make_app, settle

from rnbench.core.configs import all_configurations, get_configuration
from rnbench.tui.app.grid_filter import filtered, matches
from rnbench.tui.app.widgets.grid import ConfigGrid

SIZE = (120, 35)


def rows(pilot: Pilot[None]) -> list[str]:
    grid = pilot.app.screen.query_one(ConfigGrid)
    return [str(row.key.value) for row in grid.ordered_rows]


def filter_line(pilot: Pilot[None]) -> str:
    return str(pilot.app.screen.query_one("#filter-line", Static).content)


async def test_typing_a_filter_keeps_the_matching_rows_and_escape_restores_all(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        every = rows(pilot)
        assert len(every) == len(all_configurations())
        await pilot.press("slash", "C", "p", "U")
        await pilot.pause()
        assert isinstance(app.focused, Input)
        cpu = [key for key in every if key.startswith("local-cpu")]
        assert rows(pilot) == cpu  # by name, any case ("runs on: local cpu" too)
        assert f"{len(cpu)} of {len(every)} rows · enter keeps" in filter_line(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.focused, ConfigGrid)  # the grid's keys work again
        assert rows(pilot) == cpu
        assert filter_line(pilot) == (
            f"filter: CpU — {len(cpu)} of {len(every)} rows (/ changes it, escape clears it)"
        )
        await pilot.press("down", "d")  # acts on the filtered row selected
        await settle(pilot)
        assert ("deploy", cpu[1]) in fake_engine.calls
        await pilot.press("escape")
        await pilot.pause()
        assert rows(pilot) == every
        assert not app.screen.query_one("#filter").has_class("-active")  # the line is hidden


async def test_a_filter_on_the_runtime_or_instance_and_one_that_keeps_nothing(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"g4dn.x")
        await pilot.pause()
        assert rows(pilot) == ["g4dn", "g4dn-neo"]  # ml.g4dn.xlarge
        await pilot.press("escape", "slash", *"zzz", "enter")
        await pilot.pause()
        assert rows(pilot) == []
        assert "0 of" in filter_line(pilot)
        await pilot.press("d")  # no row selected: nothing happens, nothing breaks
        await pilot.press("escape")
        await pilot.pause()
        assert len(rows(pilot)) == len(all_configurations())


def test_matches_name_label_runtime_instance_and_where() -> None:
    neo = get_configuration("c5-neo")
    assert matches(neo, "") and matches(neo, "NEO") and matches(neo, "c5 + neo")
    assert matches(neo, "compiled") and matches(neo, "ml.c5") and matches(neo, "SM c5")
    assert not matches(neo, "gpu")
    assert [c.key for c in filtered(all_configurations(), "bf16")] == ["local-cpu-bf16"]


async def test_a_target_added_under_a_filter_that_hides_it_clears_the_filter(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    key = "url:http://10.0.0.5:8080/invocations"
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"bf16", "enter", "a")
        await pilot.pause()
        app.screen.query_one("#target", Input).value = "http://10.0.0.5:8080"
        await pilot.press("enter")
        await settle(pilot)
        assert key in rows(pilot) and len(rows(pilot)) == len(all_configurations()) + 1
        assert app.main_screen.selected is not None and app.main_screen.selected.key == key

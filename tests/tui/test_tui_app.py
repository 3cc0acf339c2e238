"""The app driven by Pilot against the fake engine: every key, the messages it posts, the modals."""

from __future__ import annotations

import threading
from pathlib import Path

from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, ProgressBar, Static
from tui_fakes import FakeEngine, fixed_clock
from tui_pilot import SIZE, cell, log, make_app, rendered, select, settle, start_test, wait

from rnbench.core.backends.local.backend import NO_CUDA
from rnbench.core.run import options as core_settings
from rnbench.results.seed import published_row
from rnbench.tui import fmt
from rnbench.tui.app import messages as m
from rnbench.tui.app import settings as stored
from rnbench.tui.app.main import RnbenchApp
from rnbench.tui.app.screens.confirm import ConfirmScreen
from rnbench.tui.app.screens.export import ExportScreen
from rnbench.tui.app.screens.leftovers import LeftoversScreen
from rnbench.tui.app.screens.quit import QuitScreen
from rnbench.tui.app.screens.results import ResultsScreen
from rnbench.tui.app.widgets.activity_bar import ActivityBar
from rnbench.tui.app.widgets.grid import ConfigGrid
from rnbench.tui.app.widgets.log_panel import LogPanel
from rnbench.tui.app.widgets.slo_panel import SloPanel
from rnbench.tui.app.widgets.sweep_curves import SweepCurves


async def test_grid_shows_every_configuration_and_what_sagemaker_lacks(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    app = make_app(fake_engine, settings_path)
    seen: list[Message] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        assert any(isinstance(x, m.EngineReady) for x in seen)
        assert any(isinstance(x, m.RowsRefreshed) for x in seen)
        grid = app.main_screen.query_one(ConfigGrid)
        assert [r.key.value for r in grid.ordered_rows] == [
            "c5",
            "c5-neo",
            "g4dn",
            "g4dn-neo",
            "inf1",
            "inf2",
            "g5",
            "g6",
            "c7i",
            "c7g",
            "serverless",
            "local-cpu",
            "local-cpu-compiled",
            "local-cpu-bf16",
            "local-cpu-int8",
            "local-gpu",
            "local-gpu-compiled",
        ]
        assert cell(app, "c5", "state") == "unavailable"
        assert cell(app, "local-gpu", "state") == "unavailable"  # no CUDA here: shown, and why
        await select(pilot, "local-gpu")
        detail = str(app.main_screen.query_one("#detail", Static).content)
        assert f"unavailable: {NO_CUDA}" in detail
        assert cell(app, "local-cpu-compiled", "state") == "in service"
        assert cell(app, "local-cpu-compiled", "up") == "12m34s"
        assert cell(app, "g4dn", "study") == "74.7"
        assert cell(app, "local-cpu", "tps") == "21.4"
        # an action on a SageMaker row without AWS explains instead of failing
        await select(pilot, "c5")
        await pilot.press("d")
        await settle(pilot)
        assert fake_engine.calls == []
        assert "no AWS credentials" in log(app)
        assert any("no AWS credentials" in n.message for n in app._notifications)


async def test_deploy_test_and_teardown_post_their_messages(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    fake_engine.test_windows = 2
    app = make_app(fake_engine, settings_path)
    seen: list[Message] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        await select(pilot, "local-cpu")
        await pilot.press("t")  # not deployed: explained, nothing started
        await settle(pilot)
        assert ("test", "local-cpu") not in fake_engine.calls
        assert "deploy it first" in log(app)
        await pilot.press("d")
        await settle(pilot)
        assert ("deploy", "local-cpu") in fake_engine.calls
        done = [x for x in seen if isinstance(x, m.ActionDone)]
        assert done and done[-1].action == "deploy"
        phases = [x.phase for x in seen if isinstance(x, m.ActionProgress) and x.phase]
        assert list(dict.fromkeys(phases)) == ["starting server", "loading model"]  # its own
        assert cell(app, "local-cpu", "state") == "in service"
        await pilot.press("t")
        await settle(pilot)
        assert any(isinstance(x, m.TestStarted) for x in seen)
        # The fake test is short: on a loaded machine it may already be ending when we look.
        state = cell(app, "local-cpu", "state")
        assert state.rsplit(" ", 1)[0] in ("starting load", "measuring", "ending"), state
        for _ in range(20):
            if any(isinstance(x, m.TestFinished) for x in seen):
                break
            await pilot.pause(0.25)
        finished = [x for x in seen if isinstance(x, m.TestFinished)]
        assert finished and finished[0].record is not None
        await pilot.pause()
        assert cell(app, "local-cpu", "tps") == "41.0"
        assert cell(app, "local-cpu", "state") == "in service"
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "pid 4242" in str(app.screen.query_one(".dialog-body").render())
        await pilot.press("y")
        await settle(pilot)
        assert ("teardown", "local-cpu") in fake_engine.calls
        assert cell(app, "local-cpu", "state") == "not deployed"


async def test_a_key_is_handled_while_a_test_runs(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    fake_engine.test_windows = 1000
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_test(pilot, "local-cpu-compiled")
        await settle(pilot)
        await pilot.pause(0.6)
        assert cell(app, "local-cpu-compiled", "state").startswith(("starting load", "measuring"))
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.press("q")  # quitting with a deployment asks; cancel keeps the test going
        await settle(pilot)
        assert isinstance(app.screen, QuitScreen)
        body = str(app.screen.query(".dialog-body").first().render())
        assert "cancels the test in progress on local-cpu-compiled" in body
        await pilot.press("c")
        await pilot.pause()
        assert fake_engine.last_run is not None and not fake_engine.last_run.cancelled
        await pilot.press("x", "y")
        await settle(pilot)
        assert fake_engine.last_run.cancelled
        assert ("teardown", "local-cpu-compiled") in fake_engine.calls


async def test_quit_with_deployed_offers_teardown(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, QuitScreen)
        body = str(app.screen.query_one(".dialog-body").render())
        assert "local-cpu-compiled" in body and "no price" in body
        assert "keeping them costs" in body.lower()  # the cost, or that it is unknown
        await pilot.press("t")
        await settle(pilot)
    assert ("teardown_all", "") in fake_engine.calls
    assert fake_engine.deployed == set()


async def test_quit_keep_leaves_deployments_up(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
    assert fake_engine.deployed == {"local-cpu-compiled"}
    assert ("teardown_all", "") not in fake_engine.calls


async def test_settings_are_checked_and_saved(fake_engine: FakeEngine, settings_path: Path) -> None:
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        app.screen.query_one("#concurrency", Input).value = "0"
        await pilot.press("enter")
        await pilot.pause()
        assert "between 1" in str(app.screen.query_one("#dialog-error").render())
        app.screen.query_one("#concurrency", Input).value = "2"
        duration = app.screen.query_one("#duration", Input)
        duration.value = ""
        duration.focus()
        await pilot.press("2", "0", "x", "enter")  # typed, not set: letters are kept
        await pilot.pause()
        assert "got '20x'" in str(app.screen.query_one("#dialog-error").render())
        app.screen.query_one("#duration", Input).value = "3"
        app.screen.query_one("#warmup", Input).value = "1"
        app.screen.query_one("#warmup", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
    assert stored.load(settings_path) == (core_settings.TestSettings((2,), 3.0, 1.0), None)


async def test_export_writes_where_it_says(
    fake_engine: FakeEngine, settings_path: Path, tmp_path: Path
) -> None:
    app = make_app(fake_engine, settings_path)
    target = tmp_path / "out.csv"
    seen: list[Message] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert fake_engine.exported == [target]
        written = [x for x in seen if isinstance(x, m.ExportWritten)]
        assert written and written[0].rows == 7
        assert f"wrote 7 run(s) to {target}" in log(app)


async def test_report_key_writes_the_html_report_of_the_stored_runs(
    fake_engine: FakeEngine, settings_path: Path, tmp_path: Path
) -> None:
    app = make_app(fake_engine, settings_path)
    target = tmp_path / "report.html"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        assert app.screen.query_one("#path", Input).value.endswith("rnbench-report.html")
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)
        assert f"wrote the report of 7 run(s) to {target}" in log(app)
    page = target.read_text()
    assert page.startswith("<!DOCTYPE html>") and "run-b" in page  # a stored run's id


async def test_results_screen_sorts_by_any_column(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 7 + 5
        tps = [float(str(table.get_row_at(i)[2])) for i in range(table.row_count)]
        assert tps == sorted(tps, reverse=True)
        await pilot.press("o")
        tps = [float(str(table.get_row_at(i)[2])) for i in range(table.row_count)]
        assert tps == sorted(tps)
        await pilot.press("left_square_bracket")  # sort by the column before TPS: configuration
        configs = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert configs == sorted(configs)
        sources = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert sources == {"measured", "published"}
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_engine_failure_is_one_line_not_a_crash(settings_path: Path) -> None:
    def broken() -> FakeEngine:
        raise RuntimeError("results store is locked\nsecond line")

    app = RnbenchApp(broken, b"jpeg", settings_path=settings_path, clock=fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "the engine could not start: RuntimeError: results store is locked" in log(app)
        assert "second line" not in log(app)
        await pilot.press("d")
        await pilot.pause()
        assert "deploy: the engine could not start" in log(app)


async def test_leftovers_at_start_are_listed_with_age_and_cost_and_torn_down(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    fake_engine.deployed = {"local-cpu-compiled", "c5"}
    app = make_app(fake_engine, settings_path)
    seen: list[Message] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await wait(pilot)
        listed = [x for x in seen if isinstance(x, m.OwnedListed)]
        assert len({id(x) for x in listed}) == 1 and listed[0].purpose == "start"
        assert isinstance(app.screen, LeftoversScreen)
        body = rendered(app.screen.query_one(".dialog-body", Static))
        # c5: ml.c5.xlarge at $0.222/h, up 12m34s -> $0.05 so far; the local one has no price
        assert "c5-endpoint" in body and "ml.c5.xlarge" in body and "12m34s" in body
        assert "$0.222" in body and "$0.05" in body and "—" in body
        assert "2 deployment(s) up" in str(app.screen.query_one(".dialog-title").render())
        # the grid says in service for both, even the SageMaker row the status calls unavailable
        assert cell(app, "c5", "state") == "in service"
        assert cell(app, "local-cpu-compiled", "state") == "in service"
        await pilot.press("t")
        await wait(pilot)
        assert ("teardown_all", "") in fake_engine.calls
        assert fake_engine.deployed == set()
        assert cell(app, "c5", "state") == "unavailable"
        assert cell(app, "local-cpu-compiled", "state") == "not deployed"


async def test_leftovers_keep_and_nothing_left(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait(pilot)
        assert isinstance(app.screen, LeftoversScreen)
        await pilot.press("k")
        await wait(pilot)
        assert app.screen is app.main_screen
        assert "keeping local-cpu-compiled up" in log(app)
    assert fake_engine.deployed == {"local-cpu-compiled"}
    assert ("teardown_all", "") not in fake_engine.calls
    empty = FakeEngine(deployed=set())
    app = make_app(empty, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait(pilot)
        assert app.screen is app.main_screen
        assert "nothing rnbench created is still up" in log(app)


def rows_of(table: DataTable[object]) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_results_tabs_show_mode_overlay_sweeps_and_recommendation(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        runs = {r[-1]: r for r in rows_of(screen.query_one("#results-table", DataTable))}
        headers = [
            str(c.label) for c in screen.query_one("#results-table", DataTable).columns.values()
        ]
        mode, stable, agree = (headers.index(h) for h in ("mode", "stable", "agree Δp"))
        opened = next(r for r in runs.values() if r[mode] == "open 10/s")
        assert opened[1] == "local-cpu" and opened[stable] == "—"
        swept = [r for r in runs.values() if r[1] == "local-cpu-compiled" and r[agree] != "—"]
        assert sorted(r[mode] for r in swept) == ["closed 1", "closed 16", "closed 4"]
        assert {r[stable] for r in swept} == {"yes", "no"} and swept[0][agree] == "3.1e-06"

        await pilot.press("2")
        overlay = rows_of(screen.query_one("#overlay-table", DataTable))
        assert [r[1] for r in overlay] == ["c5", "c5-neo", "g4dn", "g4dn-neo", "inf1"]
        c5 = overlay[0]
        # the study's 5.9 TPS with 16 clients implies 16 / 5.9 s = 2.7 s, ~10x what it printed
        study = published_row("c5")
        assert study is not None
        assert c5[2] == "5.9" and c5[3] == fmt.ms(study.p50_ms_as_published)
        assert c5[4] == "2712" and c5[5] == f"{2712 / study.p50_ms_as_published:.1f}x"
        assert c5[6] == "50.1" and c5[7] == "318"  # rnbench's best c5 run
        assert overlay[1][6] == "—" and overlay[1][9] == "not measured"
        note = str(screen.query_one("#overlay-note", Static).render())
        assert "10x too small" in note

        await pilot.press("3")
        curves = screen.query_one(SweepCurves)
        assert [s.sweep_id for s in curves.shown] == ["sweep-1"]
        table = rows_of(screen.query_one("#sweep-table-0", DataTable))
        assert [r[0] for r in table] == ["closed 1", "closed 4", "closed 16"]
        assert [r[-1] for r in table] == ["", "← knee", ""]

        await pilot.press("4")
        slo = screen.query_one(SloPanel)
        answer = lambda: str(screen.query_one("#slo-answer", Static).render())  # noqa: E731
        # 100 TPS at p99 <= 500 ms: the only priced run is c5 (50.1 TPS, p99 402 ms) -> 2 of them
        assert answer().startswith("c5 x 2: $0.44/h")
        assert rows_of(screen.query_one("#slo-table", DataTable)) == [
            ["c5", "2", "50.1", "402", "$0.444", "$1.23", "$324"]
        ]
        screen.query_one("#slo-p99", Input).value = "300"
        await pilot.pause()
        assert slo.result is not None and slo.result.best is None
        # the local rows meet 300 ms but have no price: named, with how to give one
        assert answer().startswith("local-cpu, local-cpu-compiled meet p99 <= 300 ms but have no")
        assert "--usd-per-hour" in answer() and "prices.toml" in answer()
        assert screen.query_one("#slo-table", DataTable).row_count == 0
        screen.query_one("#slo-tps", Input).value = "-4"
        await pilot.pause()
        assert "required TPS must be a number > 0" in answer()
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def set_settings(pilot: Pilot[None], **values: str) -> None:
    await pilot.press("s")
    await pilot.pause()
    for name, value in values.items():
        pilot.app.screen.query_one(f"#{name}", Input).value = value
    pilot.app.screen.query_one("#warmup", Input).focus()
    await pilot.press("enter")
    await pilot.pause()


async def wait_finished(
    pilot: Pilot[None], seen: list[Message], count: int
) -> list[m.TestFinished]:
    for _ in range(60):
        finished = list({id(x): x for x in seen if isinstance(x, m.TestFinished)}.values())
        if len(finished) >= count:
            return finished
        await pilot.pause(0.2)
    raise AssertionError(f"{count} tests did not finish")


async def test_a_concurrency_list_runs_a_sweep_with_one_sweep_id(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    fake_engine.test_windows = 2
    app = make_app(fake_engine, settings_path)
    seen: list[Message] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        await set_settings(pilot, concurrency="1,4,16", rate="", stability="10", duration="3")
        assert stored.load(settings_path)[0].concurrency == (1, 4, 16)
        await select(pilot, "local-cpu-compiled")
        await pilot.press("t")
        await pilot.pause()
        states = set()
        for _ in range(60):
            states.add(cell(app, "local-cpu-compiled", "state"))
            if len({id(x) for x in seen if isinstance(x, m.TestFinished)}) >= 3:
                break
            await pilot.pause(0.1)
        finished = await wait_finished(pilot, seen, 3)
        await settle(pilot)
        assert [f.last for f in finished] == [False, False, True]
        specs = [spec for spec, _ in fake_engine.specs]
        assert [s.concurrency for s in specs] == [1, 4, 16]
        assert {s.stability_pct for s in specs} == {10.0} and {s.rate for s in specs} == {None}
        sweep_ids = {sweep_id for _, sweep_id in fake_engine.specs}
        assert len(sweep_ids) == 1 and "" not in sweep_ids
        # States are sampled every 0.1 s; a loaded machine can finish a point between samples.
        assert any("/3 " in s for s in states), states
        assert cell(app, "local-cpu-compiled", "state") == "in service"
        assert "point 3/3 started (16 clients, 3 s measured, until stable ±10 %" in log(app)
        # the live panel follows the current point: it shows the last run's snapshot
        last = fake_engine.started_runs[-1]
        assert app.main_screen.snapshots["local-cpu-compiled"].record is not None
        assert last.spec.concurrency == 16 and last.calls >= 2


async def test_an_open_loop_rate_and_a_failed_sweep_point(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    fake_engine.test_windows = 2
    fake_engine.fail_points = [None, "load process crashed"]
    app = make_app(fake_engine, settings_path)
    seen: list[Message] = []
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        await set_settings(pilot, concurrency="8", rate="5,10,20", stability="", duration="3")
        await select(pilot, "local-cpu-compiled")
        await pilot.press("t")
        finished = await wait_finished(pilot, seen, 2)
        await pilot.pause(0.5)
        await settle(pilot)
        # the second point failed: the sweep stopped there, the row is usable again
        assert [(s.rate, s.concurrency, s.mode) for s, _ in fake_engine.specs] == [
            (5.0, 8, "open"),
            (10.0, 8, "open"),
        ]
        assert finished[1].record is None and finished[1].last
        assert "test failed: load process crashed" in log(app)
        assert cell(app, "local-cpu-compiled", "state") == "in service"


async def test_tearing_down_during_a_sweep_stops_it(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    fake_engine.test_windows = 1000
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await set_settings(pilot, concurrency="1,2", rate="", stability="", duration="3")
        await select(pilot, "local-cpu-compiled")
        await pilot.press("t")
        await pilot.pause(0.5)
        assert cell(app, "local-cpu-compiled", "state").endswith(" 1/2 0s")  # point 1 of 2
        await pilot.press("x", "y")
        await settle(pilot)
        assert fake_engine.started_runs[0].cancelled
        assert len(fake_engine.started_runs) == 1  # the second point never started
        assert cell(app, "local-cpu-compiled", "state") == "not deployed"
        for _ in range(30):  # the timer samples the cancelled run's end (2 Hz)
            if "interrupted: cancelled after" in log(app):
                break
            await pilot.pause(0.1)
        assert "interrupted: cancelled after" in log(app)
        assert cell(app, "local-cpu-compiled", "tps") != "99.9"  # never the row's result


async def test_teardown_during_a_test_reads_tearing_down(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    fake_engine.test_windows = 1000
    fake_engine.teardown_gate = threading.Event()
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await start_test(pilot, "local-cpu-compiled")
        await settle(pilot)
        await pilot.pause(2.2)  # the grid is redrawn every 2 s while a test streams
        assert cell(app, "local-cpu-compiled", "state").startswith("measuring")
        bar = app.screen.query_one(ActivityBar)
        spec = fake_engine.specs[0][0]
        total = spec.warmup_s + spec.duration_s  # the fixed clock: 0 s elapsed
        assert bar.display and bar.label == f"measuring 0s / {fmt.duration(total)} (0%)"
        assert bar.query_one(ProgressBar).total == total
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert bar.label == "tearing down 0s"  # not the cancelled test's length
        for _ in range(20):  # the cancelled test ends while the teardown is still going
            await pilot.pause(0.1)
        assert cell(app, "local-cpu-compiled", "state").startswith("tearing down")
        assert bar.label == "tearing down 0s"  # no known length: a moving bar
        assert bar.query_one(ProgressBar).total is None
        fake_engine.teardown_gate.set()
        await settle(pilot)
        assert cell(app, "local-cpu-compiled", "state") == "not deployed"
        assert not bar.display


async def test_export_stays_open_with_the_error_and_the_typed_path(
    fake_engine: FakeEngine, settings_path: Path, tmp_path: Path
) -> None:
    app = make_app(fake_engine, settings_path)
    target = tmp_path / "no-such-folder" / "out.csv"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        error = rendered(app.screen.query_one("#dialog-error", Static))
        assert error.startswith("could not export: ") and "No such file" in error
        assert app.screen.query_one("#path", Input).value == str(target)
        app.screen.query_one("#path", Input).value = str(tmp_path / "out.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)
        assert f"wrote 7 run(s) to {tmp_path / 'out.csv'}" in log(app)


async def test_an_added_target_has_its_price_and_comes_back_next_session(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    key = "url:http://10.0.0.5:8080/invocations"
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        app.screen.query_one("#target", Input).value = "http://10.0.0.5:8080"
        app.screen.query_one("#price", Input).value = "cheap"
        await pilot.press("enter")
        await pilot.pause()
        error = rendered(app.screen.query_one("#dialog-error", Static))
        assert error.strip() == "price must be a number of $/hour, got 'cheap'"  # still asking
        app.screen.query_one("#price", Input).value = "0.5"
        app.screen.query_one("#target", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert fake_engine.foreign_prices == {key: 0.5}
        assert cell(app, key, "config") == "10.0.0.5:8080"  # the default path is left out
    assert stored.load_targets(settings_path) == [stored.SavedTarget(key, 0.5)]
    stored.save(settings_path, core_settings.TestSettings((3,), 4.0, 1.0))  # keeps the targets
    assert stored.load_targets(settings_path) == [stored.SavedTarget(key, 0.5)]

    again = FakeEngine()
    app = make_app(again, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.foreign_prices == {key: 0.5}
        assert app.main_screen.session.config(key) is not None
        assert cell(app, key, "where") == "foreign URL"


async def test_at_80x24_the_log_and_essential_keys_show_and_results_scroll_sideways(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        assert screen.query_one(LogPanel).region.height >= 3  # the log keeps a few lines
        footer = {k for k, b in app.screen.active_bindings.items() if b.binding.show}
        assert {"e", "r", "question_mark", "q"} <= footer
        await pilot.press("r")
        await settle(pilot)
        table = app.screen.query_one("#results-table", DataTable)
        assert table.virtual_size.width > table.size.width  # wider than the screen
        await pilot.press(*["right"] * 6)
        await pilot.pause()
        assert table.scroll_x > 0

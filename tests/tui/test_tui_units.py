"""The TUI's plain parts: settings, formats, grid cells, result rows, histogram bins."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from tui_fakes import FIXED_NOW, FIXED_RUNS, OPEN_RUN, SWEEP_RUNS, FakeEngine, fresh

from rnbench.core.configs import get_configuration
from rnbench.core.errors import UsageError
from rnbench.core.run import options as core_settings
from rnbench.results.seed import published_row, published_rows
from rnbench.tui import fmt
from rnbench.tui.app import settings as stored
from rnbench.tui.app.analysis_rows import agreement, mode, stable, sweep_cells, sweeps
from rnbench.tui.app.plots import rebin
from rnbench.tui.app.results_rows import chart_rows, result_rows, sort_rows
from rnbench.tui.app.rows import RowFacts, detail_line, grid_cells
from rnbench.tui.app.screens.leftovers import hourly_total, leftover_rows
from rnbench.tui.app.screens.quit import describe


def test_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "tui-settings.json"
    assert stored.load(path) == (core_settings.TestSettings(), None)
    stored.save(path, core_settings.TestSettings((2,), 3.0, 1.0))
    assert stored.load(path) == (core_settings.TestSettings((2,), 3.0, 1.0), None)
    assert json.loads(path.read_text())["concurrency"] == [2]


def test_bad_settings_file_gives_defaults_and_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "tui-settings.json"
    path.write_text("{not json")
    settings, warning = stored.load(path)
    assert settings == core_settings.TestSettings() and warning and "unreadable" in warning
    path.write_text(json.dumps({"concurrency": 0, "duration_s": 3, "warmup_s": 1}))
    settings, warning = stored.load(path)
    assert settings == core_settings.TestSettings() and warning and "concurrency" in warning


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (("x", "3", "1"), "whole number"),
        (("0", "3", "1"), "between 1"),
        (("2", "0", "1"), "duration"),
        (("2", "nan", "1"), "finite"),
        (("2", "3", "-1"), "warm-up"),
        (("", "3", "1"), "concurrency is required"),
        (("1,x", "3", "1"), "whole number"),
        (("2", "3", "1", "0"), "rate must be > 0"),
        (("2", "3", "1", "fast"), "rate must be a number"),
        (("1,2", "3", "1", "5"), "not both"),
        (("2", "3", "1", "", "0"), "stability must be > 0"),
        ((",".join(["1"] * 13), "3", "1"), "at most 12"),
        (("1,,4", "3", "1"), "empty item"),
        (("2", "3", "nan"), "finite"),
        (("2", "inf", "1"), "finite"),
        (("2", "3", "1", "5,,10"), "empty item"),
        (("2", "3", "1", "", "", "101"), "error threshold"),
        (("2", "3", "1", "", "", "nan"), "finite"),
    ],
)
def test_settings_reject_bad_values(values: tuple[str, ...], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        core_settings.parse(*values)


def test_settings_make_the_load_spec() -> None:
    [spec] = core_settings.parse("2", "3", "1").specs()
    assert (spec.concurrency, spec.duration_s, spec.warmup_s, spec.mode) == (2, 3.0, 1.0, "closed")
    assert spec.stability_pct is None


def test_settings_sweep_open_loop_and_stability() -> None:
    sweep = core_settings.parse("1, 4,16", "3", "1", "", "10")
    assert [s.concurrency for s in sweep.specs()] == [1, 4, 16]
    assert {(s.mode, s.stability_pct) for s in sweep.specs()} == {("closed", 10.0)}
    assert sweep.describe().startswith("1,4,16 clients (sweep)")
    assert "until stable ±10 %" in sweep.describe()
    [open_loop] = core_settings.parse("8", "3", "1", "12.5").specs()
    assert (open_loop.mode, open_loop.rate, open_loop.concurrency) == ("open", 12.5, 8)
    rates = core_settings.parse("8", "3", "1", "5,10").specs()
    assert [(s.rate, s.concurrency) for s in rates] == [(5.0, 8), (10.0, 8)]
    assert core_settings.describe_spec(rates[1]).startswith("10 req/s open loop")


def test_the_error_threshold_reaches_every_spec_and_is_remembered(tmp_path: Path) -> None:
    assert core_settings.parse("2", "3", "1").max_error_pct == 5.0  # the default
    settings = core_settings.parse("1,4", "3", "1", "", "", "12.5")
    assert {s.max_error_pct for s in settings.specs()} == {12.5}
    path = tmp_path / "tui-settings.json"
    stored.save(path, settings)
    assert stored.load(path) == (settings, None)


def test_settings_with_lists_round_trip_and_old_files_still_load(tmp_path: Path) -> None:
    path = tmp_path / "tui-settings.json"
    settings = core_settings.parse("1,4", "3", "1", "", "7.5")
    stored.save(path, settings)
    assert stored.load(path) == (settings, None)
    path.write_text(json.dumps({"concurrency": 8, "duration_s": 3, "warmup_s": 1}))
    assert stored.load(path) == (core_settings.TestSettings((8,), 3.0, 1.0), None)


def test_formats() -> None:
    assert fmt.ms(None) == fmt.usd(None) == fmt.tps(None) == fmt.NONE
    assert (fmt.ms(3.214), fmt.ms(38.44), fmt.ms(452.6)) == ("3.21", "38.4", "453")
    assert (fmt.duration(45), fmt.duration(723), fmt.duration(11220)) == ("45s", "12m03s", "3h07m")
    assert (fmt.count(269_000), fmt.count(1_095_480)) == ("269k", "1.10M")


def test_grid_cells_show_dashes_without_a_price_and_accrue_with_one() -> None:
    engine = FakeEngine(deployed={"local-cpu"})
    local = get_configuration("local-cpu")
    facts = RowFacts(local, engine.status(local), None, FIXED_RUNS[0], None)
    cells = grid_cells(facts, FIXED_NOW)
    assert cells["state"] == "in service" and cells["up"] == "12m34s"
    assert cells["usd_up"] == fmt.NONE and cells["usd_1m"] == fmt.NONE
    assert cells["tps"] == "21.4" and cells["study"] == fmt.NONE
    c5 = get_configuration("c5")
    status = engine.status(c5)
    priced = RowFacts(c5, status, engine.price(c5), None, published_row("c5"))
    cells = grid_cells(priced, FIXED_NOW)
    assert cells["state"] == "unavailable" and cells["usd_up"] == fmt.NONE
    assert cells["study"] == fmt.tps(published_row("c5").tps)  # type: ignore[union-attr]
    assert "no AWS credentials" in detail_line(priced)
    assert "$0.222/h" in detail_line(priced)


def test_result_rows_mark_published_and_sort_missing_last() -> None:
    rows = result_rows(FIXED_RUNS, published_rows())
    assert [r.source for r in rows].count("published") == len(published_rows())
    assert rows[0].run_id == "run-b"  # newest measured first
    by_cost = sort_rows(rows, "usd_1m", reverse=False)
    costs = [r.usd_per_1m for r in by_cost]
    priced = [c for c in costs if c is not None]
    assert priced == sorted(priced) and costs[-1] is None
    assert costs.index(None) == len(priced)
    published = next(r for r in rows if r.source == "published" and r.config == "c5")
    assert published.littles_ms == pytest.approx(16 / published.tps * 1000)
    labels = [label for label, _ in chart_rows(rows)]
    assert "c5 (pub)" in labels and labels.count("local-cpu") == 1


def test_rebin_merges_neighbours_and_drops_empty_ends() -> None:
    buckets = [(1.0, 0), (2.0, 3), (3.0, 1), (4.0, 0), (5.0, 2), (6.0, 0)]
    assert rebin(buckets, 2) == [(3.0, 4), (5.0, 2)]
    assert rebin(buckets, 10) == [(2.0, 3), (3.0, 1), (4.0, 0), (5.0, 2)]
    assert rebin([(1.0, 0)], 4) == []


def test_quit_prompt_says_what_keeping_costs() -> None:
    engine = FakeEngine(deployed={"local-cpu"})
    deployments = engine.owned()
    text = describe(deployments, {"local-cpu": None})
    assert "local-cpu" in text and "no price" in text
    assert "$0.000" not in text  # no price is not a price of zero
    assert "costs is unknown" in text


def test_sweeps_group_by_sweep_id_in_run_order_with_the_knee() -> None:
    later = [
        fresh(r, sweep_id="sweep-2", started_at="2025-10-10" + r.started_at[10:])
        for r in SWEEP_RUNS
    ]
    failed = fresh(SWEEP_RUNS[0], sweep_id="sweep-2", status="failed", run_id="bad")
    found = sweeps([*reversed(SWEEP_RUNS), *FIXED_RUNS, OPEN_RUN, failed, *later])
    assert [s.sweep_id for s in found] == ["sweep-2", "sweep-1"]  # newest first
    sweep = found[1]
    assert [r.run_id for r in sweep.runs] == ["run-s0", "run-s1", "run-s2"]  # as they ran
    assert sweep.knee == 1 and "knee at 38.0 TPS (closed 4)" in sweep.title
    cells = sweep_cells(sweep)
    assert [c[0] for c in cells] == ["closed 1", "closed 4", "closed 16"]
    assert [c[-1] for c in cells] == ["", "← knee", ""] and cells[2][5] == "no"
    assert len(sweeps([*later, *SWEEP_RUNS], limit=1)) == 1
    assert sweeps(FIXED_RUNS) == []


def test_mode_stable_and_agreement_cells() -> None:
    assert mode(OPEN_RUN) == "open 10/s" and mode(FIXED_RUNS[0]) == "closed 16"
    assert (stable(None), stable(True), stable(False)) == ("—", "yes", "no")
    assert (agreement(None), agreement(3.1e-6)) == ("—", "3.1e-06")
    rows = {r.run_id: r for r in result_rows([*FIXED_RUNS, *SWEEP_RUNS, OPEN_RUN], [])}
    degraded = fresh(OPEN_RUN, run_id="run-d", status="degraded", started_at="2099-01-01")
    shown = result_rows([*FIXED_RUNS, degraded, fresh(OPEN_RUN, run_id="r", status="running")], [])
    assert shown[0].status == "degraded" and "r" not in {r.run_id for r in shown}
    assert all(row.status == "ok" for _, row in chart_rows(shown))
    assert rows["run-o"].mode == "open 10/s" and rows["run-o"].littles_ms is None
    assert rows["run-s2"].stable is False and rows["run-s2"].agreement == 3.1e-6


def test_leftover_rows_age_and_cost_so_far() -> None:
    engine = FakeEngine(deployed={"c5", "local-cpu"})
    deployments = engine.owned()
    prices = {"c5": engine.price(get_configuration("c5")), "local-cpu": None}
    rows = leftover_rows(deployments, prices, FIXED_NOW + 3600 - 754)  # both up one hour
    assert rows[0] == ("c5", "rnbench-c5-endpoint", "ml.c5.xlarge", "1h00m", "$0.222", "$0.22")
    assert rows[1][0] == "local-cpu" and rows[1][4:] == ("—", "—")
    assert hourly_total(deployments, prices) == (
        "Keeping them costs $0.222 per hour (plus 1 without a price)."
    )
    assert hourly_total(deployments[1:], prices).startswith("None of them has a price")


def test_detail_line_shows_agreement_with_eager_and_the_batch_size() -> None:
    from records import make_record

    int8 = get_configuration("local-cpu-int8")
    run = make_record(
        "r-int8",
        config="local-cpu-int8",
        runtime="int8",
        top1_agreement=0.95,
        top5_agreement=0.5,
        max_logit_deviation=2.25,
        mean_logit_deviation=0.125,
        mean_batch_size=5.5,
    )
    line = detail_line(RowFacts(int8, None, None, run, None))
    assert "vs fp32 eager: top-1 95%, top-5 50%, logit Δ max 2.25 mean 0.125" in line
    assert "random weights: numerics check only" in line and "mean batch 5.5" in line
    without = make_record("r-old")  # a run stored before agreement was measured
    assert "fp32 eager" not in detail_line(RowFacts(int8, None, None, without, None))


def test_an_empty_window_shows_dashes_not_zeros() -> None:
    from rich.console import Console
    from tui_fakes import FakeSnapshot

    from rnbench.core.loadgen.types import Window
    from rnbench.tui.app.widgets.live_panel import _figures

    def shown(window: Window) -> str:
        snapshot = FakeSnapshot("local-cpu", "r1", "measuring", (window,), (), None, None)
        console = Console(width=40, record=True, file=io.StringIO())
        console.print(_figures(snapshot))
        return console.export_text()

    empty = shown(Window(3, 4.0, 0, {"timeout": 2}, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
    assert "0.00" not in empty and "0.0 " not in empty and empty.count(fmt.NONE) == 5
    full = shown(Window(3, 4.0, 40, {}, 40.0, 380.0, 351.0, 400.0, 420.0, 460.0, 500.0))
    assert "351" in full and fmt.NONE not in full


def test_the_live_panel_shows_the_moving_rate_not_the_last_windows_batch_count() -> None:
    from rich.console import Console
    from tui_fakes import FakeSnapshot

    from rnbench.core.loadgen.types import Window
    from rnbench.tui.app.widgets.live_panel import _figures

    counts = [32, 40, 40, 32, 40]  # batches of 8 completing at about 36 req/s
    windows = tuple(
        Window(i, i + 1.0, n, {}, float(n), 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
        for i, n in enumerate(counts)
    )
    snapshot = FakeSnapshot("local-cpu", "r1", "measuring", windows, (), None, None)
    console = Console(width=60, record=True, file=io.StringIO())
    console.print(_figures(snapshot))
    shown = console.export_text()
    assert "TPS 5s" in shown and fmt.tps(36.8) in shown and fmt.tps(40.0) not in shown


def test_a_long_foreign_address_keeps_its_host_port_and_the_end_of_its_path() -> None:
    assert fmt.address("10.0.0.5:8080", 18) == "10.0.0.5:8080"
    assert fmt.address("10.0.0.5:8080/v1/models/resnet50", 24) == "10.0.0.5:8080/…/resnet50"
    assert len(fmt.address("127.0.0.1:35839/v1/models/x", 18)) == 18
    assert fmt.address("a-very-long-host-name.example.com:8080/x", 18) == "a-very-long-host-…"


def test_a_narrow_terminal_drops_the_least_needed_grid_columns_first() -> None:
    from rnbench.tui.app.rows import GRID_COLUMNS, fitting_columns, grid_width

    every = tuple(key for key, _, _ in GRID_COLUMNS)
    assert fitting_columns(200) == every and grid_width(every) == 127
    assert set(every) - set(fitting_columns(120)) == {"usd_up"}
    at_80 = fitting_columns(80)
    assert at_80 == ("config", "state", "up", "tps", "p50", "p99", "usd_1m")
    assert grid_width(at_80) <= 80

"""The grid's model (issue 16): `m` switches it, the header and row details name it, the grid,
the results' charts, overlay and SLO recommendation never mix models, and it is remembered."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from models_support import tiny_onnx
from textual.pilot import Pilot
from textual.widgets import Input, Label, Static
from tui_fakes import FIXED_RUNS, FakeEngine, fixed_clock, fresh
from tui_pilot import SIZE, cell, log, make_app, rendered, select, settle

from rnbench.core.configs import get_configuration
from rnbench.core.run import options as core_settings
from rnbench.inference.models import resolve_model
from rnbench.results.seed import published_rows
from rnbench.tui import fmt
from rnbench.tui.app import settings as stored
from rnbench.tui.app.analysis_rows import overlay_cells
from rnbench.tui.app.main import RnbenchApp
from rnbench.tui.app.model_view import names_hint
from rnbench.tui.app.results_rows import chart_rows, result_rows
from rnbench.tui.app.rows import RowFacts, detail_line
from rnbench.tui.app.screens.model import ModelScreen, parse_input_size
from rnbench.tui.app.screens.results import ResultsScreen
from rnbench.tui.app.widgets.slo_panel import SloPanel
from rnbench.tui.app.widgets.study_overlay import StudyOverlay

RESNET18_RUN = fresh(
    FIXED_RUNS[0],
    run_id="run-r18",
    tps=99.0,
    started_at="2025-10-09T08:30:00+00:00",
    model="resnet18",
    input_size=224,
)
"""The newest run of local-cpu, of another model than the study's."""


async def switch_to(pilot: Pilot[None], model: str, size: str = "") -> None:
    await pilot.press("m")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ModelScreen)
    screen.query_one("#model", Input).value = model
    screen.query_one("#input-size", Input).value = size
    screen.query_one("#model", Input).focus()
    await pilot.press("enter")
    await settle(pilot)


def dialog_error(app: RnbenchApp) -> str:
    return str(app.screen.query_one("#dialog-error", Label).render())


async def test_m_switches_the_model_header_grid_and_details(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    fake_engine.runs_.append(RESNET18_RUN)
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.main_screen.sub_title == "ResNet-50 · 224 px, the study's model"
        assert cell(app, "local-cpu", "tps") == "21.4"  # the newer resnet18 run is not counted
        assert cell(app, "g4dn", "study") == "74.7"

        await switch_to(pilot, "resnet18")

        assert not isinstance(app.screen, ModelScreen)
        assert ("set_model", "resnet18") in fake_engine.calls
        assert fake_engine.model.spec.name == "resnet18"
        assert app.main_screen.sub_title == "resnet18 · 224 px"
        assert cell(app, "local-cpu", "tps") == "99.0"
        assert cell(app, "local-cpu-compiled", "tps") == fmt.NONE  # its runs are ResNet-50's
        assert cell(app, "g4dn", "study") == fmt.NONE  # the study measured ResNet-50
        await select(pilot, "local-cpu")
        detail = rendered(app.main_screen.query_one("#detail", Static))
        assert "last run: resnet18 · 224 px" in detail
        await select(pilot, "local-cpu-compiled")  # up since before the switch
        detail = rendered(app.main_screen.query_one("#detail", Static))
        assert "serves resnet50 (224 px), not resnet18" in detail
        assert "model: resnet18 · 224 px (saved)" in log(app)
    saved = json.loads(settings_path.read_text())
    assert saved["model"] == {"model": "resnet18", "input_size": None}


async def test_a_run_of_the_model_a_server_still_serves_is_not_the_grids(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    fake_engine.test_windows = 1
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await switch_to(pilot, "resnet18")
        await select(pilot, "local-cpu-compiled")  # its server serves ResNet-50
        await pilot.press("t")
        await settle(pilot)
        for _ in range(20):
            if not app.main_screen.tests and "that run measured" in log(app):
                break
            await pilot.pause(0.25)
        assert "that run measured resnet50 · 224 px, not resnet18 · 224 px" in log(app)
        assert cell(app, "local-cpu-compiled", "tps") == fmt.NONE
        await select(pilot, "local-cpu")  # deployed after the switch: serves resnet18
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        for _ in range(20):
            if cell(app, "local-cpu", "tps") == "41.0":
                break
            await pilot.pause(0.25)
        assert cell(app, "local-cpu", "tps") == "41.0"


async def test_an_unknown_name_keeps_the_dialog_open_with_the_reason(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await switch_to(pilot, "resnet_18")
        assert isinstance(app.screen, ModelScreen)
        error = dialog_error(app)
        assert "unknown model 'resnet_18'" in error and "resnet18" in error  # close matches
        assert app.screen.query_one("#model", Input).value == "resnet_18"  # kept as typed
        # the names come from torchvision's registry, narrowed to what is typed
        names = str(app.screen.query_one("#model-names", Label).render())
        assert "resnet18" in names and "vit_b_16" not in names
        app.screen.query_one("#input-size", Input).value = "big"
        await pilot.press("enter")
        await pilot.pause()
        assert "whole number of pixels, got 'big'" in dialog_error(app)
        app.screen.query_one("#model", Input).value = str(settings_path.parent / "gone.onnx")
        app.screen.query_one("#input-size", Input).value = ""
        await pilot.press("enter")
        await settle(pilot)
        assert "model file not found" in dialog_error(app)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ModelScreen)
        assert app.main_screen.sub_title == "ResNet-50 · 224 px, the study's model"
    assert not [c for c in fake_engine.calls if c[0] == "set_model"]
    assert not settings_path.exists() or "model" not in json.loads(settings_path.read_text())


async def test_an_onnx_file_makes_eager_unavailable_and_its_size_shows(
    fake_engine: FakeEngine, settings_path: Path, tmp_path: Path
) -> None:
    onnx = tiny_onnx(tmp_path, name="mine.onnx")  # a real graph: a garbage file is refused at once
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await switch_to(pilot, str(onnx), "160")
        spec = fake_engine.model.spec
        assert spec.kind == "onnx" and spec.input.crop == 160
        assert app.main_screen.sub_title == f"{spec.label} · 160 px"
        assert cell(app, "local-cpu", "state") == "unavailable"
        assert cell(app, "local-cpu-compiled", "state") == "in service"
        await select(pilot, "local-cpu")
        assert "eager runs PyTorch models" in rendered(app.main_screen.query_one("#detail", Static))
    assert stored.load_model(settings_path) == stored.SavedModel(str(onnx.resolve()), 160)


async def test_the_saved_model_comes_back_next_session(
    fake_engine: FakeEngine, settings_path: Path
) -> None:
    async with make_app(fake_engine, settings_path).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await switch_to(pilot, "resnet18", "160")
    later = FakeEngine()
    app = make_app(later, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert later.calls[0] == ("set_model", "resnet18")
        assert later.model.input_size == 160
        assert app.main_screen.sub_title == "resnet18 · 160 px"
    # the command line's --model wins: the saved choice is not applied
    named = FakeEngine()
    app = RnbenchApp(lambda: named, b"jpeg", settings_path, fixed_clock, restore_model=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not [c for c in named.calls if c[0] == "set_model"]
        assert app.main_screen.sub_title == "ResNet-50 · 224 px, the study's model"


async def test_a_saved_model_that_no_longer_resolves_warns_and_gives_resnet50(
    fake_engine: FakeEngine, settings_path: Path, tmp_path: Path
) -> None:
    gone = tmp_path / "deleted.pt"
    stored.save(settings_path, core_settings.TestSettings(), model=stored.SavedModel(str(gone)))
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        warnings = [line for line in log(app).splitlines() if "not restored" in line]
        assert len(warnings) == 1 and "model file not found" in warnings[0]
        assert "using ResNet-50" in warnings[0]
        assert fake_engine.calls[0] == ("set_model", "resnet50")
        assert app.main_screen.sub_title == "ResNet-50 · 224 px, the study's model"


async def test_m_waits_while_a_row_is_busy(fake_engine: FakeEngine, settings_path: Path) -> None:
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main_screen.session.set_activity("local-cpu", "deploying", 0.0)
        await pilot.press("m")
        await pilot.pause()
        assert not isinstance(app.screen, ModelScreen)
        assert "local-cpu is busy (deploying)" in log(app)


async def test_results_never_mix_models(fake_engine: FakeEngine, settings_path: Path) -> None:
    fake_engine.runs_.append(RESNET18_RUN)
    priced_r18 = fresh(
        RESNET18_RUN, run_id="run-c5-r18", config="c5", usd_per_hour=0.222, p99_ms=300.0
    )
    fake_engine.runs_.append(priced_r18)
    app = make_app(fake_engine, settings_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        models = {row.model for row in screen.rows}
        assert models == {"resnet50 · 224 px", "resnet18 · 224 px"}  # the table lists both
        slo = screen.query_one(SloPanel)
        assert slo.result is not None and slo.result.best is not None
        assert slo.result.best.run.model == "resnet50"
        overlay = screen.query_one(StudyOverlay)
        assert not overlay.query_one("#overlay-model").display
        await pilot.press("escape")
        await pilot.pause()
        await switch_to(pilot, "resnet18")
        await pilot.press("r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        slo = screen.query_one(SloPanel)
        assert slo.result is not None and slo.result.best is not None
        assert slo.result.best.run.run_id == "run-c5-r18"
        considered = {r.run_id for r in slo.result.rejections} | {"run-c5-r18"}
        assert considered == {"run-r18", "run-c5-r18"}  # no ResNet-50 run was weighed
        assumption = rendered(slo.query_one("#slo-assumption", Static))
        assert "Only runs of resnet18 · 224 px count." in assumption
        overlay = screen.query_one(StudyOverlay)
        note = overlay.query_one("#overlay-model", Static)
        assert note.display and "not comparable" in rendered(note)
        assert "resnet18 · 224 px" in screen.sub_title


def test_study_overlay_cells_say_why_nothing_is_beside_them() -> None:
    from rnbench.results.analysis import study_overlay

    rows = study_overlay(published_rows(), [])
    assert {cells[-1] for cells in overlay_cells(rows, "other model")} == {"other model"}
    assert {cells[-1] for cells in overlay_cells(rows)} == {"not measured"}


def test_chart_rows_take_one_model_and_published_rows_only_for_the_study() -> None:
    rows = result_rows([*FIXED_RUNS, RESNET18_RUN], published_rows())
    study = [label for label, _ in chart_rows(rows)]
    assert "local-cpu" in study and any(label.endswith("(pub)") for label in study)
    r18 = chart_rows(rows, "resnet18 · 224 px")
    assert [(label, row.run_id) for label, row in r18] == [("local-cpu", "run-r18")]


def test_detail_line_names_the_last_runs_model() -> None:
    config = get_configuration("local-cpu")
    line = detail_line(RowFacts(config, None, None, RESNET18_RUN, None))
    assert "last run: resnet18 · 224 px" in line


def test_names_hint_narrows_torchvision_names_to_what_is_typed() -> None:
    names = ["alexnet", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "resnet18"]
    assert names_hint(names, "MOBILE") == (
        "3 of torchvision's 5 classifiers: mobilenet_v2, mobilenet_v3_large, mobilenet_v3_small"
    )
    assert names_hint(names, "").startswith("torchvision's 5 classifiers: alexnet, ")
    assert "a file path works too" in names_hint(names, "./mine.onnx")
    assert names_hint(names, "resnet_18").endswith("close: resnet18")
    many = [f"net{i}" for i in range(20)]
    assert names_hint(many, "").endswith("net7, …")
    assert names_hint([], "x") == ""


def test_parse_input_size() -> None:
    assert parse_input_size("") is None
    assert parse_input_size(" 320 px ") == 320
    for bad in ("3.5", "-1", "big"):
        with pytest.raises(ValueError, match=re.escape(repr(bad))):
            parse_input_size(bad)


def test_saved_model_survives_saving_other_settings(settings_path: Path) -> None:
    settings = core_settings.TestSettings()
    stored.save(settings_path, settings, model=stored.SavedModel("resnet18", 160))
    stored.save(settings_path, core_settings.TestSettings((2,)))  # `s`: keeps the model
    stored.save(settings_path, settings, [stored.SavedTarget("endpoint:mine")])  # `a` too
    assert stored.load_model(settings_path) == stored.SavedModel("resnet18", 160)
    settings_path.write_text(json.dumps({"model": {"model": "resnet18", "input_size": "x"}}))
    assert stored.load_model(settings_path) is None  # a bad entry is no saved choice
    settings_path.write_text("{not json")
    assert stored.load_model(settings_path) is None


def test_the_study_model_is_said_to_be_the_studys() -> None:
    from rnbench.tui.app.model_view import describe, is_study_model

    assert describe(resolve_model(None)) == "ResNet-50 · 224 px, the study's model"
    assert describe(resolve_model("resnet50", 320)) == "resnet50 · 320 px"
    assert not is_study_model(resolve_model("resnet50", 320))


def test_a_run_of_another_model_says_why_it_is_not_the_grids() -> None:
    from rnbench.core.model_choice import ModelChoice
    from rnbench.tui.app.screens.model_switch import other_model_note

    resnet18 = ModelChoice("resnet18", None, resolve_model("resnet18"))
    assert other_model_note(RESNET18_RUN, resnet18) is None
    local = other_model_note(FIXED_RUNS[0], resnet18)
    assert local is not None and "measured resnet50 · 224 px" in local and "x, then d" in local
    foreign = other_model_note(fresh(FIXED_RUNS[0], backend="foreign"), resnet18)
    assert foreign is not None and "unknown to rnbench" in foreign and "x, then d" not in foreign

"""The study overlay tab: each published row beside rnbench's best measured run of it.

The published latency is shown as published and beside it the mean latency Little's law
implies (16 clients / TPS), with the one-line explanation of the study's error. The study measured
ResNet-50 at 224 px: only runs of that model are set beside its rows; for another model the tab
says they are not comparable.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from rnbench.inference.models import STUDY_MODEL, ModelSpec
from rnbench.results.analysis import STUDY_LATENCY_ERROR, study_overlay
from rnbench.results.record import RunRecord
from rnbench.results.seed import published_rows
from rnbench.tui.app.analysis_rows import OVERLAY_HEADERS, overlay_cells
from rnbench.tui.app.model_view import STUDY_TEXT, is_study_model, model_text, of_model

LEFT = {"study row", "config", "run"}


class StudyOverlay(Vertical):
    """The study's rows, what Little's law says of them, and rnbench's measurements."""

    DEFAULT_CSS = """
    StudyOverlay #overlay-table { height: auto; max-height: 1fr; }
    StudyOverlay #overlay-note { height: auto; padding: 1 1 0 1; }
    StudyOverlay #overlay-model { height: auto; padding: 0 1; }
    StudyOverlay #overlay-model.-hidden { display: none; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="overlay-model", classes="-hidden")
        yield DataTable(id="overlay-table", zebra_stripes=True, cursor_type="row")
        yield Static(Text(STUDY_LATENCY_ERROR, style="yellow"), id="overlay-note")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for header in OVERLAY_HEADERS:
            table.add_column(Text(header, justify="left" if header in LEFT else "right"))

    def show(self, runs: Sequence[RunRecord], model: ModelSpec = STUDY_MODEL) -> None:
        """The study's rows beside the runs of its model, when `model` (the grid's) is it."""
        study = is_study_model(model)
        note = self.query_one("#overlay-model", Static)
        note.set_class(study, "-hidden")
        note.update(
            Text(
                f"The study measured {STUDY_TEXT} (ResNet-50): its rows are not comparable with "
                f"runs of {model_text(model)}, so none are set beside them.",
                style="bold yellow",
            )
        )
        paired = of_model(runs, STUDY_MODEL) if study else []
        table = self.query_one(DataTable)
        table.clear()
        missing = "not measured" if study else "other model"
        for cells in overlay_cells(study_overlay(published_rows(), paired), missing):
            table.add_row(
                *(
                    Text(c, justify="left" if h in LEFT else "right")
                    for h, c in zip(OVERLAY_HEADERS, cells, strict=True)
                )
            )

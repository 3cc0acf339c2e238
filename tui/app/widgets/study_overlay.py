"""The study overlay tab: each published row beside rnbench's best measured run of it.

The published latency is shown as published and beside it the mean latency Little's law
implies (16 clients / TPS), with the one-line explanation of the study's error.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from rnbench.results.analysis import STUDY_LATENCY_ERROR, study_overlay
from rnbench.results.record import RunRecord
from rnbench.results.seed import published_rows
from rnbench.tui.app.analysis_rows import OVERLAY_HEADERS, overlay_cells

LEFT = {"study row", "config", "run"}


class StudyOverlay(Vertical):
    """The study's rows, what Little's law says of them, and rnbench's measurements."""

    DEFAULT_CSS = """
    StudyOverlay #overlay-table { height: auto; max-height: 1fr; }
    StudyOverlay #overlay-note { height: auto; padding: 1 1 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield DataTable(id="overlay-table", zebra_stripes=True, cursor_type="row")
        yield Static(Text(STUDY_LATENCY_ERROR, style="yellow"), id="overlay-note")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for header in OVERLAY_HEADERS:
            table.add_column(Text(header, justify="left" if header in LEFT else "right"))

    def show(self, runs: Sequence[RunRecord]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for cells in overlay_cells(study_overlay(published_rows(), runs)):
            table.add_row(
                *(
                    Text(c, justify="left" if h in LEFT else "right")
                    for h, c in zip(OVERLAY_HEADERS, cells, strict=True)
                )
            )

"""The results screen, in four tabs (keys 1-4).

1 Runs: every stored run beside the study's published rows, like the study's table (TPS, p50,
  p99, $/h, TPS per $/h, $ per 1M, transactions per hour) plus mode, stability, agreement with
  eager, weights and runtime, and its three cost charts. Published rows are marked `published`.
  Sort by any column: click its header, or `[` / `]` to move the sort column and `o` to reverse.
2 Study overlay, 3 Sweeps (throughput-latency curves, knee marked), 4 SLO recommendation.

The table lists the runs of every model, with a model column; the charts, the overlay and the SLO
recommendation take only the runs of the grid's current model, never two models side by side.
"""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from rnbench.inference.models import STUDY_MODEL, ModelSpec
from rnbench.results.seed import published_rows
from rnbench.tui.app import messages as m
from rnbench.tui.app import workers
from rnbench.tui.app.keys import RESULTS_KEYS, bindings
from rnbench.tui.app.model_view import model_text, of_model
from rnbench.tui.app.plots import draw_bars
from rnbench.tui.app.port import EnginePort
from rnbench.tui.app.results_rows import (
    COLUMN_KEYS,
    COLUMNS,
    ResultRow,
    chart_rows,
    result_rows,
    sort_rows,
)
from rnbench.tui.app.screens.help import HelpScreen
from rnbench.tui.app.widgets.cached_plot import CachedPlot
from rnbench.tui.app.widgets.slo_panel import SloPanel
from rnbench.tui.app.widgets.study_overlay import StudyOverlay
from rnbench.tui.app.widgets.sweep_curves import SweepCurves

NOTE = (
    "published = the study's figures as printed. * its p50 column is about 10x too small; "
    "'LL ms' is the mean latency Little's law implies (clients / TPS)."
)
LEFT = {"source", "config", "model", "weights", "runtime", "started", "mode", "stable"}
TABS = ("tab-runs", "tab-overlay", "tab-sweeps", "tab-slo")


CHARTS_HINT = "cost charts need 30 rows; R on the main screen writes them in the report"


class ResultsScreen(Screen[None]):
    """Stored runs and the study's table, sortable, with cost charts."""

    BINDINGS = bindings(RESULTS_KEYS)

    def __init__(self, engine: EnginePort, model: ModelSpec = STUDY_MODEL) -> None:
        """`model`: the grid's, whose runs the charts, overlay and recommendation take."""
        super().__init__()
        self._engine = engine
        self._model = model
        self.rows: list[ResultRow] = []
        self.sort_key = "tps"
        self.reverse = True

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial=TABS[0], id="results-tabs"):
            with TabPane("1 Runs", id=TABS[0]):
                yield DataTable(id="results-table", zebra_stripes=True, cursor_type="row")
                yield Static(Text(NOTE, style="dim"), id="results-note")
                yield Static(CHARTS_HINT, id="charts-hint")
                with Horizontal(id="charts"):
                    yield CachedPlot(id="chart-usd-1m")
                    yield CachedPlot(id="chart-per-usd")
                    yield CachedPlot(id="chart-tx-hour")
            with TabPane("2 Study overlay", id=TABS[1]):
                yield StudyOverlay(id="overlay")
            with TabPane("3 Sweeps", id=TABS[2]):
                yield SweepCurves(id="sweeps")
            with TabPane("4 SLO recommendation", id=TABS[3]):
                yield SloPanel(id="slo")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#results-table", DataTable)
        for key, header, _, _ in COLUMNS:
            table.add_column(Text(header, justify="left" if key in LEFT else "right"), key=key)
        self.run_worker(
            partial(workers.load_runs, self.post_message, self._engine),
            name="load-runs",
            group="results",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )
        table.focus()

    async def on_runs_loaded(self, message: m.RunsLoaded) -> None:
        self.rows = result_rows(message.runs, published_rows())
        self._fill()
        self._charts()
        self.query_one(StudyOverlay).show(message.runs, self._model)
        scope = f"Only runs of {model_text(self._model)} count."
        self.query_one(SloPanel).show(of_model(message.runs, self._model), scope)
        await self.query_one(SweepCurves).show(message.runs)

    def on_action_failed(self, message: m.ActionFailed) -> None:
        self.notify(f"{message.action} failed: {message.reason}", severity="error")

    def _fill(self) -> None:
        table = self.query_one("#results-table", DataTable)
        table.clear()
        for row in sort_rows(self.rows, self.sort_key, self.reverse):
            style = "italic dim" if row.source == "published" else ""
            cells = [
                Text(text(row), style=style, justify="left" if key in LEFT else "right")
                for key, _, _, text in COLUMNS
            ]
            table.add_row(*cells)
        arrow = "↓" if self.reverse else "↑"
        header = next(h for k, h, _, _ in COLUMNS if k == self.sort_key)
        model = model_text(self._model)  # the charts', overlay's and recommendation's
        self.sub_title = f"{model} · {len(self.rows)} rows · sorted by {header} {arrow}"

    def _charts(self) -> None:
        bars = chart_rows(self.rows, model_text(self._model))
        priced = [(label, row) for label, row in bars if row.usd_per_1m is not None]
        per_usd = [(label, row) for label, row in bars if row.inferences_per_usd is not None]
        charts = (
            (
                "#chart-usd-1m",
                "$ per 1M inferences",
                [(lb, r.usd_per_1m or 0.0) for lb, r in priced],
            ),
            (
                "#chart-per-usd",
                "inferences per $ (k)",
                [(lb, (r.inferences_per_usd or 0.0) / 1e3) for lb, r in per_usd],
            ),
            (
                "#chart-tx-hour",
                "transactions per hour (k)",
                [(lb, r.transactions_per_hour / 1e3) for lb, r in bars],
            ),
        )
        for selector, title, points in charts:
            plot = self.query_one(selector, CachedPlot)
            draw_bars(plot.plt, title, [p[0] for p in points], [p[1] for p in points])
            plot.redraw()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key == self.sort_key:
            self.reverse = not self.reverse
        else:
            self.sort_key, self.reverse = key, key not in LEFT
        self._fill()

    def action_sort(self, step: int) -> None:
        index = (COLUMN_KEYS.index(self.sort_key) + step) % len(COLUMN_KEYS)
        self.sort_key = COLUMN_KEYS[index]
        self.reverse = self.sort_key not in LEFT
        self._fill()

    def action_reverse(self) -> None:
        self.reverse = not self.reverse
        self._fill()

    def action_tab(self, index: int) -> None:
        self.query_one(TabbedContent).active = TABS[index]

    def action_back(self) -> None:
        self.dismiss(None)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(RESULTS_KEYS, columns=()))

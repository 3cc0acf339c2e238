"""The sweeps tab: for every sweep (runs sharing a `sweep_id`), its throughput-latency curve
with the knee marked, and a small table of its points."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Static

from rnbench.results.record import RunRecord
from rnbench.tui.app.analysis_rows import SWEEP_HEADERS, Sweep, sweep_cells, sweeps
from rnbench.tui.app.plots import draw_sweep
from rnbench.tui.app.widgets.cached_plot import CachedPlot

EMPTY = (
    "No sweeps stored yet. In test settings (s) give a concurrency list such as 1,4,16 "
    "(or a rate list for open loop) and press t; `rnbench test CONFIG --concurrency 1,4,16` "
    "stores one too."
)


class SweepCurves(VerticalScroll):
    """One section per sweep, newest first."""

    DEFAULT_CSS = """
    SweepCurves .sweep-title { height: 1; padding: 0 1; text-style: bold; margin-top: 1; }
    SweepCurves .sweep { height: 14; }
    SweepCurves .sweep PlotextPlot { width: 1fr; }
    SweepCurves .sweep DataTable { width: 62; height: auto; max-height: 14; }
    SweepCurves #sweeps-empty { padding: 1; }
    """

    def __init__(self, **kwargs: str) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.shown: list[Sweep] = []

    async def show(self, runs: Sequence[RunRecord]) -> None:
        self.shown = sweeps(runs)
        await self.remove_children()
        if not self.shown:
            await self.mount(Static(Text(EMPTY, style="dim"), id="sweeps-empty"))
            return
        for i, sweep in enumerate(self.shown):
            plot = CachedPlot(id=f"sweep-plot-{i}")
            table: DataTable[Text] = DataTable(id=f"sweep-table-{i}", cursor_type="none")
            await self.mount(Static(sweep.title, classes="sweep-title"))
            await self.mount(Horizontal(plot, table, classes="sweep"))
            for header in SWEEP_HEADERS:
                table.add_column(Text(header, justify="left" if header == "load" else "right"))
            for cells in sweep_cells(sweep):
                table.add_row(
                    *(Text(c, justify="left" if j == 0 else "right") for j, c in enumerate(cells))
                )
            draw_sweep(
                plot.plt,
                [r.tps for r in sweep.runs],
                [r.p50_ms for r in sweep.runs],
                [r.p99_ms for r in sweep.runs],
                sweep.knee,
            )
            plot.redraw()

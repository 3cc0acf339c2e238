"""The live panel: the selected row's test as it runs (figures, TPS over time, histogram).

It only draws what the screen's 2 Hz timer hands it; plots are redrawn only when the data
changed, so an idle panel costs nothing.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from rnbench.core.loadgen.types import RATE_SPAN_S, moving_rate
from rnbench.tui import fmt
from rnbench.tui.app.plots import draw_histogram, draw_tps
from rnbench.tui.app.port import SnapshotLike
from rnbench.tui.app.widgets.cached_plot import CachedPlot

PLOT_EVERY_WINDOWS = 2
"""While a test streams, the plots are drawn again every this many windows (the figures every
window): plotext takes about 70 ms to draw the TPS chart and 45 ms the histogram here, which
at every window alone cost a tenth of a core. A new phase, run or error redraws them at once."""


class LivePanel(Horizontal):
    """Figures and plots of one configuration's current or last test."""

    DEFAULT_CSS = """
    LivePanel { height: 1fr; min-height: 10; }
    LivePanel #figures { width: 34; height: 1fr; padding: 0 1; }
    LivePanel PlotextPlot { width: 1fr; margin-left: 1; }
    """

    def __init__(self, **kwargs: str) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._drawn: tuple[str, ...] | None = None
        self._plotted: tuple[tuple[str, ...], int] | None = None
        """What the plots show: the signature without its window, and the last window's index."""

    def compose(self) -> ComposeResult:
        yield Static(id="figures")
        yield CachedPlot(id="tps-plot")
        yield CachedPlot(id="histogram-plot")

    def on_mount(self) -> None:
        self.show(None, None, "")

    def show(self, key: str | None, snapshot: SnapshotLike | None, hint: str) -> None:
        """Show `snapshot` of `key`'s test, or `hint` when it has none (no-op when unchanged)."""
        last = -1
        if snapshot is None:
            what: tuple[str, ...] = ("hint", key or "", hint)
        else:
            last = snapshot.windows[-1].index if snapshot.windows else -1
            what = (snapshot.run_id, snapshot.phase, snapshot.error or "")
        signature = (*what, str(last))
        if signature == self._drawn:
            return
        self._drawn = signature
        figures = self.query_one("#figures", Static)
        # fixed size: new figures (once a second while a test streams) need no new layout
        figures.update(
            Text(hint, style="dim") if snapshot is None else _figures(snapshot), layout=False
        )
        if (
            self._plotted is not None
            and self._plotted[0] == what
            and last - self._plotted[1] < PLOT_EVERY_WINDOWS
        ):
            return  # only a new window: the plots follow every other one
        self._plotted = (what, last)
        tps_plot = self.query_one("#tps-plot", CachedPlot)
        histogram_plot = self.query_one("#histogram-plot", CachedPlot)
        draw_tps(tps_plot.plt, snapshot.windows if snapshot else ())
        draw_histogram(histogram_plot.plt, snapshot.histogram if snapshot else ())
        tps_plot.redraw()
        histogram_plot.redraw()


def _figures(snapshot: SnapshotLike) -> Group:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_column(style="bold")
    table.add_column(justify="right")
    name = snapshot.config_key.removeprefix("url:http://")  # a foreign URL: host:port/path
    title = Text(name, style="bold", no_wrap=True, overflow="ellipsis")  # never split mid-word
    title.append(f"  {snapshot.phase}", style="cyan")
    record = snapshot.record
    if record is not None:
        table.add_row("TPS", fmt.tps(record.tps), "requests", str(record.requests))
        table.add_row("p50", fmt.ms(record.p50_ms), "p90", fmt.ms(record.p90_ms))
        table.add_row("p95", fmt.ms(record.p95_ms), "p99", fmt.ms(record.p99_ms))
        table.add_row("errors", str(record.errors), "$/1M", fmt.usd(record.usd_per_1m))
        if record.littles_law_residual_pct is not None:
            table.add_row("Little", f"{record.littles_law_residual_pct:.1f}%", "", "")
    elif snapshot.windows:
        window = snapshot.windows[-1]
        errors = sum(sum(w.errors.values()) for w in snapshot.windows)
        requests = sum(w.requests for w in snapshot.windows)
        empty = window.requests == 0  # nothing completed in it: no figures, not zeros
        rate, done = moving_rate(snapshot.windows)  # not the window's own: it jumps by batches
        table.add_row(
            f"TPS {RATE_SPAN_S:g}s",
            _or_none(done == 0, fmt.tps(rate)),
            "at",
            f"{window.elapsed_s:.0f}s",
        )
        table.add_row(
            "p50",
            _or_none(empty, fmt.ms(window.p50_ms)),
            "p90",
            _or_none(empty, fmt.ms(window.p90_ms)),
        )
        table.add_row(
            "p95",
            _or_none(empty, fmt.ms(window.p95_ms)),
            "p99",
            _or_none(empty, fmt.ms(window.p99_ms)),
        )
        table.add_row("requests", str(requests), "errors", str(errors))
        kinds: dict[str, int] = {}
        for w in snapshot.windows:
            for kind, n in w.errors.items():
                kinds[kind] = kinds.get(kind, 0) + n
        for kind, n in sorted(kinds.items()):
            table.add_row(f"  {kind}", str(n), "", "")
    else:
        table.add_row("waiting for the first window…", "", "", "")
    if snapshot.error:
        return Group(title, table, Text(snapshot.error, style="bold red"))
    return Group(title, table)


def _or_none(empty: bool, text: str) -> str:
    return fmt.NONE if empty else text

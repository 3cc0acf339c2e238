"""The SLO tab: a p99 target and a required TPS in, the cheapest measured configuration and
instance count out (`rnbench.results.analysis.recommend` over the stored runs of one model)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Label, Static

from rnbench.core.errors import UsageError
from rnbench.results.analysis import RecommendationResult, recommend
from rnbench.results.errors import ResultsUsageError
from rnbench.results.record import RunRecord
from rnbench.tui.app.analysis_rows import SLO_ASSUMPTION, SLO_HEADERS, slo_cells

DEFAULT_P99_MS = "500"
DEFAULT_TPS = "100"


class SloPanel(Vertical):
    """Recomputed whenever an input changes."""

    DEFAULT_CSS = """
    SloPanel #slo-inputs { height: 3; }
    SloPanel #slo-inputs Label { padding: 1 1 0 1; }
    SloPanel #slo-inputs Input { width: 14; }
    SloPanel #slo-answer { height: auto; padding: 0 1; }
    SloPanel #slo-table { height: auto; max-height: 1fr; }
    SloPanel #slo-assumption { height: auto; padding: 0 1; }
    """

    def __init__(self, **kwargs: str) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._runs: list[RunRecord] = []
        self.result: RecommendationResult | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="slo-inputs"):
            yield Label("p99 target, ms")
            yield Input(DEFAULT_P99_MS, id="slo-p99", type="number")
            yield Label("required TPS")
            yield Input(DEFAULT_TPS, id="slo-tps", type="number")
        yield Static(id="slo-answer")
        yield DataTable(id="slo-table", zebra_stripes=True, cursor_type="row")
        yield Static(Text(SLO_ASSUMPTION, style="dim"), id="slo-assumption")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for header in SLO_HEADERS:
            table.add_column(Text(header, justify="left" if header == "config" else "right"))

    def show(self, runs: Sequence[RunRecord], scope: str = "") -> None:
        """Recommend from `runs` (one model's: the caller picks them); `scope` says which."""
        self._runs = list(runs)
        assumption = f"{scope} {SLO_ASSUMPTION}" if scope else SLO_ASSUMPTION
        self.query_one("#slo-assumption", Static).update(Text(assumption, style="dim"))
        self._update()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._update()

    def _update(self) -> None:
        answer = self.query_one("#slo-answer", Static)
        table = self.query_one(DataTable)
        table.clear()
        self.result = None
        try:
            p99 = _number("p99 target", self.query_one("#slo-p99", Input).value)
            tps = _number("required TPS", self.query_one("#slo-tps", Input).value)
            result = recommend(self._runs, p99_ms=p99, tps=tps)
        except (UsageError, ResultsUsageError) as exc:
            answer.update(Text(str(exc), style="bold red"))
            return
        self.result = result
        style = "bold green" if result.best is not None else "yellow"
        answer.update(Text(result.explanation, style=style))
        for cells in slo_cells(result):
            table.add_row(
                *(Text(c, justify="left" if i == 0 else "right") for i, c in enumerate(cells))
            )


def _number(name: str, text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise UsageError(f"{name} must be a number, got {text!r}") from None

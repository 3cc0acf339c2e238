"""The help screen (`?` / F1): every key, what the columns mean, where things are kept."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from rnbench.tui.app.keys import help_rows

COLUMNS_HELP = (
    ("runs on", "local cpu/cuda = this machine; SM = a SageMaker instance type"),
    (
        "state",
        "not deployed, compiling, deploying, in service, testing, tearing down, failed, "
        "unavailable (the detail line below the grid says what is missing)",
    ),
    (
        "up / $ up",
        "time in service and dollars accrued at the configuration's price "
        "('—' when it has no price)",
    ),
    (
        "TPS, p50, p99, errs, $/1M",
        "the last successful test of the configuration, of the model in the header (m)",
    ),
    (
        "study",
        "TPS the reference study published for it (as published, not measured here; the study "
        "measured ResNet-50: '—' for another model)",
    ),
)


class HelpScreen(ModalScreen[None]):
    """Keys and columns."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]

    def compose(self) -> ComposeResult:
        keys = Table(title="Keys", title_justify="left", show_header=False, box=None)
        keys.add_column(style="bold cyan", no_wrap=True)
        keys.add_column()
        for names, text in help_rows():
            keys.add_row(names, text)
        keys.add_row("ctrl+p", "Command palette: every action by name")
        columns = Table(title="Columns", title_justify="left", show_header=False, box=None)
        columns.add_column(style="bold cyan", no_wrap=True)
        columns.add_column()
        for name, text in COLUMNS_HELP:
            columns.add_row(name, text)
        with VerticalScroll(classes="dialog help"):
            yield Static(keys)
            yield Static(columns)
            yield Static(Text("Press escape to close.", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)

"""The help screen (`?` / F1): every key of the screen it opens over; on the main screen, what the
grid's columns mean too."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from rnbench.tui.app.keys import MAIN_KEYS, Key, help_rows

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

    def __init__(
        self,
        keys: tuple[Key, ...] = MAIN_KEYS,
        columns: tuple[tuple[str, str], ...] = COLUMNS_HELP,
    ) -> None:
        """`keys`: the screen's it opens over; `columns`: what its columns mean (may be none)."""
        super().__init__()
        self._keys = keys
        self._columns = columns

    def compose(self) -> ComposeResult:
        keys = _table("Keys", help_rows(self._keys))
        keys.add_row("ctrl+p", "Command palette: every action by name")
        with VerticalScroll(classes="dialog help"):
            yield Static(keys)
            if self._columns:
                yield Static(_table("Columns", list(self._columns)))
            yield Static(Text("Press escape to close.", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)


def _table(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, box=None)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for name, text in rows:
        table.add_row(name, text)
    return table

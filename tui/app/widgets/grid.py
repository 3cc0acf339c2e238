"""The grid: one row per configuration, updated in place so the cursor never jumps.

A terminal narrower than the whole grid goes without its least needed columns (`DROP_ORDER`)
instead of a grid that scrolls sideways and hides its figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from rich.text import Text
from textual.widgets import DataTable

from rnbench.tui.app.rows import GRID_COLUMNS, RowFacts, fitting_columns, grid_cells

STATE_STYLES: dict[str, str] = {
    "in service": "bold green",
    "testing": "bold cyan",
    "failed": "bold red",
    "unavailable": "dim",
    "not deployed": "",
}

RIGHT = {"up", "usd_up", "tps", "p50", "p99", "errors", "usd_1m", "study"}


class ConfigGrid(DataTable[Text]):
    """Configurations and where they stand."""

    DEFAULT_CSS = """
    ConfigGrid { height: auto; max-height: 14; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.keys = tuple(key for key, _, _ in GRID_COLUMNS)
        """The columns shown."""
        self._facts: Sequence[RowFacts] = ()
        self._now = 0.0

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self._add_columns()

    def _columns(self) -> list[tuple[str, str, int]]:
        return [c for c in GRID_COLUMNS if c[0] in self.keys]

    def _add_columns(self) -> None:
        for key, header, width in self._columns():
            self.add_column(Text(header, justify=_justify(key)), key=key, width=width)

    def fit(self, terminal_width: int) -> None:
        """Show the columns that fit in `terminal_width` (`fitting_columns`)."""
        keys = fitting_columns(terminal_width)
        if keys == self.keys:
            return
        self.keys = keys
        selected = self.selected_key
        self.clear(columns=True)
        self._add_columns()
        self.show(self._facts, self._now)
        if selected is not None:
            self.move_cursor(row=self.get_row_index(selected))

    @property
    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    def show(self, facts: Sequence[RowFacts], now: float) -> None:
        """Show these rows: cells change in place when the configurations are the same."""
        self._facts, self._now = facts, now
        keys = [f.config.key for f in facts]
        current = [r.key.value for r in self.ordered_rows]
        if keys != current:
            self.clear()
            for f in facts:
                self.add_row(*self._cells(f, now).values(), key=f.config.key)
            return
        for f in facts:
            for column, text in self._cells(f, now).items():
                if self.get_cell(f.config.key, column) != text:
                    self.update_cell(f.config.key, column, text)

    def _cells(self, facts: RowFacts, now: float) -> dict[str, Text]:
        cells = grid_cells(facts, now)
        out: dict[str, Text] = {}
        for key, _, _ in self._columns():
            style = _state_style(cells[key]) if key == "state" else ""
            out[key] = Text(cells[key], style=style, justify=_justify(key))
        return out


def _state_style(state: str) -> str:
    """`testing 2/3` (a sweep's point) looks like testing; anything in progress is yellow."""
    return STATE_STYLES.get(
        state.split(" ")[0] if state.startswith("testing") else state, "bold yellow"
    )


def _justify(key: str) -> Literal["left", "right"]:
    return "right" if key in RIGHT else "left"

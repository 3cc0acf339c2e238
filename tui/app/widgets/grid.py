"""The grid: one row per configuration, updated in place so the cursor never jumps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from rich.text import Text
from textual.widgets import DataTable

from rnbench.tui.app.rows import GRID_COLUMNS, RowFacts, grid_cells

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

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for key, header, width in GRID_COLUMNS:
            self.add_column(Text(header, justify=_justify(key)), key=key, width=width)

    @property
    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    def show(self, facts: Sequence[RowFacts], now: float) -> None:
        """Show these rows: cells change in place when the configurations are the same."""
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

    @staticmethod
    def _cells(facts: RowFacts, now: float) -> dict[str, Text]:
        cells = grid_cells(facts, now)
        out: dict[str, Text] = {}
        for key, _, _ in GRID_COLUMNS:
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

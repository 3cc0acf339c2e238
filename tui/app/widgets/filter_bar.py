"""The `/` filter's line above the grid: the input while typing, then what the filter keeps.

Hidden while no filter is on. It says what it is doing in messages (`Changed` at each key, `Done`
on enter); the screen filters the rows (`rnbench.tui.app.grid_filter`) and gives the grid the
focus back.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Static

from rnbench.tui.app.grid_filter import filter_line


class FilterBar(Horizontal):
    """`cpu▏ 4 of 17 rows · enter keeps the filter, escape clears it` while typed, then
    `filter: cpu — 4 of 17 rows (/ changes it, escape clears it)`."""

    DEFAULT_CSS = """
    FilterBar { height: 1; padding: 0 1; display: none; }
    FilterBar.-active { display: block; }
    FilterBar Input { width: 20; margin-right: 1; display: none; }
    FilterBar.-editing Input { display: block; }
    FilterBar #filter-line { width: 1fr; color: $text-muted; }
    """

    @dataclass
    class Changed(Message):
        """The filter's text changed (a key typed, or cleared)."""

        text: str

    class Done(Message):
        """Enter or escape: the grid takes the focus back."""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="type to filter", compact=True, id="filter-input")
        yield Static(id="filter-line")

    @property
    def text(self) -> str:
        """The filter on now ("" for none)."""
        return self.query_one(Input).value

    @property
    def editing(self) -> bool:
        return self.has_class("-editing")

    def open(self) -> None:
        """Show the input, with the filter on now, and give it the focus."""
        self.add_class("-active", "-editing")
        self.query_one(Input).focus()

    def clear(self) -> None:
        """No filter: every row shows, and the line hides (nothing to do when none is on)."""
        if not self.has_class("-active"):
            return
        self.remove_class("-active", "-editing")
        self.query_one(Input).value = ""  # Input.Changed follows: `Changed("")`
        self.post_message(self.Done())

    def show_count(self, shown: int, total: int) -> None:
        """Say how many of the rows the filter keeps."""
        if self.has_class("-active"):
            line = filter_line(self.text, shown, total, self.editing)
            self.query_one("#filter-line", Static).update(line)

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value))

    @on(Input.Submitted)
    def _kept(self, event: Input.Submitted) -> None:
        event.stop()
        self.remove_class("-editing")
        if not self.text.strip():
            self.remove_class("-active")
        self.post_message(self.Done())

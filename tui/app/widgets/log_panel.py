"""The log panel: every action, progress line and error, time-stamped."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.widgets import RichLog

STYLES = {"info": "", "ok": "green", "warning": "yellow", "error": "bold red"}


class LogPanel(RichLog):
    """What happened, newest last."""

    DEFAULT_CSS = """
    LogPanel { height: 7; border-top: solid $primary-darken-2; }
    """

    def __init__(self, clock: Callable[[], float] = time.time, **kwargs: str) -> None:
        super().__init__(max_lines=1000, wrap=True, markup=False, **kwargs)  # type: ignore[arg-type]
        self._clock = clock
        self.entries: list[str] = []
        """Every line written, without time stamps (what tests read)."""

    def add(self, line: str, level: str = "info") -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(self._clock()))
        text = Text(f"{stamp} ", style="dim")
        self.entries.append(line)
        text.append(line, style=STYLES.get(level, ""))
        self.write(text)

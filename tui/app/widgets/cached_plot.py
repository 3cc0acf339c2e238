"""A plotext chart that builds its text again only when it was drawn anew or resized.

plotext renders a whole figure to ANSI text in Python, and Textual asks a widget to render again
whenever the layout around it changes (a status line updated, the footer's keys changed), not
only when its own data did: while a test streams, rebuilding both live charts on every such
refresh was the TUI's largest cost. Call `redraw()` after drawing on `plt`.
"""

from __future__ import annotations

from textual.app import RenderResult
from textual_plotext import PlotextPlot


class CachedPlot(PlotextPlot):
    """PlotextPlot whose rendering is reused until `redraw()`, a resize or a theme change."""

    def __init__(self, **kwargs: str) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._version = 0
        self._built: tuple[tuple[int, int, int, str], RenderResult] | None = None

    def redraw(self) -> None:
        """The figure on `plt` changed: build it again at the next render."""
        self._version += 1
        self.refresh()

    def render(self) -> RenderResult:
        key = (self._version, self.size.width, self.size.height, self.app.theme)
        if self._built is None or self._built[0] != key:
            self._built = (key, super().render())
        return self._built[1]

"""The selected row's long work as a bar: a test's warm-up + measured seconds fill it; a deploy,
a Neo compilation or an endpoint creation, whose length is unknown, shows a moving (indeterminate)
bar beside its phase and elapsed time. Hidden while the row is idle.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from rnbench.tui import fmt


class ActivityBar(Horizontal):
    """`loading model 12s  ━━━━━━` or `measuring 14s / 35s (40%)  ━━━━━━━━━━`."""

    DEFAULT_CSS = """
    ActivityBar { height: 1; padding: 0 1; display: none; }
    ActivityBar.-active { display: block; }
    ActivityBar #activity-label { width: 40; max-width: 50%; margin-right: 2; }
    ActivityBar ProgressBar { width: 1fr; }
    ActivityBar Bar { width: 1fr; }
    """

    def __init__(self, **kwargs: str) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.label = ""
        """What the label says now (tests read it)."""

    def compose(self) -> ComposeResult:
        yield Static(id="activity-label")
        yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="activity-progress")

    def show(self, activity: str | None, elapsed_s: float | None, total_s: float | None) -> None:
        """Show `activity` (None hides the bar); `total_s` known: a bar that fills, else one
        that moves."""
        if activity is None:
            self.remove_class("-active")
            self.label = ""
            return
        self.add_class("-active")
        label = activity if elapsed_s is None else f"{activity} {fmt.duration(elapsed_s)}"
        if total_s is not None and total_s > 0:
            share = min(1.0, (elapsed_s or 0.0) / total_s)
            label += f" / {fmt.duration(total_s)} ({share:.0%})"
        if label != self.label:
            self.label = label
            # a fixed width: a new label never lays the screen out again (once a second)
            self.query_one("#activity-label", Static).update(label, layout=False)
        bar = self.query_one(ProgressBar)
        if total_s is None or total_s <= 0:
            bar.update(total=None)
        else:
            bar.update(total=total_s, progress=min(elapsed_s or 0.0, total_s))

"""The test settings modal: concurrency (a list sweeps), duration, warm-up, an optional
open-loop rate, an optional stability target and the error threshold, checked before saving."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input, Label

from rnbench.core.errors import UsageError
from rnbench.core.run.options import TestSettings, parse
from rnbench.tui.app.screens.form_dialog import FormDialog


class SettingsScreen(FormDialog[TestSettings]):
    """Returns the new settings, or None when cancelled."""

    submit_label = "Save"

    def __init__(self, current: TestSettings) -> None:
        super().__init__()
        self._current = current

    def heading(self) -> str:
        return "Test settings"

    def fields(self) -> ComposeResult:
        current = self._current
        yield Label("Concurrent clients (the study used 16; a list such as 1,4,16 sweeps)")
        yield Input(",".join(map(str, current.concurrency)), id="concurrency")
        yield Label("Open-loop rate, requests/s (empty: closed loop; a list sweeps)")
        rates = ",".join(f"{r:g}" for r in current.rate)
        yield Input(rates, id="rate", placeholder="closed loop")
        yield Label("Measured duration, seconds (the maximum with a stability target)")
        yield Input(f"{current.duration_s:g}", id="duration")
        yield Label("Stability %: stop once the last 3 windows agree (empty: fixed duration)")
        stability = "" if current.stability_pct is None else f"{current.stability_pct:g}"
        yield Input(stability, id="stability", placeholder="fixed duration")
        yield Label("Warm-up, seconds (not measured)")
        yield Input(f"{current.warmup_s:g}", id="warmup")
        yield Label("Error threshold %: a run with more failed requests is 'degraded'")
        yield Input(f"{current.max_error_pct:g}", id="max-error")

    def submit(self) -> None:
        try:
            settings = parse(
                self.value("concurrency"),
                self.value("duration"),
                self.value("warmup"),
                self.value("rate"),
                self.value("stability"),
                self.value("max-error"),
            )
        except UsageError as exc:
            self.show_error(str(exc))
            return
        self.dismiss(settings)

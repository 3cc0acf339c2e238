"""The test settings modal: concurrency (a list sweeps), duration, warm-up, an optional
open-loop rate, an optional stability target and the error threshold, checked before saving."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from rnbench.core.errors import UsageError
from rnbench.core.run.options import TestSettings, parse


class SettingsScreen(ModalScreen[TestSettings | None]):
    """Returns the new settings, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: TestSettings) -> None:
        super().__init__()
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Test settings", classes="dialog-title")
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
            yield Label("", id="settings-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (enter)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self._save()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._save()

    def _save(self) -> None:
        try:
            settings = parse(
                self.query_one("#concurrency", Input).value,
                self.query_one("#duration", Input).value,
                self.query_one("#warmup", Input).value,
                self.query_one("#rate", Input).value,
                self.query_one("#stability", Input).value,
                self.query_one("#max-error", Input).value,
            )
        except UsageError as exc:
            self.query_one("#settings-error", Label).update(str(exc))
            return
        self.dismiss(settings)

    def action_cancel(self) -> None:
        self.dismiss(None)

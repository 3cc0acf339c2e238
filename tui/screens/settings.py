"""The test settings modal: concurrency, duration and warm-up, checked before saving."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from rnbench.core.errors import UsageError
from rnbench.tui.settings import TestSettings, parse


class SettingsScreen(ModalScreen[TestSettings | None]):
    """Returns the new settings, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: TestSettings) -> None:
        super().__init__()
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Test settings", classes="dialog-title")
            yield Label("Concurrent clients (closed loop; the study used 16)")
            yield Input(str(self._current.concurrency), id="concurrency", type="integer")
            yield Label("Measured duration, seconds")
            yield Input(f"{self._current.duration_s:g}", id="duration", type="number")
            yield Label("Warm-up, seconds (not measured)")
            yield Input(f"{self._current.warmup_s:g}", id="warmup", type="number")
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
            )
        except UsageError as exc:
            self.query_one("#settings-error", Label).update(str(exc))
            return
        self.dismiss(settings)

    def action_cancel(self) -> None:
        self.dismiss(None)

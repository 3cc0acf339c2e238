"""The add-target prompt: an endpoint rnbench did not create, to load-test as a grid row.

It takes an http:// URL with the SageMaker contract or an existing SageMaker endpoint's name,
checks it offline (`rnbench.core.backends.foreign.targets.parse`) and returns the target;
whether it answers is for the row's status to say.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from rnbench.core.backends.foreign import targets as foreign
from rnbench.core.errors import UsageError


class AddTargetScreen(ModalScreen[foreign.ForeignTarget | None]):
    """Returns the foreign target to add, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Add your own target (load test only)", classes="dialog-title")
            yield Label(
                "An http:// URL speaking the SageMaker contract "
                "(http://HOST:8080/invocations) or an existing SageMaker endpoint's name. "
                "rnbench never deploys or tears it down.",
                classes="dialog-body",
            )
            yield Input(placeholder="http://HOST:PORT/invocations or endpoint-name", id="target")
            yield Label("", id="target-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Add (enter)", variant="primary", id="add")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#target", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "add":
            self._submit()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit()

    def _submit(self) -> None:
        try:
            target = foreign.parse(self.query_one("#target", Input).value)
        except UsageError as exc:
            self.query_one("#target-error", Label).update(str(exc))
            return
        self.dismiss(target)

    def action_cancel(self) -> None:
        self.dismiss(None)

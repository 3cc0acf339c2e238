"""The add-target prompt: an endpoint rnbench did not create, to load-test as a grid row.

It takes an http:// URL with the SageMaker contract or an existing SageMaker endpoint's name,
checks it offline (`rnbench.core.backends.foreign.targets.parse`) and returns the target with
the optional price the user gives ($/hour, like the CLI's --usd-per-hour); whether it answers is
for the row's status to say.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from rnbench.core.backends.foreign import targets as foreign
from rnbench.core.errors import UsageError


@dataclass(frozen=True)
class AddedTarget:
    """What the dialog returns."""

    target: foreign.ForeignTarget
    usd_per_hour: float | None
    """The price given, or None (its runs then have no cost figures)."""


def parse_price(text: str) -> float | None:
    """`0.5` -> 0.5, empty -> None.

    Raises:
        UsageError: not a positive number; the message quotes what was typed.
    """
    text = text.strip().removeprefix("$")
    if not text:
        return None
    try:
        price = float(text)
    except ValueError:
        raise UsageError(f"price must be a number of $/hour, got {text!r}") from None
    if not price > 0 or price == float("inf"):
        raise UsageError(f"price must be > 0 $/hour, got {text!r}")
    return price


class AddTargetScreen(ModalScreen[AddedTarget | None]):
    """Returns the foreign target to add with its price, or None when cancelled."""

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
            yield Label("Price in $/hour (optional: without one, no cost figures)")
            yield Input(placeholder="e.g. 0.23", id="price")
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
            price = parse_price(self.query_one("#price", Input).value)
        except UsageError as exc:
            self.query_one("#target-error", Label).update(str(exc))
            return
        self.dismiss(AddedTarget(target, price))

    def action_cancel(self) -> None:
        self.dismiss(None)

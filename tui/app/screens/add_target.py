"""The add-target prompt: an endpoint rnbench did not create, to load-test as a grid row.

It takes an http:// URL with the SageMaker contract or an existing SageMaker endpoint's name,
checks it offline (`rnbench.core.backends.foreign.targets.parse`) and returns the target with
the optional price the user gives ($/hour, like the CLI's --usd-per-hour); whether it answers is
for the row's status to say.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.widgets import Input, Label

from rnbench.core.backends.foreign import targets as foreign
from rnbench.core.errors import UsageError
from rnbench.tui.app.screens.form_dialog import FormDialog


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


class AddTargetScreen(FormDialog[AddedTarget]):
    """Returns the foreign target to add with its price, or None when cancelled."""

    submit_label = "Add"

    def heading(self) -> str:
        return "Add your own target (load test only)"

    def fields(self) -> ComposeResult:
        yield Label(
            "An http:// URL speaking the SageMaker contract "
            "(http://HOST:8080/invocations) or an existing SageMaker endpoint's name. "
            "rnbench never deploys or tears it down.",
            classes="dialog-body",
        )
        yield Input(placeholder="http://HOST:PORT/invocations or endpoint-name", id="target")
        yield Label("Price in $/hour (optional: without one, no cost figures)")
        yield Input(placeholder="e.g. 0.23", id="price")

    def on_mount(self) -> None:
        self.query_one("#target", Input).focus()

    def submit(self) -> None:
        try:
            target = foreign.parse(self.value("target"))
            price = parse_price(self.value("price"))
        except UsageError as exc:
            self.show_error(str(exc))
            return
        self.dismiss(AddedTarget(target, price))

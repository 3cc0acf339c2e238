"""The quit prompt while something is deployed: tear all down, keep them, or cancel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from rnbench.core.backends.protocol import Deployment
from rnbench.results.prices import Price
from rnbench.tui import fmt
from rnbench.tui.app.screens.leftovers import hourly_total


def describe(deployments: Sequence[Deployment], prices: Mapping[str, Price | None]) -> str:
    """What is up and what it costs per hour (only prices that exist are summed)."""
    lines = []
    for d in deployments:
        price = prices.get(d.config_key)
        cost = "no price" if price is None else f"{fmt.usd(price.usd_per_hour, 3)}/h"
        lines.append(f"  {d.config_key}  {d.resource_id}  {cost}")
    return "\n".join([*lines, "", hourly_total(deployments, prices)])


class QuitScreen(ModalScreen[str]):
    """Returns `teardown`, `keep` or `cancel`."""

    BINDINGS = [
        Binding("t", "choose('teardown')", "Tear all down"),
        Binding("k", "choose('keep')", "Keep"),
        Binding("c,escape", "choose('cancel')", "Cancel"),
    ]

    def __init__(
        self,
        deployments: Sequence[Deployment],
        prices: Mapping[str, Price | None],
        testing: Sequence[str] = (),
    ) -> None:
        """`testing`: the rows whose test is in progress, cancelled by quitting either way."""
        super().__init__()
        self._body = describe(deployments, prices)
        if testing:
            self._body += (
                f"\nQuitting cancels the test in progress on {', '.join(sorted(testing))} "
                "(stored as interrupted)."
            )
        self._count = len(deployments)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"{self._count} deployment(s) still up", classes="dialog-title")
            yield Label(self._body, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Tear all down (t)", variant="error", id="teardown")
                yield Button("Keep them (k)", variant="warning", id="keep")
                yield Button("Cancel (c)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

"""The start-up prompt when rnbench still has something up from an earlier session.

Local servers left running and SageMaker endpoints bill (or hold the machine) until torn down,
so the app lists them as soon as the engine is ready: configuration, resource, instance type,
age, $/h and $ so far ('—' without a price). Tear all down, keep them, or decide later (escape).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from rnbench.core.backends.protocol import Deployment
from rnbench.core.leftovers import accrued
from rnbench.results.prices import Price
from rnbench.tui import fmt

HEADERS = ("configuration", "resource", "instance", "age", "$/h", "$ so far")


def leftover_rows(
    deployments: Sequence[Deployment], prices: Mapping[str, Price | None], now: float
) -> list[tuple[str, ...]]:
    """One row of cell texts per deployment, oldest first."""
    rows: list[tuple[str, ...]] = []
    for d in sorted(deployments, key=lambda d: d.created_at):
        price = prices.get(d.config_key)
        cost = accrued(d.created_at, price.usd_per_hour if price is not None else None, now)
        rows.append(
            (
                d.config_key,
                d.resource_id,
                d.instance_type,
                fmt.duration(cost.age_s),
                fmt.usd(cost.usd_per_hour, 3),
                fmt.usd(cost.usd),
            )
        )
    return rows


def hourly_total(deployments: Sequence[Deployment], prices: Mapping[str, Price | None]) -> str:
    """What keeping them costs per hour, and how many have no price."""
    priced = [prices.get(d.config_key) for d in deployments]
    total = sum(p.usd_per_hour for p in priced if p is not None)
    unpriced = sum(1 for p in priced if p is None)
    if unpriced == len(priced):
        return "None of them has a price, so what keeping them costs is unknown here."
    line = f"Keeping them costs {fmt.usd(total, 3)} per hour"
    return line + (f" (plus {unpriced} without a price)." if unpriced else ".")


class LeftoversScreen(ModalScreen[str]):
    """Returns `teardown`, `keep` or `later`."""

    BINDINGS = [
        Binding("t", "choose('teardown')", "Tear all down"),
        Binding("k", "choose('keep')", "Keep"),
        Binding("l,escape", "choose('later')", "Decide later"),
    ]

    def __init__(
        self, deployments: Sequence[Deployment], prices: Mapping[str, Price | None], now: float
    ) -> None:
        super().__init__()
        self._rows = leftover_rows(deployments, prices, now)
        self._total = hourly_total(deployments, prices)

    def compose(self) -> ComposeResult:
        table = Table(box=None, padding=(0, 1), header_style="bold")
        for header in HEADERS:
            right = "$" in header or header == "age"
            table.add_column(header, justify="right" if right else "left")
        for row in self._rows:
            table.add_row(*row)
        with Vertical(classes="dialog", id="leftovers"):
            yield Label(
                f"rnbench still has {len(self._rows)} deployment(s) up from earlier",
                classes="dialog-title",
            )
            yield Static(table, classes="dialog-body")
            yield Label(self._total, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Tear all down (t)", variant="error", id="teardown")
                yield Button("Keep them (k)", variant="warning", id="keep")
                yield Button("Decide later (esc)", id="later")

    def on_mount(self) -> None:
        self.query_one("#later", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "later")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

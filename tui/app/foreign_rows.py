"""The main screen's foreign rows: targets the user added (`a`), remembered across sessions.

A foreign target (`rnbench.core.backends.foreign`) is a URL or an existing SageMaker endpoint
that rnbench only load-tests. `ForeignRows` makes one a grid row with the price the user gave,
saves the added targets in the settings file and restores them in the next session; it speaks
only through the `say` callable it is given (a log line and its level).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rnbench.core.backends.foreign import targets as foreign
from rnbench.core.configs import Configuration
from rnbench.tui.app import settings as stored
from rnbench.tui.app import workers
from rnbench.tui.app.session import Session

Say = Callable[[str, str], None]
"""`say(line, level)`: level `ok`, `warning` or `error`."""


class ForeignRows:
    """Adds, saves and restores the rows of foreign targets of one session."""

    def __init__(self, session: Session, settings_path: Path, say: Say) -> None:
        self._session = session
        self._settings_path = settings_path
        self._say = say

    def add(
        self, target: foreign.ForeignTarget, usd_per_hour: float | None
    ) -> Configuration | None:
        """Make `target` a row, priced when a price is given; None (and said) when refused."""
        session = self._session
        assert session.engine is not None
        try:
            config = session.engine.foreign_configuration(target, usd_per_hour)
        except Exception as exc:  # noqa: BLE001 - one line for the user
            self._say(f"add target: {workers.one_line(exc)}", "error")
            return None
        session.target_prices[config.key] = usd_per_hour
        if session.add_foreign(config):
            price = "no price" if usd_per_hour is None else f"${usd_per_hour:g}/h"
            self._say(
                f"{config.key}: added as a foreign target ({price}; t tests it; rnbench never "
                "deploys or tears it down)",
                "ok",
            )
        return config

    def save(self) -> None:
        """Remember the added targets in the settings file, for the next session."""
        saved = [stored.SavedTarget(k, p) for k, p in self._session.target_prices.items()]
        try:
            stored.save(self._settings_path, self._session.settings, saved)
        except Exception as exc:  # noqa: BLE001
            self._say(workers.one_line(exc), "error")

    def restore(self) -> None:
        """Add the targets saved by an earlier session; a bad one is said and skipped."""
        for saved in stored.load_targets(self._settings_path):
            try:
                target = foreign.ForeignTarget.from_key(saved.key)
            except Exception as exc:  # noqa: BLE001 - a hand-edited file: said, skipped
                self._say(f"ignored a saved target: {workers.one_line(exc)}", "warning")
                continue
            self.add(target, saved.usd_per_hour)


def refusal(config: Configuration | None) -> str | None:
    """What compile, deploy and tear down say of a foreign row; None for rnbench's own."""
    if config is None or config.backend != foreign.BACKEND:
        return None
    return f"{config.key}: {foreign.REFUSAL}"


def hint(config: Configuration, settings: str) -> str:
    """What the live panel says of a foreign row before its first test."""
    return (
        f"{config.label}: a foreign target, no test yet in this session.\n\nt tests it "
        f"({settings}), s changes the settings; rnbench never deploys or tears it down."
    )

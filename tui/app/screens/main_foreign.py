"""The main screen's foreign targets (core/foreign.py): adding one as a row with `a`, and the
one line `c`, `d` and `x` answer on such a row. Plain functions on the UI thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rnbench.core import foreign
from rnbench.core.configs import Configuration
from rnbench.tui.app.screens.add_target import AddTargetScreen
from rnbench.tui.app.widgets.grid import ConfigGrid

if TYPE_CHECKING:
    from rnbench.tui.app.screens.main import MainScreen


def add_target(screen: MainScreen) -> None:
    """Ask for a URL or an endpoint name; add it as a row, select it and describe it."""
    if not screen.have_engine("add target"):
        return

    def chosen(target: foreign.ForeignTarget | None) -> None:
        if target is None:
            return
        config = target.configuration()
        if screen.session.add_foreign(config):
            screen.log_line(
                f"{config.key}: added as a foreign target (t tests it; rnbench never deploys "
                "or tears it down)",
                "ok",
            )
        screen.show_rows()
        grid = screen.query_one(ConfigGrid)
        grid.move_cursor(row=grid.get_row_index(config.key))
        screen.refresh_rows()

    screen.app.push_screen(AddTargetScreen(), chosen)


def refused(screen: MainScreen, config: Configuration | None) -> bool:
    """True (and said) when `config` is a foreign target, which rnbench only tests."""
    if config is None or config.backend != foreign.BACKEND:
        return False
    screen.explain(f"{config.key}: {foreign.REFUSAL}")
    return True


def hint(config: Configuration, settings: str) -> str:
    """What the live panel says of a foreign row before its first test."""
    return (
        f"{config.key}: a foreign target, no test yet in this session.\n\nt tests it "
        f"({settings}), s changes the settings; rnbench never deploys or tears it down."
    )

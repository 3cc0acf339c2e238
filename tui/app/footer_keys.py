"""Which of the main screen's keys its footer offers for the selected row, and in what state.

Textual asks a screen's `check_action` of each binding when it draws the footer and again before
it runs a key: True shows the key and runs it, None shows it greyed out, False hides it, and
neither None nor False runs it. A key pressed where it does not fit must still be answered with
why not ("deploy it first (d)"), so each key gated here has a second, hidden binding
(`keys.bindings`) whose action, `unchecked`, runs it anyway: its refusal is said as before.

A key that can never fit the row (deploy on an unavailable one, test before a deploy, compile on
an eager one) is hidden; one that only has to wait (the row is busy, the engine is loading) is
greyed out.
"""

from __future__ import annotations

from rnbench.core.backends.protocol import State
from rnbench.core.configs import Configuration
from rnbench.tui.app.rows import is_deployed
from rnbench.tui.app.session import Session

ROW_ACTIONS = frozenset({"compile", "deploy", "test", "teardown"})
"""Keys that act on the selected row."""
ENGINE_ACTIONS = frozenset({"teardown_all", "add_target", "model", "export", "report", "results"})
"""Keys that need the engine, whatever the row."""
WIDE_ONLY = frozenset({"filter"})
"""Keys the footer has room for only at `wide` sizes (at 80 columns: help and the palette)."""
GATED = ROW_ACTIONS | ENGINE_ACTIONS | WIDE_ONLY
"""The actions `key_state` may refuse: each has a hidden `unchecked` binding beside it."""
NOT_OURS = frozenset({"compile", "deploy", "teardown"})
"""What rnbench never does to a foreign target (it only tests one)."""


def key_state(
    action: str, config: Configuration | None, session: Session, wide: bool = True
) -> bool | None:
    """True: the key fits now; None: it will once the row or the engine is free (greyed out);
    False: it does not fit this row (hidden). `wide`: the terminal has room for `WIDE_ONLY`."""
    if action in WIDE_ONLY:
        return wide
    if action not in GATED:
        return True
    if action in ENGINE_ACTIONS:
        return True if session.engine is not None else None
    if config is None or session.engine is None or not _fits(action, config, session):
        return False
    if config.key in session.activity and config.key not in session.tests:
        return None  # deploying, compiling, tearing down: wait for it
    if config.key in session.tests and action != "teardown":  # tearing down cancels the test
        return None
    return True


def _fits(action: str, config: Configuration, session: Session) -> bool:
    """Whether `action` can act on `config` as the engine last described it."""
    if config.backend == "foreign" and action in NOT_OURS:
        return False
    status = session.statuses.get(config.key)
    if status is None:  # not described yet
        return action in ("compile", "deploy") and (action == "deploy" or config.compiled)
    if status.state is State.UNAVAILABLE:
        return False
    if action == "compile":
        return config.compiled
    if action == "deploy":
        return not is_deployed(status)
    if action == "test":
        return is_deployed(status)
    return status.deployment is not None  # teardown


def key_states(
    config: Configuration | None, session: Session, wide: bool
) -> tuple[bool | None, ...]:
    """Every gated key's state, in a fixed order: the footer is redrawn when this changes."""
    return tuple(key_state(action, config, session, wide) for action in sorted(GATED))

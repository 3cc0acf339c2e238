"""The main screen's dialogs that delete or leave: tear one down, tear all down, what is still up
from earlier, and what to do with what is up on quit.

Functions over the main screen they act for (`main_port.MainLike`): they ask (a modal), and on
an answer start the screen's workers and update its session, as the screen's own methods would.
"""

from __future__ import annotations

from rnbench.core.backends.foreign.targets import is_foreign_key
from rnbench.tui.app import messages as m
from rnbench.tui.app import workers
from rnbench.tui.app.rows import is_deployed
from rnbench.tui.app.screens.confirm import ConfirmScreen
from rnbench.tui.app.screens.leftovers import LeftoversScreen
from rnbench.tui.app.screens.main_port import MainLike
from rnbench.tui.app.screens.quit import QuitScreen


def ours_and_up(screen: MainLike, key: str) -> bool:
    """Deployed by rnbench and up: a foreign target (core/backends/foreign) never is."""
    return not is_foreign_key(key) and is_deployed(screen.session.statuses.get(key))


def confirm_teardown(screen: MainLike) -> None:
    """Ask, then tear down the selected configuration (cancelling its test first)."""
    session = screen.session
    config = screen.selected
    if config is None:
        return
    run = session.tests.get(config.key)
    status = session.statuses.get(config.key)
    if run is None and (screen.ready_config("tear down") is None):
        return
    if status is None or status.deployment is None:
        screen.explain(f"{config.key}: nothing is deployed")
        return
    what = status.deployment.resource_id
    if config.backend == "sagemaker":
        what += " (endpoint, endpoint configuration and model rnbench created)"
    body = f"This deletes {config.key}: {what}."
    if run is not None:
        body += "\nThe test in progress is cancelled first."

    def answer(yes: bool | None) -> None:
        if not yes:
            screen.log_line(f"{config.key}: tear down cancelled")
            return
        session.stop_tests(config.key)
        session.set_activity(config.key, "tearing down", screen.clock())
        screen.thread(workers.act, f"row:{config.key}", "teardown", config)
        screen.show_rows()

    screen.app.push_screen(ConfirmScreen(f"Tear down {config.key}?", body, "Tear down"), answer)


def confirm_teardown_all(screen: MainLike) -> None:
    """Ask, then tear down everything rnbench deployed."""
    up = [c.key for c in screen.session.configs if ours_and_up(screen, c.key)]
    listed = ", ".join(up) if up else "none known to this screen"
    body = f"This deletes every deployment rnbench created ({listed}), local and SageMaker."
    screen.app.push_screen(
        ConfirmScreen("Tear down everything?", body, "Tear all down"),
        lambda yes: teardown_all(screen) if yes else None,
    )


def teardown_all(screen: MainLike) -> None:
    session = screen.session
    for key in [k for k in {*session.tests, *session.stops} if not is_foreign_key(k)]:
        if key in session.tests:
            session.set_activity(key, "tearing down", screen.clock())
        session.stop_tests(key)  # a foreign target's test goes on: nothing of it is torn down
    for config in session.configs:
        if ours_and_up(screen, config.key):
            session.set_activity(config.key, "tearing down", screen.clock())
    screen.log_line("tearing down everything rnbench deployed…")
    screen.thread(workers.teardown_all, "teardown-all")
    screen.show_rows()


def offer_leftovers(screen: MainLike, message: m.OwnedListed) -> None:
    """At start: show what is still up from earlier and ask what to do with it."""
    if not message.deployments:
        screen.log_line("nothing rnbench created is still up")
        return
    leftovers = screen.session.leftovers = {d.config_key: d for d in message.deployments}
    screen.log_line(f"still up from earlier: {', '.join(sorted(leftovers))}", "warning")
    screen.show_rows()

    def choice(answer: str | None) -> None:
        if answer == "teardown":
            teardown_all(screen)
        elif answer == "keep":
            screen.log_line(f"keeping {', '.join(sorted(leftovers))} up")
        else:
            screen.log_line("leftovers: decide later (X tears everything down)")

    screen.app.push_screen(
        LeftoversScreen(message.deployments, message.prices, screen.clock()), choice
    )


def ask_before_quit(screen: MainLike, message: m.OwnedListed) -> None:
    """On quit: leave at once when nothing is up, else ask whether to keep it or tear it down."""
    if not message.deployments:
        screen.exit_app()
        return

    def choice(answer: str | None) -> None:
        if answer == "keep":
            screen.log_line("leaving deployments up")
            screen.exit_app()
        elif answer == "teardown":
            screen.session.quitting = True
            teardown_all(screen)

    testing = list(screen.session.tests)
    screen.app.push_screen(QuitScreen(message.deployments, message.prices, testing), choice)

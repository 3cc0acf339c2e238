"""Switching the main screen's model (`m`): ask (`ModelScreen`), then the engine deploys the new
model, the grid counts only its runs, the header names it and the settings file remembers it.

Functions over the main screen they act for (`main_port.MainLike`), like `main_dialogs`.
"""

from __future__ import annotations

from rnbench.core.model_choice import ModelChoice
from rnbench.results.record import RunRecord
from rnbench.tui.app import settings as stored
from rnbench.tui.app import workers
from rnbench.tui.app.model_view import describe, is_of, measured_model
from rnbench.tui.app.screens.main_port import MainLike
from rnbench.tui.app.screens.model import ModelScreen


def ask(screen: MainLike) -> None:
    """Open the model dialog, unless a row is busy (a deploy or test of the old model)."""
    busy = next(iter(screen.session.activity.items()), None)
    if busy is not None:
        screen.explain(f"model: {busy[0]} is busy ({busy[1]}); switch models once it is done")
        return

    def chosen(choice: ModelChoice | None) -> None:
        if choice is not None:
            switch(screen, choice)

    screen.app.push_screen(ModelScreen(screen.session.model), chosen)


def use(screen: MainLike, choice: ModelChoice, warning: str | None = None) -> None:
    """The grid measures `choice` (the engine already deploys it); the header says which."""
    screen.session.switch_model(choice)
    screen.sub_title = describe(choice.spec)
    if warning:
        screen.log_line(warning, "warning")


def switch(screen: MainLike, choice: ModelChoice) -> None:
    """The engine deploys `choice` from now on; the grid shows it, the settings file keeps it."""
    engine = screen.session.engine
    assert engine is not None
    engine.set_model(choice)
    use(screen, choice)
    saved = stored.SavedModel(choice.spec.path or choice.spec.name, choice.input_size)
    try:
        stored.save(screen.settings_path, screen.session.settings, model=saved)
    except Exception as exc:  # noqa: BLE001
        screen.fail(workers.one_line(exc))
    else:
        screen.log_line(f"model: {describe(choice.spec)} (saved)", "ok")
    screen.show_rows()
    screen.refresh_rows()


def other_model_note(record: RunRecord, choice: ModelChoice) -> str | None:
    """Why a finished run is not the grid's: its server serves another model; None if it is."""
    if is_of(record, choice.spec):
        return None
    if record.backend == "foreign":  # rnbench cannot know what someone else's server serves
        return (
            f"{record.config}: a foreign target's model is unknown to rnbench; its runs are "
            f"recorded as {measured_model(record)} and counted with that model"
        )
    return (
        f"{record.config}: that run measured {measured_model(record)}, not "
        f"{describe(choice.spec)} (the server up serves it): x, then d to measure this model"
    )

"""The shape every prompt shares: a title, labelled inputs, one error line, a primary button and
Cancel.

Enter in any input or the primary button submits; Escape or Cancel closes with None. A submit
that fails writes its one-line reason under the fields and leaves the dialog open with what was
typed, to be fixed in place. Work that blocks (writing a file, resolving a model) runs in a
thread worker that posts its outcome back as a message.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

Outcome = TypeVar("Outcome")

ERROR_ID = "dialog-error"
SUBMIT_ID = "submit"


class FormDialog(ModalScreen[Outcome | None]):
    """Subclasses give `heading`, `submit_label`, `fields` and `submit`."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    submit_label = "OK"
    """The primary button's word."""

    def heading(self) -> str:
        raise NotImplementedError

    def fields(self) -> ComposeResult:
        """The labels and inputs between the title and the error line."""
        raise NotImplementedError

    def submit(self) -> None:
        """Check what was typed: `dismiss` with the outcome, or `show_error` and stay open."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.heading(), classes="dialog-title")
            yield from self.fields()
            yield Label("", id=ERROR_ID, classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.submit_label} (enter)", variant="primary", id=SUBMIT_ID)
                yield Button("Cancel (esc)", id="cancel")

    def value(self, input_id: str) -> str:
        """What is typed in the input with this id."""
        return self.query_one(f"#{input_id}", Input).value

    def show_error(self, text: str, busy: bool = False) -> None:
        """One line under the fields; `busy` shows it as progress, not as a failure."""
        label = self.query_one(f"#{ERROR_ID}", Label)
        label.update(text)
        label.set_class(busy, "-busy")

    def run_in_thread(self, work: Callable[..., None], name: str, *args: object) -> None:
        """Run `work(post_message, *args)` in a thread worker; a newer one replaces it."""
        self.run_worker(
            partial(work, self.post_message, *args),
            name=name,
            group=name,
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == SUBMIT_ID:
            self.submit()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.submit()

    def action_cancel(self) -> None:
        self.dismiss(None)

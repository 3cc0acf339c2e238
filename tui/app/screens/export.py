"""The export and report prompts: where to write the runs, as CSV or as the HTML report (a
sensible default, editable).

It writes the file itself (in a thread worker) and stays open when that fails, with the reason
under the path as typed, so a wrong folder is fixed in place; it closes with what was written.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from rnbench.tui.app import messages as m
from rnbench.tui.app import workers
from rnbench.tui.app.port import EnginePort


@dataclass(frozen=True)
class FileKind:
    """What the prompt writes."""

    title: str
    button: str
    file_name: str
    """The default file, in the current folder."""
    work: workers.FileWork
    """The worker that writes it."""


CSV = FileKind("Export every stored run to CSV", "Export", "rnbench-runs.csv", workers.export)
REPORT = FileKind(
    "Write the HTML report of every stored run (charts, costs, provenance; one file, "
    "readable offline)",
    "Write report",
    "rnbench-report.html",
    workers.report,
)


class ExportScreen(ModalScreen[m.ExportWritten | None]):
    """Returns what was written, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, folder: Path, engine: EnginePort, kind: FileKind = CSV) -> None:
        super().__init__()
        self._default = folder / kind.file_name
        self._engine = engine
        self._kind = kind

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self._kind.title, classes="dialog-title")
            yield Label("File (written atomically; an existing file is replaced)")
            yield Input(str(self._default), id="path")
            yield Label("", id="export-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self._kind.button} (enter)", variant="primary", id="export")
                yield Button("Cancel (esc)", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export":
            self._submit()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit()

    def _submit(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        if not text:
            self._error("give a file name")
            return
        self._error("")
        path = Path(text).expanduser().absolute()
        self.run_worker(
            partial(self._kind.work, self.post_message, self._engine, path),
            name="export",
            group="export",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def _error(self, text: str) -> None:
        self.query_one("#export-error", Label).update(text)

    def on_export_written(self, message: m.ExportWritten) -> None:
        message.stop()
        self.dismiss(message)

    def on_action_failed(self, message: m.ActionFailed) -> None:
        message.stop()
        verb = "export" if self._kind is CSV else "write the report"
        self._error(f"could not {verb}: {message.reason}")  # the path stays as typed

    def action_cancel(self) -> None:
        self.dismiss(None)

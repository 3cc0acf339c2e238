"""The export and report prompts: where to write the runs, as CSV or as the HTML report (a
sensible default, editable).

It writes the file itself (in a thread worker) and stays open when that fails, with the reason
under the path as typed, so a wrong folder is fixed in place; it closes with what was written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.app import ComposeResult
from textual.widgets import Input, Label

from rnbench.tui.app import messages as m
from rnbench.tui.app import workers
from rnbench.tui.app.port import EnginePort
from rnbench.tui.app.screens.form_dialog import FormDialog


@dataclass(frozen=True)
class FileKind:
    """What the prompt writes."""

    title: str
    button: str
    file_name: str
    """The default file, in the current folder."""
    work: workers.FileWork
    """The worker that writes it."""
    verb: str
    """What failed, for the error line: "could not {verb}: ..."."""


CSV = FileKind(
    "Export every stored run to CSV", "Export", "rnbench-runs.csv", workers.export, "export"
)
REPORT = FileKind(
    "Write the HTML report of every stored run (charts, costs, provenance; one file, "
    "readable offline)",
    "Write report",
    "rnbench-report.html",
    workers.report,
    "write the report",
)


class ExportScreen(FormDialog[m.ExportWritten]):
    """Returns what was written, or None when cancelled."""

    def __init__(self, folder: Path, engine: EnginePort, kind: FileKind = CSV) -> None:
        super().__init__()
        self._default = folder / kind.file_name
        self._engine = engine
        self._kind = kind
        self.submit_label = kind.button

    def heading(self) -> str:
        return self._kind.title

    def fields(self) -> ComposeResult:
        yield Label("File (written atomically; an existing file is replaced)")
        yield Input(str(self._default), id="path")

    def submit(self) -> None:
        text = self.value("path").strip()
        if not text:
            self.show_error("give a file name")
            return
        self.show_error("")
        path = Path(text).expanduser().absolute()
        self.run_in_thread(self._kind.work, "export", self._engine, path)

    def on_export_written(self, message: m.ExportWritten) -> None:
        message.stop()
        self.dismiss(message)

    def on_action_failed(self, message: m.ActionFailed) -> None:
        message.stop()
        self.show_error(f"could not {self._kind.verb}: {message.reason}")  # the path stays

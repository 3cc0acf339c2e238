"""What the main screen's helper modules (`main_dialogs`, `model_switch`) use of it, as a protocol:
`MainScreen` fits, and they never import it (no import circle)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from textual.app import App

from rnbench.core.configs import Configuration
from rnbench.tui.app.session import Session


class MainLike(Protocol):
    """The main screen, as its dialogs act on it."""

    session: Session
    settings_path: Path
    clock: Callable[[], float]
    sub_title: str | None

    @property
    def app(self) -> App[Any]: ...
    @property
    def selected(self) -> Configuration | None: ...
    def ready_config(self, verb: str) -> Configuration | None: ...
    def log_line(self, line: str, level: str = "info") -> None: ...
    def explain(self, line: str) -> None: ...
    def fail(self, line: str) -> None: ...
    def thread(self, work: Callable[..., None], group: str, *args: Any) -> None: ...
    def show_rows(self) -> None: ...
    def refresh_rows(self) -> int: ...
    def exit_app(self) -> None: ...

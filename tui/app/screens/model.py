"""The model prompt (`m`): switch the grid's model to a torchvision classifier or your own file.

It lists some of torchvision's classifier names (from its registry, loaded in a thread worker:
importing torchvision takes seconds) narrowed to what is typed, and accepts any name or a
TorchScript (.pt/.pth) or ONNX (.onnx) file with an optional input size. It resolves the choice
in a thread worker and stays open with the one-line reason when that fails; it closes with the
resolved choice.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label

from rnbench.core.model_choice import ModelChoice
from rnbench.tui.app import messages as m
from rnbench.tui.app import workers
from rnbench.tui.app.model_view import describe, names_hint
from rnbench.tui.app.screens.form_dialog import FormDialog


def parse_input_size(text: str) -> int | None:
    """`320` -> 320, empty -> None (the model's own).

    Raises:
        ValueError: not a whole number; the message quotes what was typed.
    """
    text = text.strip().removesuffix("px").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"input size must be a whole number of pixels, got {text!r}")
    return int(text)


class ModelScreen(FormDialog[ModelChoice]):
    """Returns the resolved model choice, or None when cancelled."""

    submit_label = "Switch"

    def __init__(self, current: ModelChoice) -> None:
        super().__init__()
        self._current = current
        self._names: list[str] = []

    def heading(self) -> str:
        return f"Model (now {describe(self._current.spec)})"

    def fields(self) -> ComposeResult:
        current = self._current
        size = "" if current.input_size is None else str(current.input_size)
        yield Label(
            "A torchvision classifier by name, or your own file: TorchScript (.pt/.pth) or "
            "ONNX (.onnx). Deployments already up keep their model: tear them down (x) and "
            "deploy again to measure this one.",
            classes="dialog-body",
        )
        yield Label("Model name or file")
        yield Input(current.spec.path or current.spec.name, id="model")
        yield Label("loading torchvision's model names…", id="model-names")
        yield Label("Input side in px (optional; empty: the model's own, else 224)")
        yield Input(size, id="input-size", placeholder="the model's own")

    def on_mount(self) -> None:
        self.query_one("#model", Input).focus()
        self.run_in_thread(workers.list_models, "model-names")

    def on_models_listed(self, message: m.ModelsListed) -> None:
        message.stop()
        self._names = message.names
        self.query_one("#model", Input).suggester = SuggestFromList(message.names)
        self._show_names()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "model":
            self._show_names()

    def _show_names(self) -> None:
        if self._names:
            typed = self.value("model")
            self.query_one("#model-names", Label).update(names_hint(self._names, typed))

    def submit(self) -> None:
        text = self.value("model").strip()
        if not text:
            self.show_error("give a model name (e.g. resnet18) or a model file")
            return
        try:
            size = parse_input_size(self.value("input-size"))
        except ValueError as exc:
            self.show_error(str(exc))
            return
        self.show_error(f"resolving {text}…", busy=True)
        self.run_in_thread(workers.resolve_model, "model-resolve", text, size)

    def on_model_resolved(self, message: m.ModelResolved) -> None:
        message.stop()
        self.dismiss(message.choice)

    def on_action_failed(self, message: m.ActionFailed) -> None:
        message.stop()
        if message.action == "model":
            self.show_error(message.reason)  # the name stays as typed, to be fixed in place
        else:  # torchvision's names could not be listed: a name or a file still works
            self.query_one("#model-names", Label).update(f"no model names: {message.reason}")

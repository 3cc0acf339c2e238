"""Every key of the main screen, with the help the footer, the palette and `?` show."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    """One key of the main screen."""

    key: str
    action: str
    title: str
    """Footer and palette title."""
    help: str
    """What it does, for the help screen and the palette."""
    show: bool = True


MAIN_KEYS: tuple[Key, ...] = (
    Key("c", "compile", "Compile", "Compile the selected configuration (Neo job / ONNX export)"),
    Key("d", "deploy", "Deploy", "Deploy the selected configuration and wait until it answers"),
    Key("t", "test", "Test", "Load-test the selected deployment with the test settings (s)"),
    Key("x", "teardown", "Teardown", "Tear down the selected deployment (asks first)"),
    Key(
        "X",
        "teardown_all",
        "Tear all",
        "Tear down everything rnbench deployed (asks first)",
        show=False,  # in help and the palette: at 80 columns the footer keeps e, r, ?, q
    ),
    Key(
        "a",
        "add_target",
        "Add target",
        "Add your own target (a URL or a SageMaker endpoint): "
        "test only, never deployed or torn down",
        show=False,  # in help and the palette; the footer keeps its room for Quit
    ),
    Key(
        "m",
        "model",
        "Model",
        "Switch the grid's model: a torchvision classifier or your own TorchScript/ONNX file "
        "(saved for the next session)",
        show=False,  # in help and the palette; the footer is full at 80 columns
    ),
    Key("s", "settings", "Settings", "Test settings: concurrency, duration, warm-up (saved)"),
    Key("e", "export", "Export", "Export every stored run to CSV (asks for the path)"),
    Key("r", "results", "Results", "Results: stored runs beside the study's published table"),
    Key(
        "R",
        "report",
        "Report",
        "Write the HTML report of every stored run (asks for the path; readable offline)",
        show=False,  # in help and the palette; the footer keeps its room at 80 columns
    ),
    Key("question_mark", "help", "Help", "This help", show=True),
    Key("f1", "help", "Help", "This help", show=False),
    Key("q", "request_quit", "Quit", "Quit (asks what to do with anything still deployed)"),
)


def bindings(keys: tuple[Key, ...]) -> list[Binding | tuple[str, str] | tuple[str, str, str]]:
    return [
        Binding(k.key, k.action, k.title, show=k.show, tooltip=k.help, key_display=_display(k.key))
        for k in keys
    ]


def _display(key: str) -> str | None:
    return {"question_mark": "?", "f1": "F1"}.get(key)


def help_rows() -> list[tuple[str, str]]:
    """(keys, what they do), one per action."""
    rows: dict[str, tuple[list[str], str]] = {}
    for k in MAIN_KEYS:
        shown = _display(k.key) or k.key
        if k.action in rows:
            rows[k.action][0].append(shown)
        else:
            rows[k.action] = ([shown], k.help)
    return [(" / ".join(names), text) for names, text in rows.values()]

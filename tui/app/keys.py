"""Every key of the main and results screens, with the help the footer, the palette and `?`
show."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    """One key of a screen."""

    key: str
    action: str
    title: str
    """Footer and palette title."""
    help: str
    """What it does, for the help screen and the palette."""
    show: bool = True
    footer: str = ""
    """The footer's shorter title, when the footer has no room for `title`."""
    group: str = ""
    """The footer shows the keys of one group together, under this title (`1 2 3 4 Tabs`)."""


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
        footer="Target",  # at 80 columns the footer has room for a word
    ),
    Key(
        "slash",
        "filter",
        "Filter",
        "Filter the rows by name, runtime or instance (enter keeps it, escape clears it)",
    ),
    Key("escape", "clear_filter", "Clear filter", "Clear the rows' filter", show=False),
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


RESULTS_KEYS: tuple[Key, ...] = (
    Key("escape", "back", "Back", "Back to the grid"),
    Key("r", "back", "Back", "Back to the grid", show=False),
    Key("left_square_bracket", "sort(-1)", "Sort ←", "Sort by the column to the left"),
    Key("right_square_bracket", "sort(1)", "Sort →", "Sort by the column to the right"),
    Key("o", "reverse", "Reverse", "Reverse the sort (a click on a header sorts by it)"),
    Key("1", "tab(0)", "Runs", "Tab 1: every stored run beside the study's table", group="Tabs"),
    Key("2", "tab(1)", "Overlay", "Tab 2: the study's figures beside this machine's", group="Tabs"),
    Key("3", "tab(2)", "Sweeps", "Tab 3: throughput-latency curves, knee marked", group="Tabs"),
    Key(
        "4",
        "tab(3)",
        "SLO",
        "Tab 4: the cheapest configuration meeting a p99 and TPS",
        group="Tabs",
    ),
    Key("question_mark", "help", "Help", "This help"),
    Key("f1", "help", "Help", "This help", show=False),
)
"""The results screen's keys."""

UNCHECKED = "unchecked"
"""The action that runs another without the footer's check (`footer_keys`)."""


def bindings(
    keys: tuple[Key, ...], gated: frozenset[str] = frozenset()
) -> list[Binding | tuple[str, str] | tuple[str, str, str]]:
    """The screen's bindings. An action in `gated` gets a second, hidden binding of its key that
    runs it unchecked: where the screen's `check_action` keeps the first from running, the key
    still reaches the action, which says why it cannot act."""
    out: list[Binding | tuple[str, str] | tuple[str, str, str]] = []
    for k in keys:
        title = k.footer or k.title
        group = Binding.Group(k.group) if k.group else None
        display = _display(k.key)
        out.append(Binding(k.key, k.action, title, k.show, display, tooltip=k.help, group=group))
        if k.action in gated:
            out.append(Binding(k.key, unchecked(k.action), show=False))
    return out


def unchecked(action: str) -> str:
    """The action string that runs `action` without the footer's check."""
    return f"{UNCHECKED}({action!r})"


def _display(key: str) -> str | None:
    return {
        "question_mark": "?",
        "f1": "F1",
        "slash": "/",
        "escape": "esc",
        "left_square_bracket": "[",
        "right_square_bracket": "]",
    }.get(key)


def help_rows(keys: tuple[Key, ...] = MAIN_KEYS) -> list[tuple[str, str]]:
    """(keys, what they do), one per action."""
    rows: dict[str, tuple[list[str], str]] = {}
    for k in keys:
        shown = _display(k.key) or k.key
        if k.action in rows:
            rows[k.action][0].append(shown)
        else:
            rows[k.action] = ([shown], k.help)
    return [(" / ".join(names), text) for names, text in rows.values()]

"""The `/` filter of the grid's rows, as k9s filters its tables: a substring, any case.

A row matches when the text is in its key, its label, its runtime, its instance type or what its
"runs on" column says (`local cpu`, `SM c5.xlarge`, `foreign URL`). Plain values, no widgets.
"""

from __future__ import annotations

from collections.abc import Sequence

from rnbench.core.configs import Configuration
from rnbench.tui.app.rows import where


def matches(config: Configuration, text: str) -> bool:
    """Whether `config`'s row shows with the filter `text` ("" shows every row)."""
    needle = text.strip().casefold()
    fields = (config.key, config.label, config.runtime, config.instance_type, where(config))
    return not needle or any(needle in field.casefold() for field in fields)


def filtered(configs: Sequence[Configuration], text: str) -> tuple[Configuration, ...]:
    """The rows the filter `text` keeps, in their order."""
    return tuple(config for config in configs if matches(config, text))


def filter_line(text: str, shown: int, total: int, editing: bool) -> str:
    """What the line above the grid says: `filter: cpu — 4 of 17 rows` and which keys do what;
    while the filter is typed (the input beside it shows the text), the count and the keys."""
    if editing:
        count = f"{shown} of {total} rows" if text.strip() else f"{total} rows"
        return f"{count} · enter keeps the filter, escape clears it"
    return f"filter: {text.strip()} — {shown} of {total} rows (/ changes it, escape clears it)"

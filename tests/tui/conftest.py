"""Fixtures of the TUI tests; the fake engine itself is in `tui_fakes` (importable from here)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tui_fakes import FakeEngine  # noqa: E402


@pytest.fixture
def fake_engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Log time stamps in UTC, so snapshots do not depend on the machine's time zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.delenv("TZ")
    time.tzset()
    os.environ.pop("TZ", None)


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "tui-settings.json"

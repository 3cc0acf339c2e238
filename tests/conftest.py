"""Fixtures every test shares: a private RNBENCH_HOME and the study's request image."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def rnbench_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Keep every test's data, cache and state out of the user's home.

    The cache (ONNX exports) is shared by the whole session so it is built once.
    """
    home = tmp_path_factory.mktemp("rnbench-home")
    cache = tmp_path_factory.getbasetemp() / "shared-cache"
    cache.mkdir(exist_ok=True)
    (home / "cache").symlink_to(cache)
    monkeypatch.setenv("RNBENCH_HOME", str(home))
    yield home


@pytest.fixture(scope="session")
def doggo_jpeg() -> bytes:
    """The reference study's request image (224x224 JPEG, 20 KB)."""
    return (DATA / "doggo.jpg").read_bytes()

"""A full disk under the results database (issue 18, item 7) says "no space left on device",
not "database is unreadable: disk I/O error": SQLite's "database or disk is full", its disk I/O
error when the folder has no space left, and ENOSPC from the OS all read the same."""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from pathlib import Path

import pytest
from cli_support import run_cli
from records import make_record

from rnbench.core.paths import results_database
from rnbench.results import store as store_module
from rnbench.results.errors import ResultsError, ResultsUsageError
from rnbench.results.store import RunStore


def _io_error() -> sqlite3.OperationalError:
    """What SQLite raises when a write (its WAL, a journal) fails: SQLITE_IOERR_WRITE."""
    error = sqlite3.OperationalError("disk I/O error")
    error.sqlite_errorcode = sqlite3.SQLITE_IOERR | (3 << 8)  # type: ignore[attr-defined]
    return error


def _full_folder(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """`folder`'s file system has no space left (others keep theirs)."""
    real = os.statvfs

    def statvfs(path: str | os.PathLike[str]) -> os.statvfs_result:
        found = real(path)
        if Path(path).resolve() != folder.resolve():
            return found
        return os.statvfs_result((*found[:3], 0, 0, *found[5:]))

    monkeypatch.setattr(os, "statvfs", statvfs)


def test_a_write_past_the_space_left_says_no_space_left(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite3")
    store.begin_run(make_record("r1"))
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count={pages}")  # a real SQLITE_FULL on the next page
    with pytest.raises(ResultsError) as caught:
        for i in range(2, 200):
            store.begin_run(make_record(f"r{i}", note="x" * 4000))
    pattern = rf"results database {re.escape(str(store.path))}: cannot store run r\d+: "
    assert re.fullmatch(pattern + "no space left on device", str(caught.value)), caught.value
    store.close()


def test_opening_on_a_full_disk_says_no_space_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "runs.sqlite3"
    RunStore(path).close()

    def fail(self: RunStore) -> None:
        raise _io_error()

    monkeypatch.setattr(RunStore, "_open", fail)
    with pytest.raises(ResultsUsageError, match="is unreadable: disk I/O error"):
        RunStore(path)  # space is left: the disk I/O error is something else, said as such
    _full_folder(monkeypatch, tmp_path)
    with pytest.raises(ResultsUsageError) as caught:
        RunStore(path)
    assert str(caught.value) == f"cannot open results database {path}: no space left on device"


def test_a_lock_file_on_a_full_disk_says_no_space_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = RunStore(tmp_path / "runs.sqlite3")

    def full(*args: object, **kwargs: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store_module.os, "open", full)
    with pytest.raises(ResultsError, match=r"r1\.lock: no space left on device$"):
        store.begin_run(make_record("r1"))
    monkeypatch.undo()
    store.close()


def test_the_cli_on_a_full_disk_is_one_line_exit_2(
    rnbench_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = results_database()
    path.parent.mkdir(parents=True, exist_ok=True)
    RunStore(path).close()

    def fail(self: RunStore) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(RunStore, "_open", fail)
    code, out, err = run_cli(capsys, "results")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"rnbench: error: cannot open results database {path}: no space left on device"
    ]

"""The SQLite run store: written as a run goes, read back newest first, upgraded in place."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from records import make_record

from rnbench.core.paths import results_database
from rnbench.results.errors import ResultsUsageError
from rnbench.results.record import RUN_COLUMNS
from rnbench.results.store import SCHEMA_VERSION, RunStore, WindowRow, new_run_id


def window(i: int) -> WindowRow:
    return WindowRow(i, i + 1.0, 20, i % 2, 20.0, 800.0, 790.0, 850.0, 870.0, 900.0, 950.5)


def test_run_lifecycle_round_trips_every_field(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite3")
    record = make_record("r1", status="ok", stable=True, server_p50_ms=12.5, rate=10.0)
    store.begin_run(record)
    assert store.get("r1").status == "running"
    for i in range(3):
        store.add_window("r1", window(i))
    final = replace(record, usd_per_hour=0.23, stable=None, note="done", compiled=True)
    store.finish_run(final)
    assert store.get("r1") == final
    assert store.windows("r1") == [window(0), window(1), window(2)]
    store.close()
    # Reopened, nothing is lost.
    with RunStore(tmp_path / "runs.sqlite3") as again:
        assert again.runs() == [final]
        assert again.windows("r1")[2].max_ms == 950.5


def test_default_path_is_under_the_data_dir(rnbench_home: Path) -> None:
    with RunStore(results_database()) as store:
        assert store.path == rnbench_home / "data" / "runs.sqlite3"
        assert store.path.exists()


def test_windows_are_committed_as_they_arrive(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    store = RunStore(path)
    store.begin_run(make_record("r1"))
    store.add_window("r1", window(0))
    # Another connection (a crash survivor) sees the run and its window before the run ends.
    other = sqlite3.connect(path)
    assert other.execute("SELECT status FROM runs").fetchall() == [("running",)]
    assert other.execute("SELECT count(*) FROM windows").fetchone() == (1,)
    assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    other.close()
    store.close()


def test_runs_newest_first_with_limit_get_and_delete(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite3")
    for i, day in enumerate(["03", "01", "02"]):
        store.finish_run(make_record(f"r{i}", started_at=f"2026-05-{day}T10:00:00Z"))
    assert [r.run_id for r in store.runs()] == ["r0", "r2", "r1"]
    assert [r.run_id for r in store.runs(limit=2)] == ["r0", "r2"]
    store.add_window("r0", window(0))
    store.delete("r0")
    assert [r.run_id for r in store.runs()] == ["r2", "r1"]
    assert store.windows("r0") == []
    with pytest.raises(ResultsUsageError):
        store.get("r0")
    with pytest.raises(ResultsUsageError):
        store.delete("r0")
    with pytest.raises(ResultsUsageError):
        store.add_window("nope", window(0))
    with pytest.raises(ResultsUsageError):
        store.begin_run(make_record("r1"))
    store.close()


def test_safe_from_several_threads(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite3")
    store.begin_run(make_record("r1"))
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for i in range(50):
                store.add_window("r1", window(offset + i))
                store.runs(limit=1)
        except BaseException as e:  # collected for the assertion below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(k * 100,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert len(store.windows("r1")) == 200
    store.close()


def test_old_database_gains_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    old = [n for n in RUN_COLUMNS if n not in ("note", "sweep_id", "max_prob_deviation")]
    db = sqlite3.connect(path)
    db.execute(f"CREATE TABLE runs ({', '.join(old)})")
    record = make_record("old")
    db.execute(
        f"INSERT INTO runs VALUES ({', '.join('?' for _ in old)})",
        [getattr(record, n) for n in old],
    )
    db.commit()
    db.close()
    with RunStore(path) as store:
        assert store.get("old") == record  # missing columns read as the field defaults
        store.finish_run(replace(record, note="upgraded", max_prob_deviation=1e-5))
        assert store.get("old").note == "upgraded"
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    check.close()


def test_corrupt_or_unusable_path_is_a_one_line_usage_error(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"this is not a database" * 100)
    for path in (corrupt, tmp_path, tmp_path / "missing" / "runs.sqlite3"):
        with pytest.raises(ResultsUsageError) as info:
            RunStore(path)
        assert "\n" not in str(info.value)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(ResultsUsageError, match="newer rnbench"):
        RunStore(path)


def test_run_ids_sort_by_time_and_are_unique() -> None:
    from datetime import UTC, datetime

    early = new_run_id(datetime(2026, 1, 1, 10, 0, 0, 5000, tzinfo=UTC))
    late = new_run_id(datetime(2026, 1, 1, 10, 0, 1, tzinfo=UTC))
    assert early < late and early.startswith("20260101T100000005Z-")
    assert len({new_run_id() for _ in range(200)}) == 200


def test_a_database_without_stored_histograms_stays_readable_and_then_keeps_them(
    tmp_path: Path,
) -> None:
    from rnbench.core.loadgen.hist import decode_histogram, encode_histogram, new_histogram

    path = tmp_path / "runs.sqlite3"
    old = [n for n in RUN_COLUMNS if n != "latency_histogram"]
    db = sqlite3.connect(path)
    db.execute(f"CREATE TABLE runs ({', '.join(old)})")
    db.execute("PRAGMA user_version=1")
    record = make_record("before")
    db.execute(
        f"INSERT INTO runs VALUES ({', '.join('?' for _ in old)})",
        [getattr(record, n) for n in old],
    )
    db.commit()
    db.close()
    histogram = new_histogram(60_000_000)
    for us in (9_000, 10_000, 250_000):
        histogram.record_value(us)
    with RunStore(path) as store:
        assert store.get("before").latency_histogram == ""
        store.finish_run(make_record("after", latency_histogram=encode_histogram(histogram)))
    with RunStore(path) as store:
        kept = decode_histogram(store.get("after").latency_histogram)
        assert kept.get_total_count() == 3
        assert kept.get_max_value() == histogram.get_max_value()
        assert store.get("before") == record

"""The results database: every run and its per-second windows, in SQLite under the data directory.

Runs are written as they go: `begin_run` inserts a `running` row, each window is committed as it
arrives (a crash loses at most the last one), and `finish_run` replaces the row with the result.
While a run goes, its process holds an exclusive lock on `running/<run_id>.lock` beside the
database; the kernel drops it when the process dies, however it dies. `mark_interrupted` (called
when the engine is built) turns `running` rows whose lock is free into `interrupted` ones, with
figures computed from the windows they stored.
The `runs` table has one column per `RunRecord` field; a field added to `RunRecord` later (it must
have a default) becomes a column on the next open (ALTER TABLE ADD COLUMN). `user_version` holds
the schema version. One connection is shared by all threads, behind a lock.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import sqlite3
import threading
import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import MISSING, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rnbench.results.cost import cost_figures
from rnbench.results.errors import ResultsError, ResultsUsageError
from rnbench.results.record import RUN_COLUMNS, RunRecord

SCHEMA_VERSION = 1
"""Bumped when a change needs more than adding `runs` columns."""
NO_SPACE = "no space left on device"
"""What a write error says when the disk is full, whatever SQLite or the OS called it."""


@dataclass(frozen=True)
class WindowRow:
    """One stored measurement window of a run (one second by default)."""

    index: int
    elapsed_s: float
    """End of the window, seconds since measuring started."""
    requests: int
    """Successful requests completed in the window."""
    errors: int
    """Failed requests in the window, all kinds together."""
    tps: float
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


WINDOW_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(WindowRow))


def new_run_id(now: datetime | None = None) -> str:
    """A run id that sorts by start time: UTC timestamp to the millisecond, then random hex."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}Z-{secrets.token_hex(3)}"


def _base_type(annotation: Any) -> type:
    """`float | None` -> float."""
    if isinstance(annotation, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return typing.cast(type, args[0])
    return typing.cast(type, annotation)


_HINTS = typing.get_type_hints(RunRecord)
_TYPES: dict[str, type] = {name: _base_type(_HINTS[name]) for name in RUN_COLUMNS}
_SQL_TYPE = {str: "TEXT", int: "INTEGER", bool: "INTEGER", float: "REAL"}
_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in fields(RunRecord) if f.default is not MISSING
}


def _q(name: str) -> str:
    return f'"{name}"'


def _from_sql(name: str, value: Any) -> Any:
    if value is None:
        return _DEFAULTS.get(name)
    kind = _TYPES[name]
    if kind is bool:
        return bool(value)
    return kind(value)


class RunStore:
    """Runs and their windows in one SQLite file (the engine keeps it in its data folder)."""

    def __init__(self, path: Path) -> None:
        """Open (and create or upgrade) the database at `path`.

        Raises:
            ResultsUsageError: the file cannot be opened, is not an rnbench database, or is
                corrupt.
        """
        self.path = path
        self._lock = threading.Lock()
        self._held: dict[str, int] = {}
        """Lock files (descriptors) of the runs this store is writing."""
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as e:
            raise ResultsUsageError(
                f"cannot open results database {self.path}: {self._reason(e)}"
            ) from None
        try:
            self._open()
        except sqlite3.Error as e:
            self._db.close()
            reason = self._reason(e)
            if reason == NO_SPACE:  # the database is fine: there is no room for its journal
                raise ResultsUsageError(
                    f"cannot open results database {self.path}: {reason}"
                ) from None
            raise ResultsUsageError(f"results database {self.path} is unreadable: {e}") from None
        except ResultsUsageError:
            self._db.close()
            raise

    def _reason(self, error: sqlite3.Error) -> str:
        """SQLite's message, or `no space left on device` when the disk is full: SQLite says
        "database or disk is full", or only "disk I/O error" when a journal cannot grow."""
        code = getattr(error, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL or "database or disk is full" in str(error):
            return NO_SPACE
        if code is not None and code & 0xFF == sqlite3.SQLITE_IOERR:
            with contextlib.suppress(OSError):
                if os.statvfs(self.path.parent).f_bavail == 0:
                    return NO_SPACE
        return str(error)

    def _open(self) -> None:
        db = self._db
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ResultsUsageError(
                f"results database {self.path} was written by a newer rnbench "
                f"(schema {version}, this one reads {SCHEMA_VERSION})"
            )
        problems = [str(row[0]) for row in db.execute("PRAGMA quick_check(1)")]
        if problems != ["ok"]:
            lines = " ".join(problems).replace("*** in database main ***", "").split()
            raise ResultsUsageError(
                f"results database {self.path} is corrupt ({' '.join(lines)}); move it aside "
                "and rnbench starts a new one"
            )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=5000")
        columns = ", ".join(f"{_q(n)} {_SQL_TYPE[_TYPES[n]]}" for n in RUN_COLUMNS if n != "run_id")
        with self._transaction():
            db.execute(f"CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, {columns})")
            db.execute(
                "CREATE TABLE IF NOT EXISTS windows ("
                " run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
                ' "index" INTEGER NOT NULL, elapsed_s REAL, requests INTEGER, errors INTEGER,'
                " tps REAL, mean_ms REAL, p50_ms REAL, p90_ms REAL, p95_ms REAL, p99_ms REAL,"
                ' max_ms REAL, PRIMARY KEY (run_id, "index"))'
            )
            db.execute("CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at)")
            present = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
            for name in RUN_COLUMNS:
                if name not in present:
                    db.execute(f"ALTER TABLE runs ADD COLUMN {_q(name)} {_SQL_TYPE[_TYPES[name]]}")
            if version != SCHEMA_VERSION:  # opening an up-to-date database writes nothing
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def _locked(self, what: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.IntegrityError as e:
                raise ResultsUsageError(f"cannot {what}: {e}") from None
            except sqlite3.Error as e:
                raise ResultsError(
                    f"results database {self.path}: cannot {what}: {self._reason(e)}"
                ) from None

    def _write_run(self, record: RunRecord, verb: str) -> None:
        values = [getattr(record, n) for n in RUN_COLUMNS]
        marks = ", ".join("?" for _ in RUN_COLUMNS)
        names = ", ".join(_q(n) for n in RUN_COLUMNS)
        with self._locked(f"store run {record.run_id}") as db:
            db.execute(f"{verb} INTO runs ({names}) VALUES ({marks})", values)

    def begin_run(self, record: RunRecord) -> None:
        """Insert a run as it starts (stored with status `running`).

        Raises:
            ResultsUsageError: a run with this id exists.
            ResultsError: the database cannot be written.
        """
        if record.status != "running":
            record = replace(record, status="running")
        self._hold(record.run_id)
        try:
            self._write_run(record, "INSERT")
        except BaseException:
            self._release(record.run_id)
            raise

    def _lock_path(self, run_id: str) -> Path:
        return self.path.parent / "running" / f"{run_id}.lock"

    def _hold(self, run_id: str) -> None:
        """Take the run's lock (before its `running` row exists, so it is never seen unheld)."""
        path = self._lock_path(run_id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            reason = NO_SPACE if e.errno == errno.ENOSPC else e.strerror or e
            raise ResultsError(f"cannot create {path}: {reason}") from None
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._held[run_id] = fd

    def _release(self, run_id: str) -> None:
        fd = self._held.pop(run_id, None)
        if fd is not None:
            with contextlib.suppress(OSError):
                self._lock_path(run_id).unlink()
            os.close(fd)

    def _owner_alive(self, run_id: str) -> bool:
        """Whether some live process (this one included) holds the run's lock."""
        if run_id in self._held:
            return True
        try:
            fd = os.open(self._lock_path(run_id), os.O_RDWR)
        except OSError:
            return False  # no lock file: its process died before or after it, or is older
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        with contextlib.suppress(OSError):
            self._lock_path(run_id).unlink()
        return False

    def mark_interrupted(self) -> list[str]:
        """Mark `running` runs whose process died as `interrupted`; returns their ids.

        Their figures are computed from their stored windows: requests, errors, duration, TPS,
        mean and max latency exactly; the percentiles as the highest of the windows' (a
        percentile of the whole run is never above that of its worst window), as the note says.

        Raises:
            ResultsError: the database cannot be read or written.
        """
        names = ", ".join(_q(n) for n in RUN_COLUMNS)
        with self._locked("read running runs") as db:
            rows = db.execute(f"SELECT {names} FROM runs WHERE status = 'running'").fetchall()
        marked = []
        for record in map(self._record, rows):
            if self._owner_alive(record.run_id):
                continue
            self.finish_run(interrupted(record, self.windows(record.run_id)))
            marked.append(record.run_id)
        return marked

    def add_window(self, run_id: str, window: WindowRow) -> None:
        """Store one window of a run, committed at once.

        Raises:
            ResultsUsageError: no run has this id.
            ResultsError: the database cannot be written.
        """
        values = [run_id, *(getattr(window, n) for n in WINDOW_COLUMNS)]
        names = ", ".join(["run_id", *(_q(n) for n in WINDOW_COLUMNS)])
        marks = ", ".join("?" for _ in values)
        with self._locked(f"store a window of run {run_id}") as db:
            db.execute(f"INSERT OR REPLACE INTO windows ({names}) VALUES ({marks})", values)

    def finish_run(self, record: RunRecord) -> None:
        """Replace a run's row with its final record (its windows stay).

        Raises:
            ResultsError: the database cannot be written.
        """
        names = ", ".join(_q(n) for n in RUN_COLUMNS if n != "run_id")
        sets = ", ".join(f"{_q(n)} = ?" for n in RUN_COLUMNS if n != "run_id")
        values = [getattr(record, n) for n in RUN_COLUMNS if n != "run_id"]
        with self._locked(f"store run {record.run_id}") as db:
            cursor = db.execute(
                f"UPDATE runs SET {sets} WHERE run_id = ?", [*values, record.run_id]
            )
            if cursor.rowcount == 0:
                marks = ", ".join("?" for _ in RUN_COLUMNS)
                db.execute(
                    f"INSERT INTO runs (run_id, {names}) VALUES ({marks})",
                    [record.run_id, *values],
                )
        if record.status != "running":
            self._release(record.run_id)

    def _record(self, row: sqlite3.Row | tuple[Any, ...]) -> RunRecord:
        return RunRecord(**{n: _from_sql(n, v) for n, v in zip(RUN_COLUMNS, row, strict=True)})

    def runs(self, limit: int | None = None) -> list[RunRecord]:
        """Stored runs, newest first; at most `limit` of them.

        Raises:
            ResultsError: the database cannot be read.
        """
        names = ", ".join(_q(n) for n in RUN_COLUMNS)
        sql = f"SELECT {names} FROM runs ORDER BY started_at DESC, run_id DESC"
        params: list[Any] = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, limit))
        with self._locked("read runs") as db:
            rows = db.execute(sql, params).fetchall()
        return [self._record(r) for r in rows]

    def get(self, run_id: str) -> RunRecord:
        """One run by id.

        Raises:
            ResultsUsageError: no run has this id.
            ResultsError: the database cannot be read.
        """
        names = ", ".join(_q(n) for n in RUN_COLUMNS)
        with self._locked(f"read run {run_id}") as db:
            row = db.execute(f"SELECT {names} FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise ResultsUsageError(f"no stored run has id {run_id!r}")
        return self._record(row)

    def windows(self, run_id: str) -> list[WindowRow]:
        """A run's windows in order (empty for a run without any).

        Raises:
            ResultsError: the database cannot be read.
        """
        names = ", ".join(_q(n) for n in WINDOW_COLUMNS)
        sql = f'SELECT {names} FROM windows WHERE run_id = ? ORDER BY "index"'
        with self._locked(f"read windows of run {run_id}") as db:
            rows = db.execute(sql, (run_id,)).fetchall()
        return [WindowRow(*row) for row in rows]

    def delete(self, run_id: str) -> None:
        """Delete a run and its windows.

        Raises:
            ResultsUsageError: no run has this id.
            ResultsError: the database cannot be written.
        """
        with self._locked(f"delete run {run_id}") as db:
            cursor = db.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
        if cursor.rowcount == 0:
            raise ResultsUsageError(f"no stored run has id {run_id!r}")

    def close(self) -> None:
        """Close the database; the store cannot be used afterwards."""
        with self._lock:
            self._db.close()
        for run_id in list(self._held):
            self._release(run_id)

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def interrupted(record: RunRecord, windows: list[WindowRow]) -> RunRecord:
    """`record` of a run whose process died, with what its stored `windows` tell."""
    if not windows:
        note = "interrupted before any window was stored: nothing was measured"
        return replace(record, status="interrupted", note=note)
    requests = sum(w.requests for w in windows)
    duration_s = max(w.elapsed_s for w in windows)
    mean_ms = sum(w.mean_ms * w.requests for w in windows) / requests if requests else 0.0
    note = (
        f"interrupted after {len(windows)} stored windows ({duration_s:g} s): figures from "
        "them; p50-p99 are the highest of its windows' (upper bounds)"
    )
    tps = requests / duration_s if duration_s > 0 else 0.0
    costs = cost_figures(tps, record.usd_per_hour)
    return replace(
        record,
        status="interrupted",
        note=note,
        duration_s=duration_s,
        requests=requests,
        errors=sum(w.errors for w in windows),
        tps=tps,
        tps_per_usd_hour=costs.tps_per_usd_hour,
        usd_per_1m=costs.usd_per_1m,
        inferences_per_usd=costs.inferences_per_usd,
        transactions_per_hour=costs.transactions_per_hour,
        mean_ms=mean_ms,
        p50_ms=max(w.p50_ms for w in windows),
        p90_ms=max(w.p90_ms for w in windows),
        p95_ms=max(w.p95_ms for w in windows),
        p99_ms=max(w.p99_ms for w in windows),
        max_ms=max(w.max_ms for w in windows),
    )

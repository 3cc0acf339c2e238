"""Export of stored runs (CSV, JSON, Parquet, from the runs DataFrame), written atomically so a
failed export never leaves half a file.

Columns are `RUN_COLUMNS` in order. Empty cells mean "none" (no price, no server timing), never
zero; booleans are `true`/`false`; floats carry up to six decimals, without exponents.
"""

from __future__ import annotations

import errno
import math
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from rnbench.results.errors import ResultsUsageError
from rnbench.results.frames import runs_frame
from rnbench.results.record import RunRecord


def format_cell(value: object) -> str:
    """One CSV cell: None -> empty, bool -> true/false, float -> up to 6 decimals."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text
    return str(value)


def default_export_path(now: datetime | None = None) -> Path:
    """`./rnbench-runs-YYYYmmdd-HHMMSS.csv` in the current directory (local time)."""
    now = now or datetime.now()
    return Path.cwd() / f"rnbench-runs-{now:%Y%m%d-%H%M%S}.csv"


EXPORT_FORMATS = ("csv", "json", "parquet")
"""What `export_runs` writes: CSV (cells as `format_cell`), JSON (a list of objects, null for
none), Parquet (typed columns, through pyarrow)."""


def export_csv(records: Iterable[RunRecord], path: Path) -> int:
    """Write runs to `path` as CSV (header = RUN_COLUMNS); returns the number of rows written.

    The file appears whole or not at all: rows go to a temporary file in the same folder, which
    then replaces `path`.

    Raises:
        ResultsUsageError: the folder does not exist, `path` is a folder, or the file cannot
            be written.
    """
    return export_runs(records, path, "csv")


def export_runs(records: Iterable[RunRecord], path: Path, fmt: str = "csv") -> int:
    """Write runs to `path` in `fmt` (one of `EXPORT_FORMATS`), atomically; returns the rows.

    Raises:
        ResultsUsageError: an unknown format, or as `export_csv`.
    """
    if fmt not in EXPORT_FORMATS:
        raise ResultsUsageError(
            f"unknown export format {fmt!r}: one of {', '.join(EXPORT_FORMATS)}"
        )
    rows = 0

    def render() -> bytes:
        nonlocal rows
        frame = runs_frame(records)
        rows = len(frame)
        if fmt == "csv":
            cells = frame.map(format_cell) if len(frame) else frame
            return str(cells.to_csv(index=False, lineterminator="\r\n")).encode("utf-8")
        if fmt == "json":
            return str(frame.to_json(orient="records", indent=2)).encode("utf-8")
        return bytes(frame.infer_objects().to_parquet(None, index=False))

    write_atomically(path, render)
    return rows


def write_atomically(path: Path, render: Callable[[], bytes]) -> None:
    """Write the bytes `render()` makes to a temporary file beside `path` (with `os.write`, then
    fsync, so that a full disk fails here and not after the rename), then rename it to `path`.
    On any failure nothing is left behind (neither the temporary file nor half of `path`) and a
    file already at `path` is untouched.

    Raises:
        ResultsUsageError: the folder does not exist, `path` is a folder, a special file or
            read-only, or the file cannot be written there (a full disk: "no space left on
            device").
    """
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()  # a link is followed: its target is replaced, the link kept
    mode = _writable_mode(path)
    try:
        data = render()
        handle, temp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
    except OSError as e:
        raise ResultsUsageError(cannot_write(path, e)) from None
    temp = Path(temp_name)
    try:
        try:
            _write_all(handle, data)
            os.fsync(handle)
        finally:
            os.close(handle)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except OSError as e:
        temp.unlink(missing_ok=True)
        raise ResultsUsageError(cannot_write(path, e)) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _writable_mode(path: Path) -> int:
    """The mode the written file gets (that of the file it replaces, else 0644).

    Raises:
        ResultsUsageError: `path` is a folder, a special file or read-only, or its folder does
            not exist.
    """
    if path.is_dir():
        raise ResultsUsageError(f"cannot write {path}: it is a folder")
    mode = 0o644
    if path.exists():
        existing = path.stat()
        if not stat.S_ISREG(existing.st_mode):
            raise ResultsUsageError(
                f"cannot write {path}: it is not a regular file (a device, FIFO or socket)"
            )
        if not existing.st_mode & 0o222:
            raise ResultsUsageError(f"cannot write {path}: it is read-only")
        mode = stat.S_IMODE(existing.st_mode)  # the file it replaces keeps its mode
    if not path.parent.is_dir():
        raise ResultsUsageError(f"cannot write {path}: folder {path.parent} does not exist")
    return mode


def _write_all(handle: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view) :]


def cannot_write(path: Path, error: OSError) -> str:
    """One line: why `path` could not be written (a full disk says "no space left on device")."""
    if error.errno == errno.ENOSPC:
        return f"cannot write {path}: no space left on device"
    return f"cannot write {path}: {error.strerror or error}"

"""CSV export of stored runs, written atomically so a failed export never leaves half a file.

Columns are `RUN_COLUMNS` in order. Empty cells mean "none" (no price, no server timing), never
zero; booleans are `true`/`false`; floats carry up to six decimals, without exponents.
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from rnbench.results.errors import ResultsUsageError
from rnbench.results.record import RUN_COLUMNS, RunRecord


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


def export_csv(records: Iterable[RunRecord], path: Path) -> int:
    """Write runs to `path` as CSV (header = RUN_COLUMNS); returns the number of rows written.

    The file appears whole or not at all: rows go to a temporary file in the same folder, which
    then replaces `path`.

    Raises:
        ResultsUsageError: the folder does not exist, `path` is a folder, or the file cannot
            be written.
            written.
    """
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise ResultsUsageError(f"cannot export to {path}: it is a folder")
    if not folder.is_dir():
        raise ResultsUsageError(f"cannot export to {path}: folder {folder} does not exist")
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise ResultsUsageError(f"cannot write {path}: {e.strerror or e}") from None
    temp = Path(temp_name)
    rows = 0
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(RUN_COLUMNS)
            for record in records:
                writer.writerow([format_cell(getattr(record, name)) for name in RUN_COLUMNS])
                rows += 1
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as e:
        temp.unlink(missing_ok=True)
        raise ResultsUsageError(f"cannot write {path}: {e.strerror or e}") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return rows

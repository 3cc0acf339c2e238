"""Stored runs and windows as pandas DataFrames: the analysis layer the report and exports use.

A runs frame has one row per run and one column per `RunRecord` field (in `RUN_COLUMNS` order);
"none" stays missing (`None`/NaN), never zero. A windows frame has one row per stored window
with the run's id in front. Selections (`select_runs`) and per-sweep curves work on frames.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime

import pandas as pd

from rnbench.results.errors import ResultsUsageError
from rnbench.results.record import RUN_COLUMNS, RunRecord
from rnbench.results.store import WINDOW_COLUMNS, RunStore, WindowRow


def runs_frame(records: Iterable[RunRecord]) -> pd.DataFrame:
    """One row per run, columns `RUN_COLUMNS`, in the order given (object dtype keeps None)."""
    rows = [asdict(r) for r in records]
    return pd.DataFrame(rows, columns=list(RUN_COLUMNS), dtype=object)


def windows_frame(windows: dict[str, Sequence[WindowRow]]) -> pd.DataFrame:
    """One row per window: `run_id` then `WINDOW_COLUMNS`, runs in the order given."""
    rows = [{"run_id": run_id, **asdict(w)} for run_id, ws in windows.items() for w in ws]
    return pd.DataFrame(rows, columns=["run_id", *WINDOW_COLUMNS])


def store_frames(
    store: RunStore, records: Sequence[RunRecord]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(runs frame, windows frame) of `records`, windows read from `store`.

    Raises:
        ResultsError: the database cannot be read.
    """
    return runs_frame(records), windows_frame({r.run_id: store.windows(r.run_id) for r in records})


def select_runs(
    records: Sequence[RunRecord],
    run_ids: Sequence[str] = (),
    sweep_id: str = "",
    since: str = "",
) -> list[RunRecord]:
    """The runs a report covers: the given ids, one sweep, or those started on or after `since`
    (an ISO date or time, UTC); all when nothing is given. Order: oldest first.

    Raises:
        ResultsUsageError: an id or sweep is unknown, `since` is not a date, or nothing is left.
    """
    frame = runs_frame(records)
    if run_ids:
        unknown = sorted(set(run_ids) - set(frame["run_id"]))
        if unknown:
            raise ResultsUsageError(f"no stored run has id {unknown[0]!r}")
        frame = frame[frame["run_id"].isin(run_ids)]
    if sweep_id:
        frame = frame[frame["sweep_id"] == sweep_id]
        if frame.empty:
            raise ResultsUsageError(f"no stored sweep has id {sweep_id!r}")
    if since:
        start = _parse_since(since)
        started = pd.to_datetime(frame["started_at"], utc=True, format="ISO8601")
        frame = frame[started >= start]
    if frame.empty:
        raise ResultsUsageError("no stored runs to report on: run a test first")
    frame = frame.sort_values(["started_at", "run_id"])
    by_id = {r.run_id: r for r in records}
    return [by_id[run_id] for run_id in frame["run_id"]]


def _parse_since(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ResultsUsageError(f"--since must be a date like 2026-05-01, got {text!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def sweep_curves(runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per sweep id (sweeps of two or more runs with requests): its points in sweep order, with
    columns config, mode, concurrency, rate, tps, p50_ms, p99_ms and `x` (offered rate of an open
    loop, else measured TPS: what `knee` expects)."""
    swept = runs[(runs["sweep_id"] != "") & (runs["requests"].astype(int) > 0)]
    curves: dict[str, pd.DataFrame] = {}
    for sweep_id, points in swept.groupby("sweep_id", sort=False):
        if len(points) < 2:
            continue
        points = points.sort_values(["started_at", "run_id"])
        curve = points[["run_id", "config", "mode", "concurrency", "rate", "tps", "p50_ms"]].copy()
        curve["p99_ms"] = points["p99_ms"].astype(float)
        curve["x"] = [
            float(rate) if rate is not None else float(tps)
            for rate, tps in zip(points["rate"], points["tps"], strict=True)
        ]
        curves[str(sweep_id)] = curve.reset_index(drop=True)
    return curves

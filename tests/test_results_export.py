"""CSV export: every column in order, empty cells for none, written atomically."""

from __future__ import annotations

import csv
import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from records import make_record

from rnbench.results.errors import ResultsUsageError
from rnbench.results.export import default_export_path, export_csv, format_cell
from rnbench.results.record import RUN_COLUMNS

REQUIRED = (
    "run_id started_at config backend instance_type runtime compiled device weights mode "
    "concurrency warmup duration_s requests errors tps mean_ms p50_ms p90_ms p95_ms p99_ms max_ms "
    "server_p50_ms littles_law_residual_pct usd_per_hour price_source tps_per_usd_hour usd_per_1m "
    "inferences_per_usd transactions_per_hour rnbench_version torch_version"
).split()


def test_columns_include_the_required_ones_in_record_order(tmp_path: Path) -> None:
    assert set(REQUIRED) <= set(RUN_COLUMNS)
    path = tmp_path / "runs.csv"
    records = [
        make_record("a"),
        make_record("b", usd_per_hour=0.23, tps_per_usd_hour=25.652173913, compiled=True),
    ]
    assert export_csv(records, path) == 2
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == RUN_COLUMNS
    first = dict(zip(rows[0], rows[1], strict=True))
    second = dict(zip(rows[0], rows[2], strict=True))
    assert (
        first["usd_per_hour"] == "" and first["usd_per_1m"] == "" and first["server_p50_ms"] == ""
    )
    assert first["compiled"] == "false" and second["compiled"] == "true"
    assert second["usd_per_hour"] == "0.23" and second["tps_per_usd_hour"] == "25.652174"
    assert first["transactions_per_hour"] == "72000" and first["concurrency"] == "16"


def test_cells() -> None:
    assert format_cell(None) == ""
    assert format_cell(1095480.0) == "1095480"
    assert format_cell(0.30123781) == "0.301238"
    assert format_cell(-0.0000001) == "0"
    assert format_cell(float("nan")) == ""
    assert format_cell("a,b") == "a,b"


def test_replaces_an_existing_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("old content\n")
    assert export_csv([], path) == 0
    assert path.read_text().strip() == ",".join(RUN_COLUMNS)
    assert os.listdir(tmp_path) == ["runs.csv"]


def test_failure_mid_way_leaves_no_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"

    def records() -> Any:
        yield make_record("a")
        raise OSError(28, "No space left on device")

    with pytest.raises(ResultsUsageError, match="no space left on device"):
        export_csv(records(), path)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("where", ["missing-dir", "is-a-dir", "under-a-file"])
def test_unwritable_paths_are_one_line_usage_errors(tmp_path: Path, where: str) -> None:
    (tmp_path / "file").write_text("x")
    path = {
        "missing-dir": tmp_path / "missing" / "runs.csv",
        "is-a-dir": tmp_path,
        "under-a-file": tmp_path / "file" / "runs.csv",
    }[where]
    with pytest.raises(ResultsUsageError) as info:
        export_csv([make_record("a")], path)
    assert "\n" not in str(info.value)
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_default_export_path_is_timestamped_in_the_current_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = default_export_path(datetime(2026, 5, 9, 7, 35, 25))
    assert path == tmp_path / "rnbench-runs-20260509-073525.csv"
    assert export_csv([replace(make_record("a"), note="x")], path) == 1

"""A server that dies mid-test: the run is `degraded` (or `failed`), stored and exported as such,
and `rnbench test` exits 1, instead of `ok` and exit 0 over a client spinning on refused
connections."""

from __future__ import annotations

import csv
import re
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from fake_servers import Behaviour, FakeServer, served_engine

from rnbench.core.loadgen.transport import CONNECTION
from rnbench.core.loadgen.types import LoadSummary, Window
from rnbench.core.paths import results_database
from rnbench.core.run.record import run_status
from rnbench.results.store import RunStore
from rnbench.tui.cli import commands
from rnbench.tui.cli.main import main


def _die_after(server: FakeServer, requests: int) -> None:
    def watch() -> None:
        while server.requests < requests:
            time.sleep(0.01)
        server.die()

    threading.Thread(target=watch, daemon=True).start()


def _summary(requests: int, errors: int) -> LoadSummary:
    return LoadSummary(
        "closed", 4, None, 3.0, requests, {CONNECTION: errors} if errors else {},
        requests / 3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, None, None, None, 0.1,
    )  # fmt: skip


def test_outage_windows_make_a_run_degraded_even_with_few_errors() -> None:
    up = Window(0, 1.0, 1000, {}, 1000.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    down = Window(1, 2.0, 0, {CONNECTION: 4}, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    summary = replace(_summary(3000, 8), windows=(up, up, up, down, down))
    status, note = run_status(summary, 5.0)
    assert status == "degraded" and "no request succeeded in 2 of 5 measured windows" in note
    assert run_status(replace(summary, windows=(up,) * 40 + (down,)), 5.0)[0] == "ok"


@pytest.mark.parametrize(
    ("requests", "errors", "threshold", "status"),
    [
        (1000, 0, 5.0, "ok"),
        (1000, 52, 5.0, "ok"),  # 4.9 %
        (1000, 53, 5.0, "degraded"),  # 5.03 %
        (82, 632_089, 5.0, "degraded"),  # the run
        (1000, 1, 0.0, "degraded"),
        (0, 10, 5.0, "failed"),
        (1, 99, 100.0, "ok"),
    ],
)
def test_run_status_follows_the_error_share(
    requests: int, errors: int, threshold: float, status: str
) -> None:
    found, note = run_status(_summary(requests, errors), threshold)
    assert found == status
    assert (note == "") == (status == "ok")
    if status == "degraded":
        assert "connection" in note and f"{threshold:g} %" in note


def test_a_server_dying_mid_test_is_degraded_exit_1_and_exported_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with FakeServer(Behaviour(service_s=0.002)) as server:
        monkeypatch.setattr(commands, "_engine", lambda args: served_engine(server))
        _die_after(server, requests=1_500)  # past the warm-up (~500 requests): mid-measurement
        argv = ["test", "local-cpu", "--concurrency", "4", "--duration", "4", "--warmup", "0.5"]
        code = main(argv)
    _, err = capsys.readouterr()
    assert code == 1, err
    assert "local-cpu at 4 clients: degraded: " in err and "(more than 5 %)" in err
    assert "Traceback" not in err
    with RunStore(results_database()) as store:
        (record,) = store.runs()
        assert record.status == "degraded" and record.requests > 0
        assert 0 < record.errors < 2_000  # backed off: not tens of thousands
        assert len(store.windows(record.run_id)) >= 3
    monkeypatch.setattr(commands, "_engine", lambda args: served_engine(server))
    assert main(["results"]) == 0
    out, _ = capsys.readouterr()
    assert "degraded" in out.splitlines()[-1]
    assert main(["export", "--csv", str(tmp_path / "runs.csv")]) == 0
    with open(tmp_path / "runs.csv", newline="") as exported:
        (row,) = list(csv.DictReader(exported))
    assert row["status"] == "degraded" and "connection" in row["note"]


def test_a_high_error_threshold_keeps_the_same_run_ok(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeServer(Behaviour(service_s=0.002, error_every=10)) as server:
        monkeypatch.setattr(commands, "_engine", lambda args: served_engine(server))
        argv = ["test", "local-cpu", "--concurrency", "2", "--duration", "1", "--warmup", "0"]
        assert main([*argv, "--max-error-pct", "0"]) == 1
        assert main([*argv, "--max-error-pct", "20"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"degraded: (9\.\d|10\.\d|11\.\d) % of \d+ requests failed", err), err

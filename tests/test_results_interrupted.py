"""Runs whose process died mid-measurement (kill -9) are marked `interrupted` the next time an
engine is built, with figures from the windows they stored; runs still going are left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from records import make_record

from rnbench.core.assembly import build_engine
from rnbench.core.paths import results_database
from rnbench.results.store import RunStore

TESTS = Path(__file__).parent

_WRITER = """
import sys, time
from pathlib import Path
from records import make_record
from rnbench.results.store import RunStore, WindowRow
store = RunStore(Path(sys.argv[1]))
store.begin_run(make_record("r1", status="running", requests=0, tps=0.0))
for i in range(3):
    store.add_window("r1", WindowRow(i, i + 1.0, 100 * (i + 1), i, 100.0 * (i + 1),
                                     10.0 + i, 9.0, 12.0, 13.0, 15.0 + i, 20.0 + i))
print("ready", flush=True)
time.sleep(60)
"""


def test_a_killed_writers_run_is_interrupted_with_its_windows(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    command = [sys.executable, "-c", _WRITER, str(path)]
    with subprocess.Popen(command, cwd=TESTS, stdout=subprocess.PIPE, text=True) as writer:
        try:
            assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
            with RunStore(path) as store:
                assert store.mark_interrupted() == []  # its process is alive: still running
                assert store.get("r1").status == "running"
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait(10)
    with RunStore(path) as store:
        assert store.mark_interrupted() == ["r1"]
        record = store.get("r1")
        assert len(store.windows("r1")) == 3
        assert store.mark_interrupted() == []  # once
    assert record.status == "interrupted"
    assert (record.requests, record.errors, record.duration_s) == (600, 3, 3.0)
    assert record.tps == 200.0 and record.max_ms == 22.0 and record.p99_ms == 17.0
    assert record.mean_ms == (100 * 10.0 + 200 * 11.0 + 300 * 12.0) / 600
    assert "interrupted after 3 stored windows" in record.note


def test_a_run_of_this_process_is_not_interrupted_and_finishing_releases_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "runs.sqlite3"
    with RunStore(path) as writer, RunStore(path) as reader:
        writer.begin_run(make_record("r1", status="running"))
        assert reader.mark_interrupted() == []
        writer.finish_run(make_record("r1"))
        assert not (tmp_path / "running" / "r1.lock").exists()
        assert reader.get("r1").status == "ok"
    with RunStore(path) as store:  # a run of an older rnbench (no lock file), never finished
        store.finish_run(make_record("r2", status="running"))
        assert store.mark_interrupted() == ["r2"]
        record = store.get("r2")
        assert record.status == "interrupted" and "nothing was measured" in record.note


_CLI = """
import sys
from fake_servers import Behaviour, FakeServer, served_engine
from rnbench.tui.cli import commands
from rnbench.tui.cli.main import main
with FakeServer(Behaviour(service_s=0.01)) as server:
    commands._engine = lambda args: served_engine(server)
    main(["test", "local-cpu", "--concurrency", "2", "--duration", "60", "--warmup", "0"])
"""


def test_kill_9_of_the_cli_mid_test_leaves_an_interrupted_run(rnbench_home: Path) -> None:
    env = {**os.environ, "RNBENCH_HOME": str(rnbench_home)}
    cli = subprocess.Popen([sys.executable, "-c", _CLI], cwd=TESTS, env=env)
    try:
        deadline = time.monotonic() + 60
        windows = 0
        while windows < 3 and time.monotonic() < deadline and cli.poll() is None:
            time.sleep(0.2)
            if results_database().exists():
                with RunStore(results_database()) as store:
                    runs = store.runs()
                    windows = len(store.windows(runs[0].run_id)) if runs else 0
        assert windows >= 3, "the CLI stored no windows"
        loaders = psutil.Process(cli.pid).children(recursive=True)
        cli.send_signal(signal.SIGKILL)
        cli.wait(10)
        psutil.wait_procs(loaders, timeout=10)
    finally:
        cli.kill()
        cli.wait(10)
    with RunStore(results_database()) as store:
        assert store.runs()[0].status == "running"  # what it left: before, this was forever
    engine = build_engine()  # the next start of rnbench
    (record,) = engine.runs()
    stored = engine.store.windows(record.run_id)
    assert record.status == "interrupted" and len(stored) >= 3
    assert record.requests == sum(w.requests for w in stored) > 0 and record.tps > 0
    engine.store.close()

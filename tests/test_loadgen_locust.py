"""Load from Locust workers: a master and 2 workers on 127.0.0.1, merged from exact histograms.

The fake server answers every request in a fixed time, so the latency distribution is known
and the same with one load process or with Locust workers; the merged histogram must hold
exactly the requests the workers counted, and its percentiles must match a local run's.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from fake_servers import Behaviour, FakeServer

from rnbench.core.errors import UsageError
from rnbench.core.loadgen import LoadSpec, LocustLoadRun, decode_histogram, open_load_run, run_load
from rnbench.core.loadgen.distributed import parse_master

SERVICE_S = 0.02
BODY = b"\xff\xd8" + b"j" * 20_000


def locust_processes() -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if any("locust_" in part for part in child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def test_two_workers_merge_exact_histograms_that_match_a_local_run() -> None:
    spec = LoadSpec(concurrency=8, duration_s=3.0, warmup_s=1.0, workers=2)
    with FakeServer(Behaviour(service_s=SERVICE_S)) as server:
        with open_load_run(server.target, BODY, spec) as run:
            assert isinstance(run, LocustLoadRun)
            run.start()
            summary = run.result(timeout=120)
            windows = run.poll()
            by_worker = run.measured_by_worker
        served = server.requests
        local = run_load(server.target, BODY, LoadSpec(concurrency=8, duration_s=3.0, processes=1))
    merged = decode_histogram(summary.histogram)
    assert sorted(by_worker) == [0, 1] and all(count > 0 for count in by_worker.values())
    assert merged.get_total_count() == summary.requests == sum(by_worker.values())
    assert summary.requests == sum(w.requests for w in windows) > 0
    assert summary.requests <= served
    assert summary.client_processes == 2 and summary.errors == {}
    assert abs(summary.p50_ms - local.p50_ms) <= 0.2 * local.p50_ms, (summary, local)
    assert summary.p50_ms >= SERVICE_S * 1000
    assert locust_processes() == []


def test_a_worker_joins_from_the_cli_as_on_another_machine() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    rnbench = str(Path(sys.executable).parent / "rnbench")
    spec = LoadSpec(
        concurrency=4, duration_s=2.0, warmup_s=0.5, workers=1, remote_workers=1, master_port=port
    )
    with FakeServer(Behaviour(service_s=SERVICE_S)) as server:
        with LocustLoadRun(server.target, BODY, spec) as run:
            run.start()
            remote = subprocess.Popen(
                [rnbench, "worker", "--master", f"127.0.0.1:{port}"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                summary = run.result(timeout=120)
            finally:
                remote.terminate()
                remote.wait(10)
            by_worker = run.measured_by_worker
    assert sorted(by_worker) == [0, 1] and all(count > 0 for count in by_worker.values())
    assert summary.requests == sum(by_worker.values()) and summary.client_processes == 2


def test_cancel_ends_the_master_and_workers() -> None:
    spec = LoadSpec(concurrency=2, duration_s=60.0, warmup_s=0.5, workers=1)
    with FakeServer(Behaviour(service_s=SERVICE_S)) as server:
        with LocustLoadRun(server.target, BODY, spec) as run:
            run.start()
            first = []
            while not first and not run.done:
                first = run.poll() or []
                run._finished.wait(0.1)
            run.cancel()
            summary = run.result(timeout=60)
            assert run.phase == "cancelled"
    assert summary.duration_s < 30 and summary.requests > 0
    assert locust_processes() == []


def test_a_cancelled_run_summarises_without_a_worker_that_stopped_answering() -> None:
    spec = LoadSpec(concurrency=2, duration_s=60.0, warmup_s=0.5, workers=1)
    with FakeServer(Behaviour(service_s=SERVICE_S)) as server:
        with LocustLoadRun(server.target, BODY, spec) as run:
            run.start()
            while not run.poll() and not run.done:
                run._finished.wait(0.1)
            (worker,) = [p for p in locust_processes() if "locust_worker" in " ".join(p.cmdline())]
            worker.suspend()  # as a worker on a machine that froze: no report, no heartbeat
            try:
                run.cancel()
                summary = run.result(timeout=40)
            finally:
                with contextlib.suppress(psutil.NoSuchProcess):
                    worker.kill()  # the run kills it itself when it does not quit
    assert summary.requests > 0 and summary.duration_s < 30
    assert any("worker 0 sent" in note for note in run.notes), run.notes
    assert locust_processes() == []


def test_bad_distributed_settings_are_one_line_errors() -> None:
    target_spec = LoadSpec(concurrency=4, rate=10.0, workers=2)
    with FakeServer() as server:
        with pytest.raises(UsageError, match="closed loop"):
            LocustLoadRun(server.target, BODY, target_spec)
        with pytest.raises(UsageError, match="less than"):
            LocustLoadRun(server.target, BODY, LoadSpec(concurrency=1, workers=2))
    assert parse_master("10.0.0.5") == ("10.0.0.5", 5557)
    assert parse_master("loadbox:6000") == ("loadbox", 6000)
    with pytest.raises(UsageError, match="port"):
        parse_master("loadbox:99999")


WORKER_PROTOCOL = """
import types
from rnbench.core.loadgen import locust_worker as w
from rnbench.core.loadgen.transport import HttpTarget
from rnbench.core.loadgen.types import LoadJob, LoadSpec
def job(process):
    spec = LoadSpec(concurrency=2, duration_s=5.0, warmup_s=1.0)
    return types.SimpleNamespace(data={"job": w.encode_object(
        LoadJob(HttpTarget("127.0.0.1", 9, "/invocations"), b"x", spec, process, 0, 10**7))})
report = {}
w._on_report("me", report)
assert report == {}, report  # no job yet: nothing to say
w._on_job(None, job(0))
first = w.STATE.recorder
w._on_job(None, job(1))  # the master repeats the job until a report confirms it
assert w.STATE.job.process == 0 and w.STATE.recorder is first
report = {}
w._on_report("me", report)
assert report == {w.HAS_JOB_KEY: True}, report  # no user has started: no clock, not done
w._on_stop(None, types.SimpleNamespace(data={"last": None}))  # cancelled before any user
report = {}
w._on_report("me", report)
assert report[w.DONE_KEY] and report[w.MEASURED_KEY] == 0, report
print("ok")
"""


def test_a_worker_takes_its_job_once_and_starts_its_clock_with_its_users() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WORKER_PROTOCOL], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == "ok", done.stdout + done.stderr


def test_the_front_ends_never_import_locust() -> None:
    code = (
        "import sys, rnbench.tui.cli.main, rnbench.tui.cli.commands, rnbench.core.engine\n"
        "import rnbench.core.loadgen\n"
        "print([m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_runs_the_real_local_server_from_two_locust_workers(tmp_path: Path) -> None:
    env = {**os.environ, "RNBENCH_HOME": str(tmp_path)}
    rnbench = str(Path(sys.executable).parent / "rnbench")
    args = ["run", "local-cpu", "--workers", "2", "--concurrency", "2"]
    done = subprocess.run(
        [rnbench, *args, "--duration", "6", "--warmup", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "local-cpu  closed     2" in done.stdout
    stored = subprocess.run(
        [rnbench, "results"], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert "local-cpu  closed     2" in stored.stdout and " ok" in stored.stdout
    assert locust_processes() == []

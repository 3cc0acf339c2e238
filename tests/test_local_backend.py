"""The local backend end to end: a real server process on 127.0.0.1 running ResNet-50.

One server is deployed for the module (loading the model takes seconds) and torn down at the end;
every test checks what a user of the engine would see.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from rnbench.core.assembly import build_engine
from rnbench.core.backends.local import processes
from rnbench.core.backends.local.backend import LocalBackend
from rnbench.core.backends.protocol import State
from rnbench.core.configs import get_configuration
from rnbench.core.engine import Engine
from rnbench.core.loadgen.types import LoadSpec
from rnbench.inference.contract import DEFAULT_MAX_BATCH
from rnbench.inference.openvino_runtime import bf16_unavailable_reason

CONFIG = get_configuration("local-cpu")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One RNBENCH_HOME for the module, so the deployed server outlives single tests."""
    path = tmp_path_factory.mktemp("local-home")
    old = os.environ.get("RNBENCH_HOME")
    os.environ["RNBENCH_HOME"] = str(path)
    yield path
    if old is None:
        os.environ.pop("RNBENCH_HOME", None)
    else:
        os.environ["RNBENCH_HOME"] = old


@pytest.fixture(autouse=True)
def rnbench_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Override the suite's per-test home with the module's."""
    monkeypatch.setenv("RNBENCH_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def deployed(home: Path) -> Iterator[Engine]:
    engine = build_engine()
    messages: list[str] = []
    engine.deploy(CONFIG, messages.append)
    assert any("in service" in m for m in messages)
    yield engine
    LocalBackend().teardown(CONFIG)


def server_pid() -> int:
    record = processes.load(CONFIG.key)
    assert record is not None
    return record.pid


def test_deploy_reports_what_it_serves(deployed: Engine) -> None:
    status = deployed.status(CONFIG)
    assert status.state is State.IN_SERVICE
    assert status.deployment is not None
    details = status.deployment.details
    assert details["runtime"] == "eager"
    assert details["weights"] in ("pretrained", "random")
    assert details["torch_version"].startswith("2.")


def test_deploy_twice_reuses_the_running_server(deployed: Engine) -> None:
    pid = server_pid()
    deployed.deploy(CONFIG)
    assert server_pid() == pid


def test_a_new_caller_finds_the_server_a_previous_one_started(deployed: Engine) -> None:
    # As after a crash of the CLI or TUI: a fresh backend reads the record from disk.
    owned = LocalBackend().owned()
    assert [d.config_key for d in owned] == [CONFIG.key]
    assert psutil.Process(server_pid()).is_running()


def test_invoke_answers_top5(deployed: Engine, doggo_jpeg: bytes) -> None:
    reply = deployed.backend(CONFIG).invoke(CONFIG, doggo_jpeg)
    answer = json.loads(reply.body)
    assert reply.server_ms is not None and reply.server_ms > 0
    indices = [c["index"] for c in answer["top5"]]
    probabilities = [c["probability"] for c in answer["top5"]]
    assert len(set(indices)) == 5 and all(0 <= i < 1000 for i in indices)
    assert probabilities == sorted(probabilities, reverse=True)


def test_a_short_run_is_stored_exported_and_obeys_littles_law(
    deployed: Engine, doggo_jpeg: bytes, tmp_path: Path
) -> None:
    # A window many latencies long keeps edge effects out of the Little's-law check.
    spec = LoadSpec(concurrency=2, duration_s=8.0, warmup_s=3.0)
    snapshots = []
    record = deployed.run_test(CONFIG, spec, doggo_jpeg, snapshots.append, tick_s=0.5)
    assert record.status == "ok"
    assert record.requests > 0 and record.errors == 0
    assert record.tps > 0 and record.p50_ms > 0 and record.p99_ms >= record.p50_ms
    assert record.server_p50_ms is not None and 0 < record.server_p50_ms <= record.p50_ms
    # Two clients, default dynamic batching: each request ran alone or with the other one.
    assert record.mean_batch_size is not None and 1.0 <= record.mean_batch_size <= 2.0
    assert record.max_batch == DEFAULT_MAX_BATCH
    # Eager on the CPU is the fp32 reference itself: its agreement is exact, and stored.
    assert (record.top1_agreement, record.top5_agreement) == (1.0, 1.0)
    assert record.max_logit_deviation == 0.0 and record.mean_logit_deviation == 0.0
    assert record.littles_law_residual_pct is not None
    assert record.littles_law_residual_pct <= 5.0, record
    assert record.usd_per_hour is None and record.usd_per_1m is None  # no price, no cost
    assert any(s.windows for s in snapshots)
    assert deployed.store.windows(record.run_id), "windows are stored as the run goes"
    assert deployed.runs()[0].run_id == record.run_id

    path = tmp_path / "runs.csv"
    assert deployed.export(path) >= 1
    rows = list(csv.DictReader(path.read_text().splitlines()))
    row = next(r for r in rows if r["run_id"] == record.run_id)
    assert row["config"] == "local-cpu" and row["weights"] == record.weights
    assert row["usd_per_hour"] == "" and float(row["tps"]) == pytest.approx(record.tps, rel=1e-3)


def test_a_dead_server_is_reported_not_deployed(home: Path) -> None:
    backend = LocalBackend()
    record = processes.ServerRecord(
        config_key="local-cpu-compiled",
        pid=os.getpid(),  # alive, but not an rnbench server: must never be signalled
        host="127.0.0.1",
        port=1,
        ready_file=str(home / "nope.ready.json"),
        log_file=str(home / "nope.log"),
        created_at=0.0,
        info={},
    )
    processes.save(record)
    config = get_configuration("local-cpu-compiled")
    assert backend.describe(config).state is State.NOT_DEPLOYED
    assert backend.teardown(config) is False
    assert processes.load(config.key) is None


def test_teardown_stops_the_process(deployed: Engine) -> None:
    pid = server_pid()
    assert deployed.teardown(CONFIG) is True
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert deployed.status(CONFIG).state is State.NOT_DEPLOYED
    assert deployed.owned() == []


def test_bf16_row_says_why_this_cpu_cannot_run_it(home: Path) -> None:
    reason = bf16_unavailable_reason()
    if reason is None:
        pytest.skip("this CPU has bf16")
    status = LocalBackend().describe(get_configuration("local-cpu-bf16"))
    assert status.state is State.UNAVAILABLE
    assert status.reason is not None and status.reason.startswith("needs a CPU with BF16")

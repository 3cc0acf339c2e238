"""The CLI end to end on the local backend, as a script would drive it: real processes, real
ResNet-50, exit statuses and output checked."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

RNBENCH = str(Path(sys.executable).parent / "rnbench")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("cli-home")
    shared = tmp_path_factory.getbasetemp() / "shared-cache"  # the session's ONNX exports
    shared.mkdir(exist_ok=True)
    (home / "cache").symlink_to(shared)
    environment = {**os.environ, "RNBENCH_HOME": str(home)}
    yield environment
    subprocess.run([RNBENCH, "teardown", "--all", "--yes"], env=environment, timeout=120)


def rnbench(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [RNBENCH, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_deploy_open_loop_sweep_results_export_teardown(
    env: dict[str, str], tmp_path: Path
) -> None:
    deployed = rnbench(env, "deploy", "local-cpu-compiled")
    assert deployed.returncode == 0, deployed.stderr
    assert "local-cpu-compiled: in service" in deployed.stdout

    open_loop = rnbench(
        env, "test", "local-cpu-compiled", "--rate", "1", "--duration", "4", "--warmup", "1"
    )
    assert open_loop.returncode == 0, open_loop.stderr
    assert "open 1/s" in open_loop.stdout

    sweep = rnbench(
        env,
        "test",
        "local-cpu-compiled",
        "--concurrency",
        "1,2",
        "--duration",
        "3",
        "--warmup",
        "1",
    )
    assert sweep.returncode == 0, sweep.stderr
    assert "latency vs throughput" in sweep.stdout  # the plotted curve
    assert sweep.stdout.count("local-cpu-compiled  closed") == 2

    results = rnbench(env, "results")
    assert results.returncode == 0
    assert results.stdout.count("local-cpu-compiled") == 3

    path = tmp_path / "runs.csv"
    exported = rnbench(env, "export", "--csv", str(path))
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(path.read_text().splitlines()))
    assert len(rows) == 3
    assert {r["mode"] for r in rows} == {"open", "closed"}
    sweep_ids = {r["sweep_id"] for r in rows if r["mode"] == "closed"}
    assert len(sweep_ids) == 1 and "" not in sweep_ids
    assert all(r["runtime"] == "compiled" and float(r["tps"]) > 0 for r in rows)
    assert all(r["max_prob_deviation"] != "" for r in rows)  # agreement with eager, recorded

    gone = rnbench(env, "teardown", "local-cpu-compiled", "--yes")
    assert gone.returncode == 0, gone.stderr
    assert "torn down" in gone.stdout
    assert "nothing deployed" in rnbench(env, "leftovers").stdout


def test_test_without_deploy_is_a_failed_run(env: dict[str, str]) -> None:
    result = rnbench(env, "test", "local-cpu", "--duration", "1")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "rnbench: error: local-cpu is not in service (not deployed)"
    )

"""Your own model file through the whole local loop (issue 16: 6): compile, deploy, test, export
and tear down, once for a TorchScript file and once for an ONNX file, with the real server."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from cli_support import run_cli
from models_support import tiny_onnx, tiny_torchscript

from rnbench.inference.models import resolve_model


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNBENCH_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize("kind", ["torchscript", "onnx"])
def test_a_model_file_goes_through_compile_deploy_test_export_and_teardown(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tiny_torchscript(tmp_path) if kind == "torchscript" else tiny_onnx(tmp_path)
    label = resolve_model(str(path), 64).label
    model = ("--model", str(path), "--input-size", "64")
    config = "local-cpu-compiled"
    try:
        for argv in (
            ("compile", config),
            ("deploy", config),
            ("test", config, "--duration", "2", "--warmup", "0", "--concurrency", "2"),
        ):
            code, out, err = run_cli(capsys, *model, *argv)
            assert code == 0, (argv, out, err)
        csv_path = tmp_path / "runs.csv"
        assert run_cli(capsys, "export", "--csv", str(csv_path))[0] == 0
    finally:
        code, out, err = run_cli(capsys, *model, "teardown", config, "--yes")
    assert code == 0 and "torn down" in out
    with csv_path.open() as file:
        (row,) = list(csv.DictReader(file))
    assert (row["config"], row["model"], row["input_size"], row["status"]) == (
        config, label, "64", "ok",
    )  # fmt: skip
    assert int(row["requests"]) > 0 and float(row["model_gflops"]) > 0

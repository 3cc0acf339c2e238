"""The CLI's contract with scripts: exit 2 and one line for bad usage or input, never a
traceback, and nothing deployed when the input is bad."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import run_cli


def assert_one_line_error(err: str) -> None:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert lines, "expected an error message"
    assert "Traceback" not in err
    assert lines[-1].startswith(("rnbench: error:", "usage:", "rnbench ")), lines


def test_help_teaches_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    assert "rnbench run local-cpu --concurrency 16" in out
    assert "teardown" in out and "recommend" in out


def test_unknown_configuration_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "deploy", "m5-turbo")
    assert code == 2
    assert_one_line_error(err)
    assert "unknown configuration 'm5-turbo'" in err
    assert "local-cpu" in err  # the message lists the known ones


@pytest.fixture
def no_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without an NVIDIA driver, whatever this one has."""
    monkeypatch.setattr("rnbench.core.assembly.cuda_present", lambda: False)


def test_configs_lists_the_local_gpu_rows_unavailable_without_cuda(
    capsys: pytest.CaptureFixture[str], no_cuda: None
) -> None:
    from rnbench.core.backends.local.backend import NO_CUDA

    code, out, _ = run_cli(capsys, "configs")
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("local-")}
    for key in ("local-gpu", "local-gpu-compiled"):
        assert rows[key].endswith(f"unavailable: {NO_CUDA}"), rows[key]
    assert "unavailable" not in rows["local-cpu"]


@pytest.mark.parametrize("command", ["deploy", "compile", "run"])
def test_a_local_gpu_row_without_cuda_is_a_one_line_usage_error(
    capsys: pytest.CaptureFixture[str], no_cuda: None, command: str
) -> None:
    from rnbench.core.backends.local.backend import NO_CUDA, LocalBackend

    code, out, err = run_cli(capsys, command, "local-gpu")
    assert code == 2
    assert_one_line_error(err)
    assert err.strip() == f"rnbench: error: local-gpu is unavailable here: {NO_CUDA}"
    assert LocalBackend().owned() == []


@pytest.mark.parametrize("value", ["0", "abc", "4,-1"])
def test_bad_concurrency_is_a_usage_error(capsys: pytest.CaptureFixture[str], value: str) -> None:
    code, _, err = run_cli(capsys, "test", "local-cpu", "--concurrency", value)
    assert code == 2
    assert "--concurrency" in err
    assert "Traceback" not in err


def test_corrupt_image_fails_before_deploying(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, doggo_jpeg: bytes
) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(doggo_jpeg[:3000])
    code, _, err = run_cli(capsys, "run", "local-cpu", "--image", str(broken), "--duration", "1")
    assert code == 2
    assert_one_line_error(err)
    assert "corrupt" in err
    from rnbench.core.backends.local.backend import LocalBackend

    assert LocalBackend().owned() == []


def test_missing_image_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "run", "local-cpu", "--image", str(tmp_path / "nope.jpg"))
    assert code == 2
    assert "cannot read image" in err


def test_results_without_runs_says_how_to_make_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "results")
    assert code == 0
    assert "no runs yet" in out


def test_export_to_an_unwritable_path_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run_cli(capsys, "export", "--csv", str(tmp_path / "missing-dir" / "runs.csv"))
    assert code == 2
    assert_one_line_error(err)
    assert not (tmp_path / "missing-dir").exists()


def test_teardown_without_a_terminal_needs_yes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "teardown", "--all")
    assert code == 0
    assert "nothing to tear down" in out


def test_recommend_without_runs_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "recommend", "--p99", "100", "--tps", "50")
    assert code == 1
    assert "no measured runs" in out


def test_entry_point_prints_no_traceback_for_bad_input() -> None:
    rnbench = Path(sys.executable).parent / "rnbench"
    result = subprocess.run(
        [str(rnbench), "test", "nope"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("rnbench: error:")

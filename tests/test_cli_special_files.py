"""Special files as input (issue 18, items 3 and 4): `--image` reads at most the limit plus one
byte and refuses what is not a regular file (a FIFO would hang a plain read); an RNBENCH_HOME that
is a file is one line and exit 2 for every command, not a traceback."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from cli_support import run_cli


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_an_image_that_is_not_a_regular_file_is_refused_at_once(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if kind == "fifo":
        image = tmp_path / "pipe.jpg"
        os.mkfifo(image)  # nothing ever writes to it: a blocking read would wait forever
    elif kind == "device":
        image = Path("/dev/zero")  # endless: reading it whole grows without bound
    else:
        image = tmp_path
    code, _, err = run_cli(
        capsys, "test", "--url", "http://127.0.0.1:9/", "--image", str(image), "--duration", "1"
    )
    assert code == 2
    assert err.strip().splitlines() == [f"rnbench: error: image {image} is not a regular file"]


def test_an_image_past_the_limit_is_refused_without_reading_it_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rnbench.inference.contract import MAX_BODY_BYTES

    image = tmp_path / "huge.jpg"
    with image.open("wb") as file:
        file.truncate(MAX_BODY_BYTES * 50)  # sparse: large on paper, nothing on disk
    code, _, err = run_cli(capsys, "test", "--url", "http://127.0.0.1:9/", "--image", str(image))
    assert code == 2
    assert "larger than the limit" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv", [("configs",), ("results",), ("leftovers",)])
def test_rnbench_home_that_is_a_file_is_one_line(
    argv: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "home"
    home.write_text("not a folder")
    monkeypatch.setenv("RNBENCH_HOME", str(home))
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    assert err.strip().splitlines() == [
        f"rnbench: error: cannot use {home}/data for rnbench's data files: Not a directory"
    ]
    assert home.read_text() == "not a folder"


@pytest.mark.parametrize(
    "given",
    [
        "http://user:s3cret@127.0.0.1:9/invocations",
        "ftp://user:s3cret@host/x?X-Amz-Signature=s3cret",
        "https://host/x?X-Amz-Signature=s3cret",
    ],
)
def test_a_refused_url_never_echoes_its_secrets(
    given: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "test", "--url", given, "--duration", "1")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "***" in err
    assert "s3cret" not in out + err


def _store_one_run(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run_cli(capsys, "test", "--url", "http://127.0.0.1:9/", "--duration", "1",
                         "--warmup", "0", "--concurrency", "1")  # fmt: skip
    assert code in (0, 1)  # a run of connection errors is still a stored run


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RNBENCH_HOME", str(tmp_path / "home"))
    return tmp_path


@pytest.mark.parametrize("target", ["/dev/full", "fifo"])
def test_export_refuses_special_files_and_leaves_them_alone(
    target: str, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _store_one_run(capsys)
    path = Path(target) if target.startswith("/") else home / "out.csv"
    if target == "fifo":
        os.mkfifo(path)
    code, _, err = run_cli(capsys, "export", "--csv", str(path))
    assert code == 2 and "not a regular file" in err and len(err.strip().splitlines()) == 1
    assert path.is_char_device() if target.startswith("/") else path.is_fifo()


def test_export_refuses_a_read_only_file_and_keeps_a_replaced_files_mode(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _store_one_run(capsys)
    locked, kept = home / "locked.csv", home / "kept.csv"
    locked.write_text("mine")
    locked.chmod(0o444)
    code, _, err = run_cli(capsys, "export", "--csv", str(locked))
    assert code == 2 and "read-only" in err and locked.read_text() == "mine"
    kept.write_text("old")
    kept.chmod(0o600)
    assert run_cli(capsys, "export", "--csv", str(kept))[0] == 0
    assert kept.stat().st_mode & 0o777 == 0o600 and kept.read_text().startswith("run_id")


def test_export_through_a_symlink_writes_its_target_and_keeps_the_link(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _store_one_run(capsys)
    real, link = home / "real.csv", home / "link.csv"
    real.write_text("old")
    link.symlink_to(real)
    assert run_cli(capsys, "export", "--csv", str(link))[0] == 0
    assert link.is_symlink() and real.read_text().startswith("run_id")


def test_a_run_where_nothing_succeeded_is_stored_with_its_errors(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv

    code, _, err = run_cli(capsys, "test", "--url", "http://127.0.0.1:1/", "--duration", "2",
                           "--warmup", "0", "--concurrency", "1")  # fmt: skip
    assert code == 1 and "no request succeeded" in err
    printed = int(err.split("connection ")[1].split(")")[0])
    out = home / "runs.csv"
    assert run_cli(capsys, "export", "--csv", str(out))[0] == 0
    with out.open() as file:
        (row,) = list(csv.DictReader(file))
    assert row["status"] == "failed" and int(row["errors"]) == printed > 0
    assert row["errors_by_kind"] == f'{{"connection": {printed}}}'
    assert float(row["duration_s"]) > 1.5


@pytest.mark.parametrize(
    ("argv", "call"),
    [
        (("export", "--csv"), "write"),
        (("export", "--format", "json", "--out"), "write"),
        (("export", "--format", "parquet", "--out"), "write"),
        (("export", "--csv"), "fsync"),  # a disk that reports it full only when flushed
        (("report", "--out"), "write"),
    ],
)
def test_a_full_disk_fails_the_export_and_keeps_the_file_it_would_replace(
    argv: tuple[str, ...],
    call: str,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _store_one_run(capsys)
    folder = home / "exports"
    folder.mkdir()
    path = folder / "runs.out"
    path.write_text("the previous export")

    def full(*args: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, call, full)
    code, out, err = run_cli(capsys, *argv, str(path))
    monkeypatch.undo()
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"rnbench: error: cannot write {path}: no space left on device"
    ]
    assert path.read_text() == "the previous export"
    assert os.listdir(folder) == ["runs.out"]  # no temporary file left beside it

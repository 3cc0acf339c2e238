"""A corpus of bad CLI input: each is one line on stderr, exit 2, no traceback, before any server
starts, and the results database is left exactly as it was (its file's hash).

Most run in-process (`main([...])`) for speed; a few run as the installed entry point to prove
no traceback reaches stderr from a real process.
"""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from records import make_record

from rnbench.core.paths import data_dir, results_database, state_dir
from rnbench.results.store import RunStore, WindowRow
from rnbench.tui.cli.main import main

Setup = Callable[[Path], None]
"""Prepares a bad file under the test's folder (given) before the command runs."""


def _png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def _write(name: str, content: bytes) -> Setup:
    def setup(folder: Path) -> None:
        (folder / name).write_bytes(content)

    return setup


def _config(text: str) -> Setup:
    def setup(folder: Path) -> None:
        (data_dir() / "config.toml").write_text(text)

    return setup


def _prices(text: str) -> Setup:
    def setup(folder: Path) -> None:
        (data_dir() / "prices.toml").write_text(text)

    return setup


def _zip_without_pickle(folder: Path) -> None:
    with zipfile.ZipFile(folder / "weights.zip", "w") as archive:
        archive.writestr("readme.txt", "not a checkpoint")


def _corrupt_page(folder: Path) -> None:
    """Overwrite a page in the middle of the database (its header page stays intact)."""
    path = results_database()
    size = path.stat().st_size
    assert size >= 8 * 4096, size
    with path.open("r+b") as handle:
        handle.seek(size // 2 // 4096 * 4096)
        handle.write(b"\xa5" * 4096)


def _not_a_database(folder: Path) -> None:
    results_database().write_bytes(b"this is not a database" * 500)


def _config_binary(folder: Path) -> None:
    (data_dir() / "config.toml").write_bytes(b"\xff\xfe\x00garbage")


def _directory(folder: Path) -> None:
    (folder / "a-dir").mkdir()


LOAD = ["test", "local-cpu"]
RUN = ["run", "local-cpu", "--duration", "1", "--warmup", "0"]
CASES: list[tuple[str, list[str], Setup | None, str]] = [
    # (id, argv with {dir} for the test's folder, setup, a word the message must contain)
    ("concurrency-zero", [*LOAD, "--concurrency", "0"], None, "concurrency"),
    ("concurrency-word", [*LOAD, "--concurrency", "abc"], None, "concurrency"),
    ("concurrency-negative", [*LOAD, "--concurrency", "4,-1"], None, "concurrency"),
    ("concurrency-empty-item", [*LOAD, "--concurrency", "1,,4"], None, "empty item"),
    ("concurrency-trailing-comma", [*LOAD, "--concurrency", "4,"], None, "empty item"),
    ("concurrency-empty", [*LOAD, "--concurrency", ""], None, "concurrency"),
    ("concurrency-too-many-clients", [*LOAD, "--concurrency", "5000"], None, "1024"),
    ("concurrency-too-many-points", [*LOAD, "--concurrency", ",".join(map(str, range(1, 14)))],
     None, "at most"),
    ("concurrency-fraction", [*LOAD, "--concurrency", "2.5"], None, "whole number"),
    ("rate-zero", [*LOAD, "--rate", "0"], None, "rate"),
    ("rate-nan", [*LOAD, "--rate", "nan"], None, "finite"),
    ("rate-inf", [*LOAD, "--rate", "inf"], None, "finite"),
    ("rate-empty-item", [*LOAD, "--rate", "5,,10"], None, "empty item"),
    ("rate-negative", [*LOAD, "--rate", "-1"], None, "rate"),
    ("rate-too-high", [*LOAD, "--rate", "1e9"], None, "rate"),
    ("duration-nan", [*LOAD, "--duration", "nan"], None, "finite"),
    ("duration-inf", [*LOAD, "--duration", "inf"], None, "finite"),
    ("duration-minus-inf", [*LOAD, "--duration=-inf"], None, "finite"),
    ("duration-zero", [*LOAD, "--duration", "0"], None, "duration"),
    ("duration-huge", [*LOAD, "--duration", "1e9"], None, "duration"),
    ("duration-word", [*LOAD, "--duration", "ten"], None, "duration"),
    ("warmup-nan", [*LOAD, "--warmup", "nan"], None, "finite"),
    ("warmup-negative", [*LOAD, "--warmup=-1"], None, "warm-up"),
    ("warmup-inf", [*LOAD, "--warmup", "inf"], None, "finite"),
    ("timeout-nan", [*LOAD, "--timeout", "nan"], None, "finite"),
    ("timeout-zero", [*LOAD, "--timeout", "0"], None, "timeout"),
    ("timeout-inf", [*LOAD, "--timeout", "inf"], None, "finite"),
    ("stability-nan", [*LOAD, "--stability", "nan"], None, "finite"),
    ("stability-zero", [*LOAD, "--stability", "0"], None, "stability"),
    ("stability-over-100", [*LOAD, "--stability", "200"], None, "stability"),
    ("max-error-nan", [*LOAD, "--max-error-pct", "nan"], None, "finite"),
    ("max-error-negative", [*LOAD, "--max-error-pct=-1"], None, "error threshold"),
    ("max-error-over-100", [*LOAD, "--max-error-pct", "101"], None, "error threshold"),
    ("arrival-unknown", [*LOAD, "--rate", "5", "--arrival", "sometimes"], None, "arrival"),
    ("sweep-both", [*RUN, "--concurrency", "1,4", "--rate", "10"], None, "not both"),
    ("unknown-option", [*LOAD, "--clients", "4"], None, "unrecognized"),
    ("unknown-command", ["frobnicate"], None, "invalid choice"),
    ("unknown-configuration", ["run", "m5-turbo"], None, "unknown configuration"),
    ("teardown-nothing-named", ["teardown"], None, "required"),
    ("results-limit-negative", ["results", "--limit=-5"], None, "zero or more"),
    ("results-limit-word", ["results", "--limit", "x"], None, "whole number"),
    ("recommend-p99-nan", ["recommend", "--p99", "nan", "--tps", "5"], None, "finite"),
    ("recommend-missing-tps", ["recommend", "--p99", "100"], None, "--tps"),
    ("serve-port-out-of-range", ["serve", "--port", "70000"], None, "65535"),
    ("image-decompression-bomb", [*RUN, "--image", "{dir}/bomb.png"],
     _write("bomb.png", _png_header(60000, 60000)), "too large"),
    ("image-too-many-pixels", [*RUN, "--image", "{dir}/big.png"],
     _write("big.png", _png_header(12000, 12000)), "too"),
    ("image-missing", [*RUN, "--image", "{dir}/nope.jpg"], None, "cannot read image"),
    ("image-text", [*RUN, "--image", "{dir}/notes.txt"],
     _write("notes.txt", b"hello\n" * 100), "not an image"),
    ("image-directory", [*RUN, "--image", "{dir}/a-dir"], _directory, "image"),
    ("image-gif", [*RUN, "--image", "{dir}/x.gif"],
     _write("x.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "image"),
    ("weights-missing", ["--weights", "{dir}/nope.pth", *RUN], None, "cannot read weights"),
    ("weights-garbage", ["--weights", "{dir}/w.pth", *RUN],
     _write("w.pth", os.urandom(4096).replace(b"\x80", b"\x00")), "not a PyTorch checkpoint"),
    ("weights-empty", ["--weights", "{dir}/empty.pth", *RUN], _write("empty.pth", b""),
     "not a PyTorch checkpoint"),
    ("weights-directory", ["--weights", "{dir}/a-dir", *RUN], _directory, "directory"),
    ("weights-zip-without-pickle", ["--weights", "{dir}/weights.zip", *RUN],
     _zip_without_pickle, "no data.pkl"),
    ("weights-broken-zip", ["--weights", "{dir}/broken.pth", *RUN],
     _write("broken.pth", b"PK\x03\x04" + b"\x00" * 100), "corrupt zip"),
    ("config-not-toml", ["results"], _config("this is = = not toml ["), "not valid TOML"),
    ("config-region-number", ["results"], _config("[sagemaker]\nregion = 5\n"), "string"),
    ("config-unknown-key", ["results"], _config('[sagemaker]\nregoin = "eu-west-1"\n'),
     "unknown key"),
    ("config-sagemaker-not-table", ["results"], _config('sagemaker = "eu-west-1"\n'), "table"),
    ("config-unknown-table", ["run", "local-cpu"], _config('[aws]\nregion = "eu-west-1"\n'),
     "unknown table"),
    ("config-binary", ["results"], _config_binary, "config.toml"),
    ("prices-not-toml", ["results"], _prices("[[["), "prices"),
    ("database-corrupt-page", ["results"], _corrupt_page, "corrupt"),
    ("database-not-sqlite", ["results"], _not_a_database, "results database"),
    ("sagemaker-unavailable-test", ["test", "c5", "--duration", "1"], None, "no AWS region"),
    ("sagemaker-unavailable-run", ["run", "c5-neo", "--duration", "1"], None, "no AWS region"),
    ("sagemaker-unavailable-deploy", ["deploy", "g4dn"], None, "no AWS region"),
    # a URL's secrets (user:password, query values) are never echoed: see SECRET below
    ("url-hidden-key-not-given-here", ["test", "url:http://10.9.9.9:9/x?X-Amz-Signature=***"],
     None, "give the URL again"),
    ("url-https-with-secret", ["test", "--url", "https://h/x?X-Amz-Signature=s3cret"], None,
     "https"),
    ("url-userinfo-secret", ["test", "--url", "http://user:s3cret@h/x"], None, "credentials"),
    ("url-bad-port-with-secret", ["test", "--url", "http://h:99999/x?token=s3cret"], None,
     "bad URL"),
    ("url-ftp-with-secret", ["test", "--url", "ftp://h/x?s3cret"], None, "not an http"),
    ("deploy-url-with-secret", ["deploy", "url:http://h:1/x?token=s3cret"], None,
     "does not deploy"),
    ("compile-url-with-secret", ["compile", "url:http://h:1/x?token=s3cret"], None,
     "does not deploy"),
]  # fmt: skip
SECRET = "s3cret"
"""What no message may show of a case's URL."""


def _no_exec(*args: object) -> None:
    raise AssertionError(f"bad input reached os.execv{args}")


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """SageMaker is not set up here: no region, no role, no credentials."""
    for name in (
        "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "RNBENCH_ROLE_ARN", "RNBENCH_BUCKET",
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "RNBENCH_WEIGHTS",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(os, "execv", _no_exec)  # `serve` must never replace the test process
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


def _seed_store() -> None:
    """A results database with one finished run of 300 windows (several pages)."""
    with RunStore(results_database()) as store:
        store.begin_run(make_record("r1"))
        for i in range(300):
            store.add_window("r1", WindowRow(i, i + 1.0, 20, 0, 20.0, *(800.0,) * 6))
        store.finish_run(make_record("r1"))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _state_files() -> list[Path]:
    return sorted(state_dir().rglob("*"))


@pytest.mark.parametrize(
    ("argv", "setup", "word"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    argv: list[str],
    setup: Setup | None,
    word: str,
) -> None:
    _seed_store()
    if setup is not None:
        setup(tmp_path)
    before = _digest(results_database())
    state_before = _state_files()
    args = [a.replace("{dir}", str(tmp_path)) for a in argv]
    try:
        code = main(args)
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("rnbench"), err
    assert "error:" in lines[0] and word.lower() in lines[0].lower(), lines[0]
    assert "Traceback" not in err and out == ""
    assert SECRET not in err
    assert _digest(results_database()) == before
    assert _state_files() == state_before  # no server record: nothing was started


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(
    "argv",
    [
        ["test", "local-cpu", "--timeout", "nan"],
        ["run", "local-cpu", "--image", "{dir}/bomb.png"],
        ["--weights", "{dir}/nope.pth", "run", "local-cpu"],
        ["results"],  # with a corrupt config.toml
    ],
    ids=["timeout-nan", "image-bomb", "weights-missing", "config-garbage"],
)
def test_a_real_process_prints_one_line_and_no_traceback(
    tmp_path: Path, rnbench_home: Path, argv: list[str]
) -> None:
    _seed_store()
    (tmp_path / "bomb.png").write_bytes(_png_header(60000, 60000))
    if argv == ["results"]:
        (data_dir() / "config.toml").write_text("region = = 5")
    before = _digest(results_database())
    args = [a.replace("{dir}", str(tmp_path)) for a in argv]
    result = subprocess.run(
        [sys.executable, "-m", "rnbench.tui.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "RNBENCH_HOME": str(rnbench_home)},
    )
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("rnbench"), result.stderr
    assert _digest(results_database()) == before

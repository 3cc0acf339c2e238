"""A corpus of bad CLI input, across every command: each is one line on stderr, exit 2 (1 where the
README says so: AWS that cannot be asked), no traceback, before any server starts (no server
record, no child process left), and the results database is left exactly as it was (its file's
hash).

Most run in-process (`main([...])`) for speed, environment variables set for the call; a few run
as the installed entry point to prove no traceback reaches stderr from a real process.
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
from dataclasses import dataclass
from pathlib import Path

import psutil
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


def _fifo(folder: Path) -> None:
    os.mkfifo(folder / "pipe")  # nothing ever writes to it: a blocking open or read would hang


def _link_to_dev_zero(folder: Path) -> None:
    (folder / "zero.jpg").symlink_to("/dev/zero")


def _sparse(folder: Path) -> None:
    """An image file far over the body limit on paper, with nothing on disk."""
    with (folder / "huge.jpg").open("wb") as file:
        file.truncate(200 * 1024 * 1024)


def _picture(name: str, width: int, height: int) -> Setup:
    """A whole, decodable PNG of `width` x `height` pixels."""

    def setup(folder: Path) -> None:
        from PIL import Image

        Image.new("RGB", (width, height), (90, 120, 60)).save(folder / name)

    return setup


def _state_dict_zip(folder: Path) -> None:
    """What torch.save(model.state_dict()) writes: a zip of tensors, no TorchScript code."""
    with zipfile.ZipFile(folder / "sd.pth", "w") as archive:
        archive.writestr("sd/data.pkl", b"\x80\x02}q\x00.")
        archive.writestr("sd/data/0", bytes(64))
        archive.writestr("sd/version", "3\n")


def _truncated_jpeg(folder: Path) -> None:
    whole = (Path(__file__).parent / "data" / "doggo.jpg").read_bytes()
    (folder / "cut.jpg").write_bytes(whole[: len(whole) // 2])


ONNX_LOOKALIKE = b"\x08\x08\x12\x07pytorch:\x00B\x02\x10\x11"
"""A well-formed ONNX ModelProto (ir_version, producer, an empty graph, an opset): an ONNX file
as far as its structure goes, which eager still cannot run."""


@dataclass(frozen=True)
class Case:
    """One bad command line and what it must say."""

    id: str
    argv: list[str]
    """The arguments, with {dir} for the test's folder."""
    setup: Setup | None = None
    """Prepares a bad file before the command runs."""
    word: str = ""
    """A word the one-line message must contain (case-insensitive)."""
    code: int = 2
    """The exit status: 2 (bad usage or input) unless the README documents 1."""
    env: tuple[tuple[str, str], ...] = ()
    """Environment variables set for the call (values with {dir})."""


LOAD = ["test", "local-cpu"]
RUN = ["run", "local-cpu", "--duration", "1", "--warmup", "0"]
CASES: list[Case] = [
    # (id, argv with {dir} for the test's folder, setup, a word the message must contain)
    Case("concurrency-zero", [*LOAD, "--concurrency", "0"], None, "concurrency"),
    Case("concurrency-word", [*LOAD, "--concurrency", "abc"], None, "concurrency"),
    Case("concurrency-negative", [*LOAD, "--concurrency", "4,-1"], None, "concurrency"),
    Case("concurrency-empty-item", [*LOAD, "--concurrency", "1,,4"], None, "empty item"),
    Case("concurrency-trailing-comma", [*LOAD, "--concurrency", "4,"], None, "empty item"),
    Case("concurrency-empty", [*LOAD, "--concurrency", ""], None, "concurrency"),
    Case("concurrency-too-many-clients", [*LOAD, "--concurrency", "5000"], None, "1024"),
    Case("concurrency-too-many-points", [*LOAD, "--concurrency", ",".join(map(str, range(1, 14)))],
     None, "at most"),
    Case("concurrency-fraction", [*LOAD, "--concurrency", "2.5"], None, "whole number"),
    Case("rate-zero", [*LOAD, "--rate", "0"], None, "rate"),
    Case("rate-nan", [*LOAD, "--rate", "nan"], None, "finite"),
    Case("rate-inf", [*LOAD, "--rate", "inf"], None, "finite"),
    Case("rate-empty-item", [*LOAD, "--rate", "5,,10"], None, "empty item"),
    Case("rate-negative", [*LOAD, "--rate", "-1"], None, "rate"),
    Case("rate-too-high", [*LOAD, "--rate", "1e9"], None, "rate"),
    Case("duration-nan", [*LOAD, "--duration", "nan"], None, "finite"),
    Case("duration-inf", [*LOAD, "--duration", "inf"], None, "finite"),
    Case("duration-minus-inf", [*LOAD, "--duration=-inf"], None, "finite"),
    Case("duration-zero", [*LOAD, "--duration", "0"], None, "duration"),
    Case("duration-huge", [*LOAD, "--duration", "1e9"], None, "duration"),
    Case("duration-word", [*LOAD, "--duration", "ten"], None, "duration"),
    Case("warmup-nan", [*LOAD, "--warmup", "nan"], None, "finite"),
    Case("warmup-negative", [*LOAD, "--warmup=-1"], None, "warm-up"),
    Case("warmup-inf", [*LOAD, "--warmup", "inf"], None, "finite"),
    Case("timeout-nan", [*LOAD, "--timeout", "nan"], None, "finite"),
    Case("timeout-zero", [*LOAD, "--timeout", "0"], None, "timeout"),
    Case("timeout-inf", [*LOAD, "--timeout", "inf"], None, "finite"),
    Case("stability-nan", [*LOAD, "--stability", "nan"], None, "finite"),
    Case("stability-zero", [*LOAD, "--stability", "0"], None, "stability"),
    Case("stability-over-100", [*LOAD, "--stability", "200"], None, "stability"),
    Case("max-error-nan", [*LOAD, "--max-error-pct", "nan"], None, "finite"),
    Case("max-error-negative", [*LOAD, "--max-error-pct=-1"], None, "error threshold"),
    Case("max-error-over-100", [*LOAD, "--max-error-pct", "101"], None, "error threshold"),
    Case("arrival-unknown", [*LOAD, "--rate", "5", "--arrival", "sometimes"], None, "arrival"),
    Case("sweep-both", [*RUN, "--concurrency", "1,4", "--rate", "10"], None, "not both"),
    Case("unknown-option", [*LOAD, "--clients", "4"], None, "unrecognized"),
    Case("unknown-command", ["frobnicate"], None, "invalid choice"),
    Case("unknown-configuration", ["run", "m5-turbo"], None, "unknown configuration"),
    Case("teardown-nothing-named", ["teardown"], None, "required"),
    Case("results-limit-negative", ["results", "--limit=-5"], None, "zero or more"),
    Case("results-limit-word", ["results", "--limit", "x"], None, "whole number"),
    Case("recommend-p99-nan", ["recommend", "--p99", "nan", "--tps", "5"], None, "finite"),
    Case("recommend-missing-tps", ["recommend", "--p99", "100"], None, "--tps"),
    Case("serve-port-out-of-range", ["serve", "--port", "70000"], None, "65535"),
    Case("image-decompression-bomb", [*RUN, "--image", "{dir}/bomb.png"],
     _write("bomb.png", _png_header(60000, 60000)), "too large"),
    Case("image-too-many-pixels", [*RUN, "--image", "{dir}/big.png"],
     _write("big.png", _png_header(12000, 12000)), "too"),
    Case("image-missing", [*RUN, "--image", "{dir}/nope.jpg"], None, "cannot read image"),
    Case("image-text", [*RUN, "--image", "{dir}/notes.txt"],
     _write("notes.txt", b"hello\n" * 100), "not an image"),
    Case("image-directory", [*RUN, "--image", "{dir}/a-dir"], _directory, "image"),
    Case("image-gif", [*RUN, "--image", "{dir}/x.gif"],
     _write("x.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "image"),
    Case("weights-missing", ["--weights", "{dir}/nope.pth", *RUN], None, "cannot read weights"),
    Case("weights-garbage", ["--weights", "{dir}/w.pth", *RUN],
     _write("w.pth", os.urandom(4096).replace(b"\x80", b"\x00")), "not a PyTorch checkpoint"),
    Case("weights-empty", ["--weights", "{dir}/empty.pth", *RUN], _write("empty.pth", b""),
     "not a PyTorch checkpoint"),
    Case("weights-directory", ["--weights", "{dir}/a-dir", *RUN], _directory, "directory"),
    Case("weights-zip-without-pickle", ["--weights", "{dir}/weights.zip", *RUN],
     _zip_without_pickle, "no data.pkl"),
    Case("weights-broken-zip", ["--weights", "{dir}/broken.pth", *RUN],
     _write("broken.pth", b"PK\x03\x04" + b"\x00" * 100), "corrupt zip"),
    Case("config-not-toml", ["results"], _config("this is = = not toml ["), "not valid TOML"),
    Case("config-region-number", ["results"], _config("[sagemaker]\nregion = 5\n"), "string"),
    Case("config-unknown-key", ["results"], _config('[sagemaker]\nregoin = "eu-west-1"\n'),
     "unknown key"),
    Case("config-sagemaker-not-table", ["results"], _config('sagemaker = "eu-west-1"\n'), "table"),
    Case("config-unknown-table", ["run", "local-cpu"], _config('[aws]\nregion = "eu-west-1"\n'),
     "unknown table"),
    Case("config-binary", ["results"], _config_binary, "config.toml"),
    Case("prices-not-toml", ["results"], _prices("[[["), "prices"),
    Case("database-corrupt-page", ["results"], _corrupt_page, "corrupt"),
    Case("database-not-sqlite", ["results"], _not_a_database, "results database"),
    Case("sagemaker-unavailable-test", ["test", "c5", "--duration", "1"], None, "no AWS region"),
    Case("sagemaker-unavailable-run", ["run", "c5-neo", "--duration", "1"], None, "no AWS region"),
    Case("sagemaker-unavailable-deploy", ["deploy", "g4dn"], None, "no AWS region"),
    # a URL's secrets (user:password, query values) are never echoed: see SECRET below
    Case("url-hidden-key-not-given-here", ["test", "url:http://10.9.9.9:9/x?X-Amz-Signature=***"],
     None, "give the URL again"),
    Case("url-https-with-secret", ["test", "--url", "https://h/x?X-Amz-Signature=s3cret"], None,
     "https"),
    Case("url-userinfo-secret", ["test", "--url", "http://user:s3cret@h/x"], None, "credentials"),
    Case("url-bad-port-with-secret", ["test", "--url", "http://h:99999/x?token=s3cret"], None,
     "bad URL"),
    Case("url-ftp-with-secret", ["test", "--url", "ftp://h/x?s3cret"], None, "not an http"),
    Case("deploy-url-with-secret", ["deploy", "url:http://h:1/x?token=s3cret"], None,
     "does not deploy"),
    Case("compile-url-with-secret", ["compile", "url:http://h:1/x?token=s3cret"], None,
     "does not deploy"),
    # ---- load options: every number a user may mistype -------------------------------------
    Case("duration-negative", [*LOAD, "--duration=-5"], None, "duration"),
    Case("concurrency-nan", [*LOAD, "--concurrency", "nan"], None, "whole number"),
    Case("concurrency-inf", [*LOAD, "--concurrency", "inf"], None, "whole number"),
    Case("concurrency-exponent", [*LOAD, "--concurrency", "1e3"], None, "whole number"),
    Case("concurrency-hex", [*LOAD, "--concurrency", "0x10"], None, "whole number"),
    Case("concurrency-blank", [*LOAD, "--concurrency", " "], None, "concurrency"),
    Case("rate-word", [*LOAD, "--rate", "fast"], None, "rate"),
    Case("rate-trailing-comma", [*LOAD, "--rate", "5,"], None, "empty item"),
    Case("rate-minus-inf", [*LOAD, "--rate=-inf"], None, "finite"),
    Case("rate-too-many-points", [*LOAD, "--rate", ",".join(map(str, range(1, 14)))], None,
         "at most"),
    Case("warmup-word", [*LOAD, "--warmup", "ten"], None, "warm-up"),
    Case("warmup-huge", [*LOAD, "--warmup", "1e9"], None, "warm-up"),
    Case("timeout-negative", [*LOAD, "--timeout=-1"], None, "timeout"),
    Case("timeout-huge", [*LOAD, "--timeout", "1e9"], None, "timeout"),
    Case("stability-negative", [*LOAD, "--stability=-5"], None, "stability"),
    Case("arrival-on-run", [*RUN, "--rate", "5", "--arrival", "bursty"], None, "arrival"),
    Case("workers-zero", [*LOAD, "--workers", "0"], None, "--workers"),
    Case("remote-workers-negative", [*LOAD, "--remote-workers=-1"], None, "--remote-workers"),
    Case("master-port-out-of-range", [*LOAD, "--master-port", "70000"], None, "65535"),
    Case("workers-with-rate", [*RUN, "--workers", "2", "--rate", "5"], None, "closed loop only"),
    Case("remote-workers-with-rate", [*RUN, "--remote-workers", "1", "--rate", "5"], None,
         "closed loop only"),
    Case("workers-over-concurrency", [*RUN, "--workers", "4", "--concurrency", "2"], None,
         "less than 4 workers"),
    Case("workers-over-a-sweep-point", [*RUN, "--workers", "3", "--concurrency", "8,2"], None,
         "less than 3 workers"),
    Case("max-batch-on-test", [*LOAD, "--max-batch", "4"], None, "unrecognized"),
    Case("deploy-max-batch-zero", ["deploy", "local-cpu", "--max-batch", "0"], None,
         "positive whole number"),
    Case("deploy-max-batch-huge", ["deploy", "local-cpu", "--max-batch", "100000"], None,
         "at most 1024"),
    Case("run-max-batch-huge", [*RUN, "--max-batch", "5000"], None, "at most 1024"),
    Case("serve-max-batch-huge", ["serve", "--max-batch", "100000"], None, "at most 1024"),
    Case("deploy-max-delay-negative", ["deploy", "local-cpu", "--max-delay-ms=-1"], None,
         "zero or more"),
    Case("deploy-max-delay-nan", ["deploy", "local-cpu", "--max-delay-ms", "nan"], None,
         "finite"),
    Case("input-size-zero", [*RUN, "--input-size", "0"], None, "between 16 and 2048"),
    Case("input-size-negative", [*RUN, "--input-size=-1"], None, "--input-size"),
    Case("input-size-word", [*RUN, "--input-size", "big"], None, "whole number"),
    Case("input-size-huge", [*RUN, "--input-size", "100000"], None, "2048"),
    Case("input-size-global", ["--input-size", "7", "results"], None, "between 16 and 2048"),
    # ---- which configuration or target ------------------------------------------------------
    Case("run-typo", ["run", "local-cpu-compild"], None, "local-cpu-compiled"),
    Case("test-typo", ["test", "lcoal-cpu"], None, "unknown configuration"),
    Case("deploy-typo", ["deploy", "c5neo"], None, "c5-neo"),
    Case("compile-typo", ["compile", "g4dn-neoo"], None, "unknown configuration"),
    Case("teardown-typo", ["teardown", "local-cpuu", "--yes"], None, "unknown configuration"),
    Case("models-with-an-argument", ["models", "resnet50"], None, "unrecognized arguments"),
    Case("leftovers-all", ["leftovers", "--all"], None, "unrecognized arguments"),
    Case("run-without-config", ["run"], None, "required"),
    Case("test-without-target", ["test", "--duration", "1"], None, "give one of"),
    Case("test-config-and-url", ["test", "local-cpu", "--url", "http://h:1/"], None,
         "give one of"),
    Case("test-url-and-endpoint", ["test", "--url", "http://h:1/", "--endpoint", "e"], None,
         "give one of"),
    Case("usd-per-hour-negative", ["test", "--url", "http://h:1/", "--usd-per-hour=-1"], None,
         "positive"),
    Case("usd-per-hour-nan", ["test", "--url", "http://h:1/", "--usd-per-hour", "nan"], None,
         "positive"),
    Case("usd-per-hour-with-config", [*LOAD, "--usd-per-hour", "1"], None, "prices.toml"),
    Case("teardown-foreign", ["teardown", "url:http://h:1/x", "--yes"], None,
         "does not deploy"),
    # ---- --model ----------------------------------------------------------------------------
    Case("model-close-name", [*RUN, "--model", "resnet5"], None, "did you mean resnet50"),
    Case("model-unknown-name", [*RUN, "--model", "nosuchnet"], None, "unknown model"),
    Case("model-file-missing", [*RUN, "--model", "{dir}/missing.onnx"], None, "not found"),
    Case("model-wrong-suffix", [*RUN, "--model", "{dir}/notes.txt"],
         _write("notes.txt", b"a model"), "TorchScript (.pt/.pth) or ONNX"),
    Case("model-directory", [*RUN, "--model", "{dir}/a-dir"], _directory, "a-dir"),
    Case("model-garbage-torchscript", [*RUN, "--model", "{dir}/m.pt"],
         _write("m.pt", b"\x93NUMPY" + bytes(range(256)) * 8), "not a TorchScript file"),
    Case("model-state-dict", ["run", "local-cpu-compiled", "--model", "{dir}/sd.pth"],
         _state_dict_zip, "without TorchScript code"),
    Case("model-garbage-onnx", ["run", "local-cpu-compiled", "--model", "{dir}/m.onnx"],
         _write("m.onnx", b"\xff" * 64), "not an ONNX file"),
    Case("model-truncated-onnx", ["run", "local-cpu-int8", "--model", "{dir}/m.onnx"],
         _write("m.onnx", ONNX_LOOKALIKE[:-3]), "not an ONNX file"),
    Case("model-onnx-without-graph", ["deploy", "local-cpu-compiled", "--model", "{dir}/m.onnx"],
         _write("m.onnx", b"\x08\x08\x12\x07pytorch"), "no graph"),
    Case("model-text-as-onnx", ["serve", "--model", "{dir}/m.onnx"],
         _write("m.onnx", b"graph {\n  node: conv\n}\n"), "not an ONNX file"),
    Case("model-onnx-on-eager", [*RUN, "--model", "{dir}/m.onnx"],
         _write("m.onnx", ONNX_LOOKALIKE), "eager runs PyTorch models"),
    Case("recommend-unknown-model", ["recommend", "--p99", "100", "--tps", "5", "--model",
                                     "nosuchnet"], None, "unknown model"),
    Case("config-model-number", ["results"], _config("model = 5\n"), "unknown model"),
    Case("config-model-unknown", [*RUN], _config('model = "nosuchnet"\n'), "unknown model"),
    Case("config-input-size-word", [*RUN], _config('input_size = "big"\n'),
         "input_size must be a whole number"),
    Case("config-input-size-fraction", ["recommend", "--p99", "100", "--tps", "5"],
         _config("input_size = 224.5\n"), "input_size must be a whole number"),
    Case("config-input-size-bool", ["results"], _config("input_size = true\n"),
         "input_size must be a whole number"),
    Case("config-input-size-small", [*RUN], _config("input_size = 5\n"), "between 16"),
    # ---- --image ----------------------------------------------------------------------------
    Case("image-empty-file", [*RUN, "--image", "{dir}/empty.jpg"], _write("empty.jpg", b""),
         "not an image"),
    Case("image-dev-zero", [*RUN, "--image", "/dev/zero"], None, "not a regular file"),
    Case("image-fifo", [*RUN, "--image", "{dir}/pipe"], _fifo, "not a regular file"),
    Case("image-link-to-dev-zero", [*RUN, "--image", "{dir}/zero.jpg"], _link_to_dev_zero,
         "not a regular file"),
    Case("image-sparse-huge", [*RUN, "--image", "{dir}/huge.jpg"], _sparse,
         "larger than the limit"),
    Case("image-truncated-jpeg", [*RUN, "--image", "{dir}/cut.jpg"], _truncated_jpeg,
         "corrupt"),
    Case("image-wide-png", [*RUN, "--image", "{dir}/wide.png"], _picture("wide.png", 10000, 10),
         "10000x10"),
    Case("image-tall-png", [*RUN, "--image", "{dir}/tall.png"], _picture("tall.png", 10, 10000),
         "10x10000"),
    # ---- --url and --endpoint ---------------------------------------------------------------
    Case("url-no-scheme", ["test", "--url", "localhost:8080"], None, "not an http"),
    Case("url-no-host", ["test", "--url", "http://"], None, "no host"),
    Case("url-empty", ["test", "--url", ""], None, "not an http"),
    Case("url-bad-ipv6", ["test", "--url", "http://[::1"], None, "bad URL"),
    Case("url-two-ports", ["test", "--url", "http://h:8080:9/x"], None, "bad URL"),
    Case("url-negative-port", ["test", "--url", "http://h:-1/x"], None, "bad URL"),
    Case("url-fragment", ["test", "--url", "http://h/x#top"], None, "fragments"),
    Case("url-space-in-host", ["test", "--url", "http://h /x"], None, "space or control"),
    Case("url-space-in-path", ["test", "--url", "http://h/x y"], None, "space or control"),
    Case("url-space-with-secret", ["test", "--url", "http://h/x y?token=s3cret"], None,
         "space or control"),
    Case("url-tab-in-host", ["test", "--url", "http://h\t/x"], None, "space or control"),
    Case("url-port-zero", ["test", "--url", "http://h:0/x"], None, "port 0"),
    Case("url-key-port-zero", ["test", "url:http://h:0/invocations"], None, "port 0"),
    Case("url-key-not-http", ["test", "url:ftp://h/x"], None, "not an http"),
    Case("endpoint-underscore", ["test", "--endpoint", "my_endpoint"], None,
         "not a SageMaker endpoint name"),
    Case("endpoint-empty", ["test", "--endpoint", ""], None, "not a SageMaker endpoint name"),
    Case("endpoint-key-bad-name", ["test", "endpoint:bad_name!"], None,
         "not a SageMaker endpoint name"),
    # ---- AWS settings -----------------------------------------------------------------------
    Case("region-unknown", ["test", "c5", "--region", "xx-fake-9"], None,
         "not an AWS region"),
    Case("region-typo", ["deploy", "c5", "--region", "eu-wset-1"], None,
         "did you mean eu-west-1"),
    Case("region-unknown-leftovers", ["leftovers", "--region", "xx-fake-9"], None,
         "not an AWS region"),
    Case("region-unknown-configs", ["configs", "--region", "xx-fake-9"], None,
         "not an AWS region"),
    Case("region-unknown-env", ["test", "c5"], None, "not an AWS region",
         env=(("AWS_REGION", "xx-fake-9"),)),
    Case("region-unknown-with-role", ["deploy", "g5", "--region", "moon-1",
                                      "--role", "arn:aws:iam::123456789012:role/r"], None,
         "not an AWS region"),
    Case("config-region-unknown", ["run", "inf2"], _config('[sagemaker]\nregion = "xx-fake-9"\n'),
         "not an AWS region"),
    Case("profile-unknown", ["test", "c5", "--profile", "nosuchprofile"], None,
         "profile 'nosuchprofile' not found"),
    Case("profile-unknown-leftovers", ["leftovers", "--profile", "nosuchprofile"], None,
         "not found"),
    Case("profile-unknown-env", ["deploy", "c5"], None, "profile 'ghost' not found",
         env=(("AWS_PROFILE", "ghost"),)),
    Case("endpoint-no-region", ["test", "--endpoint", "my-endpoint"], None, "no AWS region"),
    Case("endpoint-no-credentials", ["test", "--endpoint", "my-endpoint", "--region",
                                     "eu-west-1"], None, "no AWS credentials"),
    Case("endpoint-unknown-region", ["test", "endpoint:my-endpoint"], None,
         "not an AWS region", env=(("AWS_DEFAULT_REGION", "xx-fake-9"),)),
    Case("teardown-unavailable", ["teardown", "c5", "--yes"], None, "no AWS region"),
    Case("teardown-unavailable-role", ["teardown", "g4dn-neo", "--yes", "--region",
                                       "eu-west-1"], None, "no SageMaker execution role"),
    Case("role-not-an-arn", ["deploy", "c5", "--role", "notanarn", "--region", "eu-west-1"],
         None, "not an ARN"),
    Case("role-env-not-an-arn", ["deploy", "c5"], None, "not an ARN",
         env=(("RNBENCH_ROLE_ARN", "garbage"), ("AWS_REGION", "eu-west-1"))),
    Case("region-empty", ["test", "c5", "--region", ""], None, "no AWS region"),
    Case("serverless-memory-bad", ["deploy", "serverless", "--serverless-memory", "1000"], None,
         "1024"),
    Case("serverless-concurrency-zero",
         ["deploy", "serverless", "--serverless-concurrency", "0"], None, "1 to 200"),
    Case("serverless-concurrency-over",
         ["deploy", "serverless", "--serverless-concurrency", "201"], None, "1 to 200"),
    Case("config-serverless-memory-word", ["configs"],
         _config('[sagemaker]\nserverless_memory_mb = "big"\n'), "whole number"),
    Case("config-table-twice", ["results"], _config("[sagemaker]\n[sagemaker]\n"),
         "not valid TOML"),
    Case("aws-unreachable-leftovers", ["leftovers"], None, "AWS unreachable", code=1,
         env=(("AWS_REGION", "eu-west-1"), ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
              ("AWS_SECRET_ACCESS_KEY", "example"), ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
              ("RNBENCH_ROLE_ARN", "arn:aws:iam::123456789012:role/r"))),
    Case("aws-unreachable-teardown-all", ["teardown", "--all", "--yes"], None,
         "AWS unreachable", code=1,
         env=(("AWS_REGION", "eu-west-1"), ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
              ("AWS_SECRET_ACCESS_KEY", "example"), ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
              ("RNBENCH_ROLE_ARN", "arn:aws:iam::123456789012:role/r"))),
    # ---- prices.toml ------------------------------------------------------------------------
    Case("prices-word", ["results"], _prices('[config."local-cpu"]\nusd_per_hour = "cheap"\n'),
         "must be a number"),
    Case("prices-negative", ["results"], _prices('[config."local-cpu"]\nusd_per_hour = -1\n'),
         "> 0"),
    Case("prices-nan", ["configs"], _prices('[instance."ml.c5.xlarge"]\nusd_per_hour = nan\n'),
         "> 0"),
    Case("prices-unknown-section", ["results"], _prices("[spot]\nx = 1\n"), "unknown section"),
    # ---- export -----------------------------------------------------------------------------
    Case("export-missing-folder", ["export", "--csv", "{dir}/nope/runs.csv"], None,
         "does not exist"),
    Case("export-into-a-folder", ["export", "--csv", "{dir}/a-dir"], _directory, "folder"),
    Case("export-under-a-file", ["export", "--csv", "{dir}/notes.txt/runs.csv"],
         _write("notes.txt", b"x"), "does not exist"),
    Case("export-format-unknown", ["export", "--out", "{dir}/runs.xml", "--format", "xml"], None,
         "invalid choice"),
    Case("export-csv-as-json", ["export", "--csv", "{dir}/runs.csv", "--format", "json"], None,
         "--csv writes CSV"),
    Case("export-csv-as-parquet", ["export", "--csv", "{dir}/runs.csv", "--format", "parquet"],
         None, "--out PATH --format parquet"),
    Case("export-no-destination", ["export"], None, "required"),
    Case("export-two-destinations", ["export", "--csv", "{dir}/a", "--out", "{dir}/b"], None,
         "not allowed"),
    Case("export-json-to-dev-full", ["export", "--out", "/dev/full", "--format", "json"], None,
         "not a regular file"),
    Case("export-parquet-to-fifo", ["export", "--out", "{dir}/pipe", "--format", "parquet"],
         _fifo, "not a regular file"),
    # ---- report -----------------------------------------------------------------------------
    Case("report-unknown-sweep", ["report", "--sweep", "nosuch", "--out", "{dir}/r.html"], None,
         "no stored sweep"),
    Case("report-unknown-run", ["report", "--runs", "nosuch", "--out", "{dir}/r.html"], None,
         "no stored run"),
    Case("report-since-word", ["report", "--since", "yesterday", "--out", "{dir}/r.html"], None,
         "date"),
    Case("report-since-no-such-day", ["report", "--since", "2026-02-30", "--out",
                                      "{dir}/r.html"], None, "date"),
    Case("report-slo-nan", ["report", "--slo-p99-ms", "nan"], None, "finite"),
    Case("report-slo-negative", ["report", "--slo-p99-ms=-5"], None, "positive"),
    Case("report-runs-without-ids", ["report", "--runs"], None, "at least one"),
    Case("report-sweep-and-since", ["report", "--sweep", "a", "--since", "2026-01-01"], None,
         "not allowed"),
    Case("report-into-a-folder", ["report", "--out", "{dir}/a-dir"], _directory, "folder"),
    Case("report-missing-folder", ["report", "--out", "{dir}/nope/r.html"], None,
         "does not exist"),
    Case("report-to-dev-full", ["report", "--out", "/dev/full"], None, "not a regular file"),
    # ---- recommend, results -----------------------------------------------------------------
    Case("recommend-p99-negative", ["recommend", "--p99=-1", "--tps", "5"], None, "positive"),
    Case("recommend-tps-zero", ["recommend", "--p99", "100", "--tps", "0"], None, "positive"),
    Case("recommend-tps-inf", ["recommend", "--p99", "100", "--tps", "inf"], None, "finite"),
    Case("recommend-p99-word", ["recommend", "--p99", "fast", "--tps", "5"], None, "number"),
    Case("results-limit-exponent", ["results", "--limit", "1e3"], None, "whole number"),
    # ---- worker, serve ----------------------------------------------------------------------
    Case("worker-no-master", ["worker"], None, "--master"),
    Case("worker-empty-master", ["worker", "--master", ""], None, "master address"),
    Case("worker-port-out-of-range", ["worker", "--master", "h:99999"], None, "port"),
    Case("worker-port-word", ["worker", "--master", "h:abc"], None, "port"),
    Case("worker-port-zero", ["worker", "--master", "h:0"], None, "port"),
    Case("worker-no-host", ["worker", "--master", ":5557"], None, "master address"),
    Case("worker-space-in-host", ["worker", "--master", "load box"], None, "master address"),
    Case("worker-slash-in-host", ["worker", "--master", "http://box:5557"], None,
         "master address"),
    Case("serve-port-negative", ["serve", "--port=-1"], None, "65535"),
    Case("serve-port-word", ["serve", "--port", "http"], None, "whole number"),
    Case("serve-runtime-unknown", ["serve", "--runtime", "turbo"], None, "invalid choice"),
    Case("serve-device-unknown", ["serve", "--device", "tpu"], None, "invalid choice"),
    Case("serve-max-delay-inf", ["serve", "--max-delay-ms", "inf"], None, "finite"),
    Case("serve-input-size-small", ["serve", "--input-size", "1"], None, "between 16"),
    # ---- the environment --------------------------------------------------------------------
    Case("home-is-a-file", ["results"], _write("home", b"x"), "Not a directory",
         env=(("RNBENCH_HOME", "{dir}/home"),)),
    Case("home-is-a-file-run", [*RUN], _write("home", b"x"), "Not a directory",
         env=(("RNBENCH_HOME", "{dir}/home"),)),
    Case("home-is-dev-null", ["export", "--csv", "{dir}/runs.csv"], None, "Not a directory",
         env=(("RNBENCH_HOME", "/dev/null"),)),
    Case("weights-env-missing", [*RUN], None, "cannot read weights",
         env=(("RNBENCH_WEIGHTS", "{dir}/nope.pth"),)),
    Case("weights-env-text", [*RUN], _write("notes.txt", b"hello\n"),
         "not a PyTorch checkpoint", env=(("RNBENCH_WEIGHTS", "{dir}/notes.txt"),)),
    Case("weights-dev-zero", ["--weights", "/dev/zero", *RUN], None, "not a PyTorch checkpoint"),
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
        "AWS_ENDPOINT_URL",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance role to look for
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


def _state_files(state: Path) -> list[Path]:
    """The files under the state folder: a server's record, ready file or log."""
    return sorted(path for path in state.rglob("*") if not path.is_dir())


def _children() -> set[int]:
    return {child.pid for child in psutil.Process().children(recursive=True)}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_and_changes_nothing(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    case: Case,
) -> None:
    _seed_store()
    if case.setup is not None:
        case.setup(tmp_path)
    database, state = results_database(), state_dir()
    before, state_before, children_before = _digest(database), _state_files(state), _children()
    for name, value in case.env:
        monkeypatch.setenv(name, value.replace("{dir}", str(tmp_path)))
    args = [a.replace("{dir}", str(tmp_path)) for a in case.argv]
    try:
        code = main(args)
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert code == case.code, err
    assert len(lines) == 1 and lines[0].startswith("rnbench"), err
    assert "error:" in lines[0] and case.word.lower() in lines[0].lower(), lines[0]
    assert "Traceback" not in err and out == ""
    assert SECRET not in err
    assert _digest(database) == before
    assert _state_files(state) == state_before  # no server record: nothing was started
    assert _children() <= children_before  # and no process of any kind left running


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 100 and len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize(
    "argv",
    [
        ["test", "local-cpu", "--timeout", "nan"],
        ["run", "local-cpu", "--image", "{dir}/bomb.png"],
        ["--weights", "{dir}/nope.pth", "run", "local-cpu"],
        ["results"],  # with a corrupt config.toml
        ["test", "--url", "http://h /x", "--duration", "1"],
        ["home-is-a-file", "results"],  # RNBENCH_HOME names a file
    ],
    ids=["timeout-nan", "image-bomb", "weights-missing", "config-garbage", "url-space",
         "home-is-a-file"],
)  # fmt: skip
def test_a_real_process_prints_one_line_and_no_traceback(
    tmp_path: Path, rnbench_home: Path, argv: list[str]
) -> None:
    _seed_store()
    (tmp_path / "bomb.png").write_bytes(_png_header(60000, 60000))
    if argv == ["results"]:
        (data_dir() / "config.toml").write_text("region = = 5")
    home = rnbench_home
    if argv[0] == "home-is-a-file":
        home, argv = tmp_path / "home", argv[1:]
        home.write_text("not a folder")
    before = _digest(results_database())
    args = [a.replace("{dir}", str(tmp_path)) for a in argv]
    result = subprocess.run(
        [sys.executable, "-m", "rnbench.tui.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "RNBENCH_HOME": str(home)},
    )
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("rnbench"), result.stderr
    assert _digest(results_database()) == before

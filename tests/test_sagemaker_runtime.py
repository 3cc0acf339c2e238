"""SageMakerTarget's invoke path (boto3 sagemaker-runtime) against rnbench's local inference server.

moto answers invoke_endpoint with a JPEG body with HTTP 500, so the runtime path is tested against
the local server's `/endpoints/{name}/invocations` route: same client code, real ResNet-50 behind.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rnbench.core.backends.sagemaker import SageMakerTarget
from rnbench.core.loadgen.transport import InvokeError

pytest.importorskip("rnbench.inference.server")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ready = tmp_path_factory.mktemp("srv") / "ready.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rnbench.inference.server",
            "--runtime",
            "eager",
            "--port",
            "0",
            "--ready-file",
            str(ready),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert process.poll() is None, "inference server exited"
            assert time.monotonic() < deadline, "inference server not ready in 120 s"
            time.sleep(0.2)
        info = json.loads(ready.read_text())
        yield f"http://{info['host']}:{info['port']}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def test_invoke_endpoint_returns_top5(server: str, doggo_jpeg: bytes) -> None:
    target = SageMakerTarget("rnbench-c5-local", "us-east-1", endpoint_url=server)
    invoker = target.open(timeout_s=30)
    reply = invoker.invoke(doggo_jpeg)
    assert reply.status == 200
    assert len(reply.body) > 0 and b"{" in reply.body[:5]
    assert reply.server_ms is not None and reply.server_ms > 0
    # the client is shared by every invoker of the process
    assert target.open(30)._client is invoker._client  # noqa: SLF001


def test_bad_body_is_classified_by_error_code(server: str) -> None:
    target = SageMakerTarget("rnbench-c5-local", "us-east-1", endpoint_url=server)
    with pytest.raises(InvokeError) as caught:
        target.open(30).invoke(b"not an image")
    assert caught.value.kind not in ("timeout", "connection")
    assert "HTTP 4" in caught.value.detail


def test_unreachable_endpoint_is_a_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    target = SageMakerTarget("x", "us-east-1", endpoint_url=f"http://127.0.0.1:{port}")
    with pytest.raises(InvokeError) as caught:
        target.open(5).invoke(b"x")
    assert caught.value.kind == "connection"
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"

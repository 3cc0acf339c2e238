"""The real local inference server process, on 127.0.0.1, with the real ResNet-50."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rnbench.inference.contract import (
    BATCH_SIZE_HEADER,
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_DELAY_MS,
    MAX_BODY_BYTES,
    MODEL_TIME_HEADER,
    QUEUE_TIME_HEADER,
    SERVER_TIME_HEADER,
)

START_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Server:
    """A running server process and where it listens."""

    process: subprocess.Popen[bytes]
    port: int
    ready: dict[str, Any]
    ready_file: Path


def _home(factory: pytest.TempPathFactory) -> Path:
    home = factory.mktemp("server-home")
    shared = factory.getbasetemp() / "shared-cache"
    shared.mkdir(exist_ok=True)
    (home / "cache").symlink_to(shared)
    return home


def start_server(
    factory: pytest.TempPathFactory, *args: str, timeout_s: float = START_TIMEOUT_S
) -> Server:
    """Start `python -m rnbench.inference.server` on port 0 and wait for its ready file."""
    home = _home(factory)
    ready_file = home / "ready.json"
    env = {**os.environ, "RNBENCH_HOME": str(home)}
    env.pop("RNBENCH_WEIGHTS", None)
    command = [sys.executable, "-m", "rnbench.inference.server", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--ready-file", str(ready_file), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        if ready_file.exists():
            ready = json.loads(ready_file.read_text())
            return Server(process, int(ready["port"]), ready, ready_file)
        time.sleep(0.1)
    stop(process)
    stderr = process.stderr.read().decode() if process.stderr else ""
    raise AssertionError(f"server did not become ready: {stderr[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then SIGKILL after 15 s; returns the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
    return process.returncode


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory, "--runtime", "compiled")
    try:
        yield running
    finally:
        code = stop(running.process)
        if running.process.stderr:
            running.process.stderr.close()
    assert code == 0
    assert not running.ready_file.exists()


def request(
    port: int, method: str, path: str, body: bytes | None = None, content_type: str | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Content-Type": content_type} if content_type else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def check_top5(answer: dict[str, Any]) -> list[int]:
    top5 = answer["top5"]
    indices = [entry["index"] for entry in top5]
    probabilities = [entry["probability"] for entry in top5]
    assert len(set(indices)) == 5
    assert all(0 <= index < 1000 for index in indices)
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(p >= 0 for p in probabilities)
    assert sum(probabilities) <= 1.0 + 1e-6
    assert all(isinstance(entry["label"], str) and entry["label"] for entry in top5)
    return indices


def test_ready_file_describes_the_server(server: Server) -> None:
    ready = server.ready
    assert ready["host"] == "127.0.0.1"
    assert ready["pid"] == server.process.pid
    assert ready["runtime"] == "compiled"
    assert ready["device"] == "cpu"
    assert ready["weights"] in ("pretrained", "random")
    assert ready["torch_version"]
    assert request(server.port, "GET", "/ping")[0] == 200


def test_doggo_gets_a_top5_answer_with_timings(server: Server, doggo_jpeg: bytes) -> None:
    status, headers, body = request(
        server.port, "POST", "/invocations", doggo_jpeg, "application/x-image"
    )
    assert status == 200, body
    assert headers["content-type"] == "application/json"
    check_top5(json.loads(body))
    assert headers[BATCH_SIZE_HEADER] == "1"
    server_ms = float(headers[SERVER_TIME_HEADER])
    model_ms = float(headers[MODEL_TIME_HEADER])
    assert 0 < model_ms <= server_ms
    assert float(headers[QUEUE_TIME_HEADER]) >= 0


def test_boto3_sagemaker_runtime_gets_the_same_answer(server: Server, doggo_jpeg: bytes) -> None:
    import boto3

    direct = json.loads(request(server.port, "POST", "/invocations", doggo_jpeg, "image/jpeg")[2])
    client = boto3.client(
        "sagemaker-runtime",
        endpoint_url=f"http://127.0.0.1:{server.port}",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    reply = client.invoke_endpoint(
        EndpointName="local", ContentType="application/x-image", Body=doggo_jpeg
    )
    assert reply["ContentType"] == "application/json"
    via_boto3 = json.loads(reply["Body"].read())
    assert check_top5(via_boto3) == check_top5(direct)
    for a, b in zip(via_boto3["top5"], direct["top5"], strict=True):
        assert a["probability"] == pytest.approx(b["probability"], abs=1e-6)


def test_info_reports_runtime_and_agreement(server: Server) -> None:
    status, _, body = request(server.port, "GET", "/info")
    assert status == 200
    info = json.loads(body)
    assert info["runtime"] == "compiled"
    assert info["pid"] == server.process.pid
    assert info["onnxruntime_version"]
    agreement = info["agreement"]
    assert agreement["inputs"] >= 10  # real photographs, see rnbench.inference.natural_images
    assert agreement["top1_agreement"] == 1.0 and agreement["top5_agreement"] == 1.0
    assert 0 <= agreement["max_prob_deviation"] < 1e-4
    assert 0 <= agreement["mean_logit_deviation"] <= agreement["max_logit_deviation"] < 1e-3
    assert (info["max_batch"], info["max_delay_ms"]) == (DEFAULT_MAX_BATCH, DEFAULT_MAX_DELAY_MS)


@pytest.mark.parametrize(
    ("content_type", "body_kind", "status"),
    [
        ("application/x-image", "text", 400),
        ("image/jpeg", "truncated", 400),
        ("image/png", "bomb", 400),
        ("text/plain", "doggo", 415),
        (None, "doggo", 415),
    ],
)
def test_bad_input_gets_4xx_and_the_server_survives(
    server: Server, doggo_jpeg: bytes, content_type: str | None, body_kind: str, status: int
) -> None:
    from test_inference_preprocess import png_header_bomb

    bodies = {
        "text": b"this is not an image",
        "truncated": doggo_jpeg[: len(doggo_jpeg) // 2],
        "bomb": png_header_bomb(20_000, 20_000),
        "doggo": doggo_jpeg,
    }
    got, headers, body = request(
        server.port, "POST", "/invocations", bodies[body_kind], content_type
    )
    assert got == status
    message = json.loads(body)["error"]
    assert message and "\n" not in message
    assert request(server.port, "GET", "/ping")[0] == 200


def _raw(port: int, head: bytes, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(head)
        try:
            sock.sendall(payload)
        except OSError:
            pass  # the server may answer and close before reading everything
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def test_declared_oversized_body_is_413(server: Server) -> None:
    head = (
        f"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
        f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n"
    ).encode()
    reply = _raw(server.port, head, b"\xff" * 1024)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert request(server.port, "GET", "/ping")[0] == 200


def test_chunked_oversized_body_is_413(server: Server) -> None:
    head = (
        b"POST /endpoints/local/invocations HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"\xff" * (1 << 20)
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    count = MAX_BODY_BYTES // len(piece) + 2
    reply = _raw(server.port, head, chunk * count + b"0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert request(server.port, "GET", "/ping")[0] == 200


def test_concurrent_requests_queue_and_all_succeed(server: Server, doggo_jpeg: bytes) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def one(_: int) -> int:
        return request(server.port, "POST", "/invocations", doggo_jpeg, "image/jpeg")[0]

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(one, range(4))) == [200] * 4


def test_bad_weights_file_exits_2_with_one_line(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"garbage")
    home = _home(tmp_path_factory)
    result = subprocess.run(
        [sys.executable, "-m", "rnbench.inference.server", "--port", "0", "--weights", str(bad)],
        env={**os.environ, "RNBENCH_HOME": str(home)},
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1
    assert "bad.pth" in lines[0]
    assert "Traceback" not in lines[0]


def _png(name: str) -> bytes:
    import io

    import skimage.data
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(getattr(skimage.data, name)()).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


def test_dynamic_batching_answers_each_request_with_its_own_result(
    tmp_path_factory: pytest.TempPathFactory, doggo_jpeg: bytes
) -> None:
    """Two requests that coincide run as one batch of 2; each gets the answer it gets alone."""
    from concurrent.futures import ThreadPoolExecutor

    batching = start_server(
        tmp_path_factory, "--runtime", "eager", "--max-batch", "4", "--max-delay-ms", "400"
    )
    try:
        bodies = {"doggo": (doggo_jpeg, "image/jpeg"), "coffee": (_png("coffee"), "image/png")}
        alone = {}
        for name, (body, kind) in bodies.items():
            status, headers, answer = request(batching.port, "POST", "/invocations", body, kind)
            assert status == 200 and headers[BATCH_SIZE_HEADER] == "1"
            alone[name] = json.loads(answer)

        def send(name: str) -> tuple[str, http.client.HTTPMessage, dict[str, Any]]:
            body, kind = bodies[name]
            status, headers, answer = request(batching.port, "POST", "/invocations", body, kind)
            assert status == 200
            return name, headers, json.loads(answer)

        with ThreadPoolExecutor(max_workers=2) as pool:
            together = list(pool.map(send, ["doggo", "coffee"]))
    finally:
        assert stop(batching.process) == 0
        if batching.process.stderr:
            batching.process.stderr.close()
    assert alone["doggo"] != alone["coffee"]  # two different answers to tell apart
    for name, headers, answer in together:
        assert headers[BATCH_SIZE_HEADER] == "2"
        assert check_top5(answer) == check_top5(alone[name])
        for a, b in zip(answer["top5"], alone[name]["top5"], strict=True):
            assert a["probability"] == pytest.approx(b["probability"], abs=1e-4)
        assert float(headers[MODEL_TIME_HEADER]) <= float(headers[SERVER_TIME_HEADER])


def test_bad_batching_options_exit_2(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = _home(tmp_path_factory)
    for option in (["--max-batch", "0"], ["--max-delay-ms", "-1"], ["--max-delay-ms", "nan"]):
        result = subprocess.run(
            [sys.executable, "-m", "rnbench.inference.server", "--port", "0", *option],
            env={**os.environ, "RNBENCH_HOME": str(home)},
            capture_output=True,
            timeout=60,
        )
        assert result.returncode == 2
        assert "Traceback" not in result.stderr.decode()


def test_other_methods_and_paths_get_405_and_404(server: Server) -> None:
    for path in ("/invocations", "/endpoints/local/invocations"):
        status, headers, body = request(server.port, "GET", path)
        assert (status, headers["Allow"], body) == (405, "POST", b"Method Not Allowed")
    for path in ("/endpoints/a/b/invocations", "/invocations/x", "/nothing"):
        status, _, _ = request(server.port, "POST", path, b"x", "image/jpeg")
        assert status == 404, path
    assert request(server.port, "GET", "/ping")[0] == 200


def test_an_invocation_path_is_one_of_the_two_the_contract_names() -> None:
    from rnbench.inference.invocations import is_invocation

    assert is_invocation("/invocations") and is_invocation("/endpoints/my-endpoint/invocations")
    assert not is_invocation("/endpoints//invocations") and not is_invocation("/endpoints/a/b")
    assert not is_invocation("/endpoints/a/b/invocations") and not is_invocation("/ping")

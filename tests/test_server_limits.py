"""The real local server against misbehaving clients, over raw sockets on 127.0.0.1.

Oversized or over-numerous headers are refused (431) at once, clients that send their request
head or body too slowly (slowloris) are disconnected within the read timeouts, and a client that
disconnects mid-body is one log line, not a traceback. The server keeps answering throughout.
Requests with both Content-Length and Transfer-Encoding, absurd chunk sizes and bodies cut short
by a half-close are answered 400; after a storm of POSTs the next request still gets an answer
(503 with Retry-After past the queue limit). The timeouts and the queue limit are lowered on the
server's command line so the test stays quick.
"""

from __future__ import annotations

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

import pytest

from rnbench.inference.http_limits import HttpLimits

HEADER_TIMEOUT_S = 1.5
BODY_TIMEOUT_S = 1.5
MAX_QUEUE = 16
"""Invocations the server holds at once here (a storm is then quick to refuse)."""
LIMITS = HttpLimits()


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("limits-home")
    ready_file = home / "ready.json"
    log = home / "server.log"
    env = {**os.environ, "RNBENCH_HOME": str(home)}
    env.pop("RNBENCH_WEIGHTS", None)
    command = [sys.executable, "-m", "rnbench.inference.server", "--runtime", "eager"]
    command += ["--port", "0", "--ready-file", str(ready_file)]
    command += ["--header-timeout", str(HEADER_TIMEOUT_S), "--body-timeout", str(BODY_TIMEOUT_S)]
    command += ["--max-queue", str(MAX_QUEUE)]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while not ready_file.exists():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield Server(process, int(json.loads(ready_file.read_text())["port"]), log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert "Traceback" not in log.read_text(errors="replace")


def connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (b"" if it closes without answering)."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed `sock`, or None if still open after `seconds`."""
    start = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - start


def ping_ok(server: Server) -> bool:
    with connect(server) as sock:
        sock.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return answer(sock).startswith(b"HTTP/1.1 200")


def head(*headers: str) -> bytes:
    lines = ["GET /ping HTTP/1.1", "Host: x", *headers, "Connection: close", "", ""]
    return "\r\n".join(lines).encode()


def test_ordinary_headers_are_accepted(server: Server) -> None:
    headers = [f"X-Field-{n}: {'v' * 100}" for n in range(60)]  # 60 fields, about 7 KB
    with connect(server) as sock:
        sock.sendall(head(*headers))
        assert answer(sock).startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("pieces", [1, 25], ids=["one-write", "trickled"])
def test_a_100_kb_header_is_refused_at_once(server: Server, pieces: int) -> None:
    request = head("X-Big: " + "a" * 100_000)
    step = len(request) // pieces + 1
    started = time.monotonic()
    with connect(server) as sock:
        try:
            for start in range(0, len(request), step):
                sock.sendall(request[start : start + step])
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the whole head was sent
        reply = answer(sock)
    assert reply.startswith(b"HTTP/1.1 431") or reply == b"", reply[:200]
    assert time.monotonic() - started < 2.0
    assert ping_ok(server)


def test_2000_headers_are_refused(server: Server) -> None:
    with connect(server) as sock:
        sock.sendall(head(*(f"X-{n}: v" for n in range(2000))))
        reply = answer(sock)
    assert reply.startswith(b"HTTP/1.1 431"), reply[:200]
    assert b"2002 header fields" in reply
    assert ping_ok(server)


def test_slowloris_heads_are_closed_within_the_header_timeout(server: Server) -> None:
    socks = [connect(server) for _ in range(30)]
    try:
        for sock in socks:
            sock.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n")
        start = time.monotonic()
        open_socks = list(socks)
        while open_socks and time.monotonic() - start < HEADER_TIMEOUT_S + 3.0:
            for sock in list(open_socks):
                try:
                    sock.sendall(b"X-a: b\r\n")  # one more header field, never the blank line
                except (BrokenPipeError, ConnectionResetError):
                    open_socks.remove(sock)
            time.sleep(0.2)
        closed = [closed_within(sock, 0.5) for sock in socks]
        assert all(seconds is not None for seconds in closed), closed
        assert time.monotonic() - start < HEADER_TIMEOUT_S + 4.0
    finally:
        for sock in socks:
            sock.close()
    assert ping_ok(server)


def test_a_silent_connection_is_closed_within_the_header_timeout(server: Server) -> None:
    with connect(server) as sock:
        seconds = closed_within(sock, HEADER_TIMEOUT_S + 3.0)
    assert seconds is not None and seconds >= HEADER_TIMEOUT_S - 0.5


def test_a_trickled_body_is_closed_within_the_body_timeout(server: Server) -> None:
    before = server.log_text().count("request body not received")
    with connect(server) as sock:
        sock.sendall(
            b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
            b"Content-Length: 5000\r\n\r\n"
        )
        start = time.monotonic()
        try:
            while time.monotonic() - start < BODY_TIMEOUT_S + 3.0:
                sock.sendall(b"x")
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        seconds = closed_within(sock, 0.5)
    assert seconds is not None
    assert time.monotonic() - start < BODY_TIMEOUT_S + 3.0
    time.sleep(0.3)
    assert server.log_text().count("request body not received") == before + 1
    assert ping_ok(server)


def test_a_client_leaving_mid_body_is_one_log_line(server: Server) -> None:
    before = server.log_text()
    with connect(server) as sock:
        sock.sendall(
            b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
            b"Content-Length: 100000\r\n\r\n" + b"\xff" * 1000
        )
        time.sleep(0.3)  # the server is reading the body
    deadline = time.monotonic() + 5
    while server.log_text() == before and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    new = server.log_text()[len(before) :].strip().splitlines()
    assert len(new) == 1, new
    assert "disconnected before sending its whole request" in new[0]
    assert "Traceback" not in server.log_text()
    assert "Exception in ASGI application" not in server.log_text()
    assert ping_ok(server)


def post_head(*headers: str) -> bytes:
    lines = ["POST /invocations HTTP/1.1", "Host: x", "Content-Type: image/jpeg", *headers, "", ""]
    return "\r\n".join(lines).encode()


def test_both_content_length_and_transfer_encoding_are_refused_and_closed(
    server: Server, doggo_jpeg: bytes
) -> None:
    """RFC 9112 6.3: such a request may be an attempt at request smuggling; this server refuses
    it (400) and closes the connection, whatever follows on it."""
    chunked = f"{len(doggo_jpeg):x}\r\n".encode() + doggo_jpeg + b"\r\n0\r\n\r\n"
    smuggled = b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
    with connect(server) as sock:
        sock.sendall(
            post_head("Content-Length: 5", "Transfer-Encoding: chunked") + chunked + smuggled
        )
        reply = answer(sock)  # until the server closes: it must not keep the connection
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
    assert b"Content-Length and Transfer-Encoding" in reply
    assert reply.count(b"HTTP/1.1 ") == 1  # the request after it was never read
    assert ping_ok(server)


def test_an_absurd_chunk_size_is_refused_at_once(server: Server) -> None:
    started = time.monotonic()
    with connect(server) as sock:
        sock.sendall(post_head("Transfer-Encoding: chunked") + b"ffffffffffffffff\r\nabc")
        reply = answer(sock)
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
    assert b"chunk" in reply
    assert time.monotonic() - started < BODY_TIMEOUT_S  # not left to the body timeout
    assert ping_ok(server)


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_body_cut_short_by_a_half_close_is_answered_400(server: Server, framing: str) -> None:
    if framing == "content-length":
        request = post_head("Content-Length: 5000") + b"\xff" * 100
    else:
        request = post_head("Transfer-Encoding: chunked") + b"1388\r\n" + b"\xff" * 100
    with connect(server) as sock:
        sock.sendall(request)
        time.sleep(0.2)  # the server is reading the body
        sock.shutdown(socket.SHUT_WR)  # the client says it sends nothing more
        reply = answer(sock)
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
    assert ping_ok(server)


def test_a_whole_request_then_a_half_close_still_gets_its_answer(
    server: Server, doggo_jpeg: bytes
) -> None:
    with connect(server) as sock:
        sock.sendall(post_head(f"Content-Length: {len(doggo_jpeg)}") + doggo_jpeg)
        sock.shutdown(socket.SHUT_WR)
        reply = answer(sock)
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]


def status_line(reply: bytes) -> bytes:
    return reply.split(b"\r\n", 1)[0]


def test_after_a_storm_of_500_posts_the_next_request_gets_an_answer(
    server: Server, doggo_jpeg: bytes
) -> None:
    from rnbench.core.loadgen.transport import HttpTarget, InvokeError

    request = post_head(f"Content-Length: {len(doggo_jpeg)}", "Connection: close") + doggo_jpeg
    storm = [connect(server) for _ in range(500)]
    try:
        for sock in storm:
            sock.sendall(request)
        started = time.monotonic()
        invoker = HttpTarget("127.0.0.1", server.port, "/invocations").open(10.0)
        try:
            invoker.invoke(doggo_jpeg)  # the load generator's own client, right after
        except InvokeError as error:
            assert error.kind == "http_503", error  # counted as such by the load generator
        finally:
            invoker.close()
        assert time.monotonic() - started < 10.0  # not after the 500 before it
        replies = [answer(sock) for sock in storm]
    finally:
        for sock in storm:
            sock.close()
    statuses = [status_line(reply) for reply in replies]
    assert set(statuses) <= {b"HTTP/1.1 200 OK", b"HTTP/1.1 503 Service Unavailable"}, statuses
    refused = [reply for reply in replies if status_line(reply).startswith(b"HTTP/1.1 503")]
    assert refused  # past the queue limit
    assert all(b"\r\nretry-after: 1\r\n" in reply.lower() for reply in refused)
    assert ping_ok(server)

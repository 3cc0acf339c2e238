"""The lean HTTP client of the load workers: replies framed every way HTTP/1.1 allows."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from rnbench.core.loadgen.transport import HttpTarget, InvokeError
from rnbench.core.loadgen.transport.rawhttp import RawHttpInvoker


@contextmanager
def canned_server(replies: list[bytes]) -> Iterator[tuple[HttpTarget, list[bytes]]]:
    """Answers each request with the next reply; a reply ending in b"<close>" closes after it.
    Yields the target and the raw requests received (one entry per recv)."""
    listener = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve() -> None:
        pending = list(replies)
        while pending:
            conn, _ = listener.accept()
            with conn:
                while pending:
                    data = conn.recv(65536)
                    if not data:
                        break
                    received.append(data)
                    reply = pending.pop(0)
                    close = reply.endswith(b"<close>")
                    conn.sendall(reply.removesuffix(b"<close>"))
                    if close:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield HttpTarget("127.0.0.1", listener.getsockname()[1]), received
    finally:
        listener.close()
        thread.join(5)


def test_keep_alive_content_length_and_server_time() -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Rnbench-Inference-Ms: 2.5\r\n\r\nhello"
    with canned_server([ok, ok]) as (target, received):
        invoker = RawHttpInvoker(target, 5.0)
        first, second = invoker.invoke(b"body"), invoker.invoke(b"body")
        invoker.close()
    assert (first.status, first.body, first.server_ms) == (200, b"hello", 2.5)
    assert second.body == b"hello"
    assert received[0].startswith(b"POST /invocations HTTP/1.1\r\n")
    assert b"Content-Length: 4\r\n" in received[0] and received[0].endswith(b"\r\n\r\nbody")


def test_the_batch_size_header_is_read_as_http_client_reads_it() -> None:
    batched = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Rnbench-Batch-Size: 3\r\n\r\nok"
    alone = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    with canned_server([batched, alone]) as (target, _):
        invoker = RawHttpInvoker(target, 5.0)
        first, second = invoker.invoke(b"body"), invoker.invoke(b"body")
        invoker.close()
    assert (first.batch_size, second.batch_size) == (3, None)


def test_chunked_reply_and_error_status() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"
    )
    busy = b"HTTP/1.1 503 Busy\r\ncontent-length: 4\r\n\r\nbusy"
    with canned_server([chunked, busy]) as (target, _):
        invoker = RawHttpInvoker(target, 5.0)
        assert invoker.invoke(b"x").body == b"abcde"
        with pytest.raises(InvokeError) as caught:
            invoker.invoke(b"x")
        invoker.close()
    assert caught.value.kind == "http_503" and caught.value.detail == "busy"


def test_connection_close_and_close_delimited_body_reconnect() -> None:
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok<close>"
    unframed = b"HTTP/1.0 200 OK\r\n\r\nuntil close<close>"
    with canned_server([closing, unframed]) as (target, received):
        invoker = RawHttpInvoker(target, 5.0)
        assert invoker.invoke(b"x").body == b"ok"
        assert invoker.invoke(b"x").body == b"until close"
        invoker.close()
    assert len(received) == 2


def test_a_dropped_connection_is_a_connection_error() -> None:
    with canned_server([b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort<close>"]) as (
        target,
        _,
    ):
        invoker = RawHttpInvoker(target, 5.0)
        with pytest.raises(InvokeError) as caught:
            invoker.invoke(b"x")
    assert caught.value.kind == "connection"


def test_no_listener_is_a_connection_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(InvokeError) as caught:
        RawHttpInvoker(HttpTarget("127.0.0.1", port), 1.0).invoke(b"x")
    assert caught.value.kind == "connection"

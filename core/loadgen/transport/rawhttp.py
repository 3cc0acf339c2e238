"""A lean keep-alive HTTP/1.1 client for one load worker: one socket, one request at a time.

`http.client` builds a message object, parses headers through `email` and allocates several
buffers per request, which costs more CPU than a fast endpoint spends answering. This client
sends the same pre-built request bytes every time (the load generator's body never changes),
reads the reply into one reused buffer and looks only at the status, `Content-Length`,
`Transfer-Encoding`, `Connection` and the server-time header. Chunked replies and replies that
end at connection close are read too, so any endpoint with the SageMaker contract works.
"""

from __future__ import annotations

import socket

from rnbench.core.loadgen.transport.base import (
    CONNECTION,
    TIMEOUT,
    HttpAddress,
    InvokeError,
    Reply,
)
from rnbench.inference.contract import BATCH_SIZE_HEADER, SERVER_TIME_HEADER

_SERVER_TIME = SERVER_TIME_HEADER.lower().encode("ascii") + b":"
_BATCH_SIZE = BATCH_SIZE_HEADER.lower().encode("ascii") + b":"
_MAX_HEAD = 65_536
_RECV = 65_536


class _Closed(Exception):
    """The server closed the connection before the reply was complete."""


class RawHttpInvoker:
    """A keep-alive HTTP/1.1 connection with TCP_NODELAY; reconnects after a failure."""

    def __init__(self, target: HttpAddress, timeout_s: float) -> None:
        self._target = target
        self._timeout_s = timeout_s
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._body: bytes | None = None
        self._request = b""
        host = f"{target.host}:{target.port}"
        self._head = (
            f"POST {target.path} HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: {target.content_type}\r\nAccept: application/json\r\n"
        ).encode("latin-1")

    def invoke(self, body: bytes) -> Reply:
        if body is not self._body:
            self._body = body
            self._request = self._head + b"Content-Length: %d\r\n\r\n" % len(body) + body
        try:
            if self._sock is None:
                self._sock = socket.create_connection(
                    (self._target.host, self._target.port), self._timeout_s
                )
                self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._buffer = b""
            self._sock.sendall(self._request)
            status, data, server_time, batch_size, keep = self._read_reply(self._sock)
            if not keep:
                self.close()
        except TimeoutError as exc:
            self.close()
            raise InvokeError(TIMEOUT, str(exc)) from exc
        except (OSError, _Closed, ValueError) as exc:
            self.close()
            raise InvokeError(CONNECTION, f"{type(exc).__name__}: {exc}") from exc
        if status != 200:
            raise InvokeError(f"http_{status}", data[:200].decode("utf-8", "replace"))
        try:
            server_ms = float(server_time) if server_time is not None else None
        except ValueError:
            server_ms = None
        batch = int(batch_size) if batch_size is not None and batch_size.isdigit() else None
        return Reply(status, data, server_ms, batch)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._buffer = b""

    def _recv(self, sock: socket.socket) -> bytes:
        chunk = sock.recv(_RECV)
        if not chunk:
            raise _Closed("connection closed by the server")
        return chunk

    def _read_reply(
        self, sock: socket.socket
    ) -> tuple[int, bytes, bytes | None, bytes | None, bool]:
        """(status, body, server-time and batch-size header values, keep the connection open)."""
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        while end < 0:
            if len(buffer) > _MAX_HEAD:
                raise ValueError("reply headers too long")
            buffer += self._recv(sock)
            end = buffer.find(b"\r\n\r\n")
        lines = buffer[:end].split(b"\r\n")
        rest = buffer[end + 4 :]
        status_line = lines[0].split(None, 2)
        if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/1."):
            raise ValueError(f"not an HTTP reply: {lines[0][:80]!r}")
        status = int(status_line[1])
        keep = status_line[0] == b"HTTP/1.1"
        length: int | None = None
        chunked = False
        server_time: bytes | None = None
        batch_size: bytes | None = None
        for line in lines[1:]:
            lower = line.lower()
            if lower.startswith(b"content-length:"):
                length = int(line[15:])
            elif lower.startswith(b"transfer-encoding:"):
                chunked = b"chunked" in lower
            elif lower.startswith(b"connection:"):
                keep = b"close" not in lower if keep else b"keep-alive" in lower
            elif lower.startswith(_SERVER_TIME):
                server_time = line[len(_SERVER_TIME) :].strip()
            elif lower.startswith(_BATCH_SIZE):
                batch_size = line[len(_BATCH_SIZE) :].strip()
        if chunked:
            data, rest = self._read_chunked(sock, rest)
        elif length is not None:
            while len(rest) < length:
                rest += self._recv(sock)
            data, rest = rest[:length], rest[length:]
        elif status in (204, 304) or 100 <= status < 200:
            data = b""
        else:  # the body ends when the server closes the connection
            parts = [rest]
            while chunk := sock.recv(_RECV):
                parts.append(chunk)
            data, rest, keep = b"".join(parts), b"", False
        self._buffer = rest
        return status, data, server_time, batch_size, keep

    def _read_chunked(self, sock: socket.socket, buffer: bytes) -> tuple[bytes, bytes]:
        parts: list[bytes] = []
        while True:
            end = buffer.find(b"\r\n")
            while end < 0:
                buffer += self._recv(sock)
                end = buffer.find(b"\r\n")
            size = int(buffer[:end].split(b";", 1)[0], 16)
            buffer = buffer[end + 2 :]
            if size == 0:  # last chunk; skip trailers up to the empty line
                while not (buffer.startswith(b"\r\n") or b"\r\n\r\n" in buffer):
                    buffer += self._recv(sock)
                cut = 2 if buffer.startswith(b"\r\n") else buffer.find(b"\r\n\r\n") + 4
                return b"".join(parts), buffer[cut:]
            while len(buffer) < size + 2:
                buffer += self._recv(sock)
            parts.append(buffer[:size])
            buffer = buffer[size + 2 :]

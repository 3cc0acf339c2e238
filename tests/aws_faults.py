"""A fault-injecting stand-in for AWS on 127.0.0.1, for the control-plane failure tests.

`FaultyAws(mode, moto_url)` listens on a free loopback port. STS requests (told apart by the
credential scope in their Authorization header) are passed to the moto server when `sts_ok`, so
credentials check out; every other request gets the fault:

- `"500"`: an HTTP 500 with an empty body (botocore retries it, then gives up);
- `"hang"`: the connection is accepted and the request read, then nothing is ever answered.

`closed_port_url()` is a URL where nothing listens (connection refused).
"""

from __future__ import annotations

import http.client
import socket
import socketserver
import threading
import urllib.parse
from types import TracebackType
from typing import BinaryIO, Literal

Mode = Literal["500", "hang"]


def closed_port_url() -> str:
    """A loopback URL with no listener (the port was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class FaultyAws:
    """See the module docstring; a context manager yielding itself, `.url` to point boto3 at."""

    def __init__(self, mode: Mode, moto_url: str | None = None, sts_ok: bool = True) -> None:
        self.mode = mode
        self.moto_url = moto_url
        self.sts_ok = sts_ok and moto_url is not None
        self.faulted: list[str] = []
        """Authorization scopes (`sagemaker`, `sts`, ...) of the requests that got the fault."""
        self._stop = threading.Event()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FaultyAws:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[socketserver.StreamRequestHandler]:
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                while not outer._stop.is_set():
                    request = _read_request(self.rfile)
                    if request is None:
                        return
                    method, target, headers, body = request
                    scope = _service(headers.get("authorization", ""))
                    if scope == "sts" and outer.sts_ok:
                        self.wfile.write(outer._forward(method, target, headers, body))
                        continue
                    outer.faulted.append(scope)
                    if outer.mode == "hang":
                        outer._stop.wait()
                        return
                    self.wfile.write(
                        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"
                    )

        return Handler

    def _forward(self, method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
        assert self.moto_url is not None
        where = urllib.parse.urlsplit(self.moto_url)
        connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
        try:
            connection.request(method, target, body=body, headers=headers)
            reply = connection.getresponse()
            data = reply.read()
        finally:
            connection.close()
        head = f"HTTP/1.1 {reply.status} {reply.reason}\r\n"
        for name, value in reply.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                head += f"{name}: {value}\r\n"
        head += f"Content-Length: {len(data)}\r\n\r\n"
        return head.encode("latin-1") + data


def _read_request(rfile: BinaryIO) -> tuple[str, str, dict[str, str], bytes] | None:
    line = rfile.readline(65537)
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = rfile.readline(65537).decode("latin-1")
        if raw in ("\r\n", "\n", ""):
            break
        name, _, value = raw.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = rfile.read(int(headers.get("content-length", "0") or 0))
    return method, target, headers, bytes(body)


def _service(authorization: str) -> str:
    """`sts` from `AWS4-HMAC-SHA256 Credential=KEY/20260101/us-east-1/sts/aws4_request, ...`."""
    scope = authorization.partition("Credential=")[2].split(",")[0].split("/")
    return scope[3] if len(scope) > 3 else "?"

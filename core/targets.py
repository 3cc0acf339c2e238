"""What the load generator talks to: a picklable `Target` that opens per-worker `Invoker`s.

A target crosses into load-generator processes, so it is a small frozen dataclass; the
connection it opens (a keep-alive HTTP connection, a boto3 client) is made inside the worker.
Failed requests raise `InvokeError` with a `kind` that classifies them; the load generator counts
kinds and never stops a run because of one.
"""

from __future__ import annotations

import http.client
import socket
from dataclasses import dataclass
from typing import Protocol

from rnbench.inference.contract import BATCH_SIZE_HEADER, INVOCATIONS_PATH, SERVER_TIME_HEADER

# Error kinds. HTTP statuses are reported as `http_<status>`; SageMaker errors by botocore code.
TIMEOUT = "timeout"
CONNECTION = "connection"
MODEL_ERROR = "model_error"
"""The server answered but its body was not a valid prediction."""


class InvokeError(Exception):
    """One failed request, classified by `kind` (`timeout`, `connection`, `http_503`, ...)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Reply:
    """A successful response."""

    status: int
    body: bytes
    server_ms: float | None = None
    """The server's own processing time when it reports one (local server header)."""
    batch_size: int | None = None
    """How many requests the server ran together with this one, when it says (local server)."""


class Invoker(Protocol):
    """One worker's connection to a target. Not shared between threads."""

    def invoke(self, body: bytes) -> Reply:
        """Send one request. Raises InvokeError on any failure."""
        ...

    def close(self) -> None: ...


class Target(Protocol):
    """A deployed model that can be invoked; picklable."""

    def describe(self) -> str:
        """One line naming where requests go."""
        ...

    def open(self, timeout_s: float) -> Invoker:
        """A new invoker for one worker thread."""
        ...


@dataclass(frozen=True)
class HttpTarget:
    """An HTTP endpoint speaking the SageMaker container contract (the local server)."""

    host: str
    port: int
    path: str = INVOCATIONS_PATH
    content_type: str = "application/x-image"

    def describe(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    def open(self, timeout_s: float) -> Invoker:
        from rnbench.core.rawhttp import RawHttpInvoker  # imports this module

        return RawHttpInvoker(self, timeout_s)


class HttpInvoker:
    """A keep-alive HTTP/1.1 connection with TCP_NODELAY through `http.client`; reconnects after
    a failure. `HttpTarget` uses the leaner `rawhttp.RawHttpInvoker`; this one is the reference
    its tests compare against."""

    def __init__(self, target: HttpTarget, timeout_s: float) -> None:
        self._target = target
        self._timeout_s = timeout_s
        self._conn: http.client.HTTPConnection | None = None
        self._headers = {"Content-Type": target.content_type, "Accept": "application/json"}

    def _connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(
            self._target.host, self._target.port, timeout=self._timeout_s
        )
        conn.connect()
        assert conn.sock is not None
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def invoke(self, body: bytes) -> Reply:
        try:
            if self._conn is None:
                self._conn = self._connect()
            self._conn.request("POST", self._target.path, body=body, headers=self._headers)
            response = self._conn.getresponse()
            data = response.read()
            server_time = response.getheader(SERVER_TIME_HEADER)
            batch_size = response.getheader(BATCH_SIZE_HEADER)
            if response.will_close:
                self.close()
        except TimeoutError as exc:
            self.close()
            raise InvokeError(TIMEOUT, str(exc)) from exc
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise InvokeError(CONNECTION, f"{type(exc).__name__}: {exc}") from exc
        if response.status != 200:
            raise InvokeError(f"http_{response.status}", data[:200].decode("utf-8", "replace"))
        try:
            server_ms = float(server_time) if server_time is not None else None
        except ValueError:
            server_ms = None
        batch = int(batch_size) if batch_size is not None and batch_size.isdigit() else None
        return Reply(response.status, data, server_ms, batch)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

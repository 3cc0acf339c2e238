"""HTTP targets: the local server and any URL speaking the SageMaker container contract.

`HttpTarget` opens the lean `rawhttp.RawHttpInvoker`; `HttpInvoker` (through `http.client`) is
the reference its tests compare against.
"""

from __future__ import annotations

import http.client
import socket
from dataclasses import dataclass

from rnbench.core.loadgen.transport.base import (
    CONNECTION,
    TIMEOUT,
    HttpAddress,
    InvokeError,
    Invoker,
    Reply,
)
from rnbench.core.loadgen.transport.rawhttp import RawHttpInvoker
from rnbench.inference.contract import BATCH_SIZE_HEADER, INVOCATIONS_PATH, SERVER_TIME_HEADER


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
        return RawHttpInvoker(self, timeout_s)


class HttpInvoker:
    """A keep-alive HTTP/1.1 connection with TCP_NODELAY through `http.client`; reconnects after
    a failure. `HttpTarget` uses the leaner `rawhttp.RawHttpInvoker`; this one is the reference
    its tests compare against."""

    def __init__(self, target: HttpAddress, timeout_s: float) -> None:
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

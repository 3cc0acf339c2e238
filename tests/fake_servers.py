"""A deterministic HTTP test server for the load generator's tests.

It speaks `POST /invocations` over HTTP/1.1 keep-alive (asyncio, in a thread of the test
process, on 127.0.0.1:0) with a fixed service time, a known concurrency limit (a semaphore:
requests past it queue), an optional periodic stall (requests arriving during a stall wait for
its end), and optional error injection (every k-th request answered 503, or its connection
dropped). It reports the service time in the local server's header, like the real server.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import psutil

from rnbench.core.backends.protocol import Deployment, ServerLatency, State, Status
from rnbench.core.configs import Configuration
from rnbench.core.engine import Engine
from rnbench.core.loadgen.transport import HttpTarget, InvokeError, Invoker, Reply
from rnbench.core.paths import results_database
from rnbench.inference.contract import INVOCATIONS_PATH, SERVER_TIME_HEADER
from rnbench.results.prices import PriceBook
from rnbench.results.store import RunStore

_BODY = b'{"top5": []}'


@dataclass(frozen=True)
class Behaviour:
    """What the fake server does with each request."""

    service_s: float = 0.05
    """Time spent serving one request (0: answer at once)."""
    limit: int = 64
    """Requests served at once; more wait in a queue."""
    stall_every_s: float | None = None
    """Period of stalls, from the server's start."""
    stall_s: float = 1.0
    """Length of each stall: requests arriving in it wait for its end."""
    error_every: int = 0
    """Answer every k-th request with 503 (0: never)."""
    drop_every: int = 0
    """Drop the connection of every k-th request without answering (0: never)."""


class FakeServer:
    """Context manager: `with FakeServer(Behaviour(...)) as server: server.target`."""

    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.behaviour = behaviour or Behaviour()
        self.requests = 0
        self.peak_in_service = 0
        self._in_service = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._origin = time.monotonic()
        self.port = 0

    @property
    def target(self) -> HttpTarget:
        return HttpTarget("127.0.0.1", self.port, INVOCATIONS_PATH)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def die(self) -> None:
        """Stop serving at once, as a crashed server does: open connections are dropped and
        new ones refused."""
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)

    async def _serve(self) -> asyncio.Server:
        self._semaphore = asyncio.Semaphore(self.behaviour.limit)
        self._origin = time.monotonic()
        return await asyncio.start_server(self._handle, "127.0.0.1", 0)

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                if not await self._answer(head, writer):
                    return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _answer(self, head: bytes, writer: asyncio.StreamWriter) -> bool:
        behaviour = self.behaviour
        self.requests += 1
        number = self.requests
        if not head.startswith(b"POST " + INVOCATIONS_PATH.encode() + b" "):
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            return True
        if behaviour.drop_every and number % behaviour.drop_every == 0:
            writer.transport.abort()
            return False
        if behaviour.stall_every_s is not None:
            phase = (time.monotonic() - self._origin) % behaviour.stall_every_s
            if phase < behaviour.stall_s:
                await asyncio.sleep(behaviour.stall_s - phase)
        async with self._semaphore:
            self._in_service += 1
            self.peak_in_service = max(self.peak_in_service, self._in_service)
            started = time.perf_counter()
            if behaviour.service_s > 0:
                await asyncio.sleep(behaviour.service_s)
            served_ms = (time.perf_counter() - started) * 1000.0
            self._in_service -= 1
        if behaviour.error_every and number % behaviour.error_every == 0:
            status, body = b"503 Service Unavailable", b'{"error": "injected"}'
        else:
            status, body = b"200 OK", _BODY
        writer.write(
            b"HTTP/1.1 "
            + status
            + b"\r\nContent-Type: application/json\r\n"
            + SERVER_TIME_HEADER.encode()
            + b": "
            + f"{served_ms:.3f}".encode()
            + b"\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
        await writer.drain()
        return True


class _FlakyInvoker:
    """Raises a client-side bug (ValueError) on every k-th request, else behaves normally."""

    def __init__(self, inner: Invoker, every: int, exit_after: int) -> None:
        self._inner = inner
        self._every = every
        self._exit_after = exit_after
        self._calls = 0

    def invoke(self, body: bytes) -> Reply:
        self._calls += 1
        if self._exit_after and self._calls >= self._exit_after:
            os._exit(3)  # a hard crash of the load process
        if self._every and self._calls % self._every == 0:
            raise ValueError("bug in the client")
        return self._inner.invoke(body)

    def close(self) -> None:
        self._inner.close()


@dataclass(frozen=True)
class FlakyTarget:
    """An HTTP target whose client misbehaves: a bug every k-th call, or a crash after n calls."""

    inner: HttpTarget
    bug_every: int = 0
    exit_after: int = 0

    def describe(self) -> str:
        return "flaky " + self.inner.describe()

    def open(self, timeout_s: float) -> _FlakyInvoker:
        return _FlakyInvoker(self.inner.open(timeout_s), self.bug_every, self.exit_after)


class MemoryInvoker:
    """An in-process invoker with no network: answers at once, stops a loop after n calls."""

    def __init__(self, calls: int, stop: threading.Event) -> None:
        self.calls = 0
        self._limit = calls
        self._stop = stop
        self._reply = Reply(200, _BODY, 1.5)

    def invoke(self, body: bytes) -> Reply:
        self.calls += 1
        if self.calls >= self._limit:
            self._stop.set()
        if self.calls % 10 == 0:
            raise InvokeError("http_503")
        return self._reply

    def close(self) -> None:
        pass


def load_processes() -> list[psutil.Process]:
    """Processes spawned by multiprocessing below this one (Python's resource tracker aside)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


class ServedBackend:
    """A backend whose every configuration is in service on one fake server."""

    name = "local"

    def __init__(self, server: FakeServer) -> None:
        self._server = server

    def region(self) -> str:
        return ""

    def unavailable_reason(self, config: Configuration) -> str | None:
        return None

    def describe(self, config: Configuration) -> Status:
        target = self._server.target
        deployment = Deployment(config.key, "local", "fake", target, time.time())
        return Status(config.key, State.IN_SERVICE, deployment=deployment)

    def server_latency(
        self, deployment: Deployment, start: float, end: float
    ) -> ServerLatency | None:
        return None

    def owned(self) -> list[Deployment]:
        return []


def served_engine(server: FakeServer) -> Engine:
    """An engine on the results database of RNBENCH_HOME whose every configuration is served
    by `server` (no price)."""
    store = RunStore(results_database())
    store.mark_interrupted()
    backend = ServedBackend(server)
    no_prices = PriceBook.load(Path("/nonexistent/prices.toml"))
    return Engine({"local": backend, "sagemaker": backend}, store, no_prices)  # type: ignore[dict-item]

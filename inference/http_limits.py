"""Limits that keep one misbehaving HTTP client from holding or bloating the local server.

uvicorn's h11 protocol, as shipped, accepts a request head of any size when it arrives in one
read, any number of header fields, and waits forever for a head or a body that trickles in
(slowloris). `protocol_class(limits)` returns an h11 protocol that:

- answers 431 and closes when the request line and headers exceed `max_header_bytes`, or there
  are more than `max_headers` header fields (h11 alone only bounds heads still incomplete);
- closes a connection whose request head has not fully arrived `header_timeout_s` after the
  server started waiting for it (connection opened, or previous response sent), and one whose
  body has not fully arrived `body_timeout_s` after its head;
- answers 400 and closes, at once, a request with both Content-Length and Transfer-Encoding
  (RFC 9112 6.3 allows either refusing it or ignoring Content-Length, and asks to close the
  connection after either: such a request may be an attempt at request smuggling, so it is
  refused), and one whose chunk size is larger than a whole body may be (`max_body_bytes`;
  `ffffffffffffffff` would otherwise wait for the body timeout);
- answers 400 when the client half-closes its side before its body arrived (h11 alone leaves
  uvicorn to close without a status), and still sends the answer to a whole request that was
  followed by a half-close.

`DisconnectGuard` wraps the app so that a client leaving before its request body was read is one
log line instead of uvicorn's "Exception in ASGI application" traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import h11
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import STATUS_PHRASES, H11Protocol

from rnbench.inference.contract import MAX_BODY_BYTES

log = logging.getLogger("rnbench.server")


@dataclass(frozen=True)
class HttpLimits:
    """How much of a client's request the server accepts, and how long it waits for it."""

    max_header_bytes: int = 32 * 1024
    """Request line plus header fields, in bytes (nginx's default is 4 buffers of 8 KiB)."""
    max_headers: int = 100
    """Header fields per request (Apache's LimitRequestFields default)."""
    header_timeout_s: float = 10.0
    """Seconds a request head may take to arrive once the server waits for one."""
    body_timeout_s: float = 30.0
    """Seconds a request body may take to arrive once its head has."""
    max_body_bytes: int = MAX_BODY_BYTES
    """The largest body the server reads: a chunk declared larger is refused at once."""


class Refused(h11.RemoteProtocolError):
    """A request this server refuses by its own rules: answered with its status and reason."""


class HeadTooLarge(Refused):
    """A complete request head over the limits: answered 431."""


class _LimitedConnection(h11.Connection):
    """An h11 server connection that refuses request heads over `limits`."""

    def __init__(self, limits: HttpLimits) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=limits.max_header_bytes)
        self._limits = limits
        self.refusal: h11.RemoteProtocolError | None = None
        """Why the last request was refused (read by the protocol to pick the status)."""

    def next_event(self) -> Any:
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as error:
            self.refusal = error
            raise
        if isinstance(event, h11.Request):
            reason = _head_over_limits(event, self._limits)
            if reason is not None:
                self._refuse(HeadTooLarge(reason, error_status_hint=431))
            if _both_framings(event):
                self._refuse(Refused("both Content-Length and Transfer-Encoding: refused"))
        chunk = getattr(self._reader, "_bytes_in_chunk", 0)  # h11's ChunkedReader, when chunked
        if chunk > self._limits.max_body_bytes:
            self._refuse(
                Refused(
                    f"a chunk of {chunk} bytes: a body is at most {self._limits.max_body_bytes}"
                )
            )
        return event

    def _refuse(self, refusal: h11.RemoteProtocolError) -> None:
        self._process_error(self.their_role)
        self.refusal = refusal
        raise refusal


def _both_framings(request: h11.Request) -> bool:
    names = {name.lower() for name, _ in request.headers}
    return b"content-length" in names and b"transfer-encoding" in names


def _head_over_limits(request: h11.Request, limits: HttpLimits) -> str | None:
    if len(request.headers) > limits.max_headers:
        return f"{len(request.headers)} header fields (at most {limits.max_headers})"
    size = len(request.method) + len(request.target) + 12
    size += sum(len(name) + len(value) + 4 for name, value in request.headers)
    if size > limits.max_header_bytes:
        return f"request head of {size} bytes (at most {limits.max_header_bytes})"
    return None


class LimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with `HttpLimits` (set by `protocol_class`)."""

    limits = HttpLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _LimitedConnection(self.limits)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_for = ""
        self._half_closed = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm("request head", self.limits.header_timeout_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_state()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._half_closed:  # the client sends nothing more: the answer was the last word
            self.transport.close()
        self._follow_state()

    def _follow_state(self) -> None:
        """Keep the one deadline that matches what the client owes the server now."""
        if self.transport is None or self.transport.is_closing():
            self._disarm()
            return
        state = self.conn.their_state
        if state is h11.IDLE and self.conn.our_state is h11.IDLE:
            if self._waiting_for != "request head":
                self._arm("request head", self.limits.header_timeout_s)
        elif state is h11.SEND_BODY:
            if self._waiting_for != "request body":
                self._arm("request body", self.limits.body_timeout_s)
        else:
            self._disarm()

    def _arm(self, what: str, seconds: float) -> None:
        self._disarm()
        self._waiting_for = what
        self._deadline = self.loop.call_later(seconds, self._timed_out, what, seconds)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._waiting_for = ""

    def _timed_out(self, what: str, seconds: float) -> None:
        self._deadline = None
        self._waiting_for = ""
        if self.transport.is_closing():
            return
        client = _address(self.client)
        log.warning(
            "closed the connection from %s: %s not received within %g s", client, what, seconds
        )
        self.transport.close()

    def eof_received(self) -> bool | None:  # type: ignore[override]  # asyncio allows True
        """The client half-closed: a body still owed is a bad request (400); an answer still
        owed is sent, and the connection closed after it."""
        if self._can_answer() and self.conn.their_state is h11.SEND_BODY:
            # the app says, in one log line, that the client left before its whole request
            self._answer_and_close(400, "the client ended its request before its whole body")
            return None
        if self.cycle is not None and not self.cycle.response_complete:
            self._half_closed = True
            return True  # keep the transport open for the answer
        return None

    def _can_answer(self) -> bool:
        """No response has begun on this connection's current request."""
        started = self.cycle is not None and self.cycle.response_started
        return not started and self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE)

    def send_400_response(self, msg: str) -> None:
        if not self._can_answer():  # a response has begun: nothing more can be said
            self.transport.close()
            return
        refusal = getattr(self.conn, "refusal", None)
        status = refusal.error_status_hint if refusal is not None else 400
        if status == 400 and not isinstance(refusal, Refused):
            super().send_400_response(msg)
            return
        if not isinstance(refusal, Refused):  # h11's bound on a head still arriving
            refusal = HeadTooLarge(f"request head over {self.limits.max_header_bytes} bytes")
        log.warning("refused a request: %s", refusal)
        self._answer_and_close(status, str(refusal))

    def _answer_and_close(self, status: int, reason: str) -> None:
        text = f"{STATUS_PHRASES[status].decode()}: {reason}\n"
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
        self.transport.write(
            self.conn.send(
                h11.Response(status_code=status, headers=headers, reason=STATUS_PHRASES[status])
            )
            or b""
        )
        self.transport.write(self.conn.send(h11.Data(data=text.encode())) or b"")
        self.transport.write(self.conn.send(h11.EndOfMessage()) or b"")
        self.transport.close()


def _address(client: Any) -> str:
    if not client:
        return "a client"
    host, port = client[0], client[1]
    return f"{host}:{port}"


def protocol_class(limits: HttpLimits) -> type[LimitedH11Protocol]:
    """The protocol class to pass as uvicorn's `http=`, enforcing `limits`."""
    return type("LimitedH11Protocol", (LimitedH11Protocol,), {"limits": limits})


class DisconnectGuard:
    """ASGI wrapper: a client that disconnects before its body was read is one log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            where = _address(scope.get("client"))
            log.warning("%s disconnected before sending its whole request", where)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The server's command-line options for `HttpLimits`."""
    default = HttpLimits()
    group = parser.add_argument_group("HTTP limits")
    group.add_argument("--max-header-bytes", type=int, default=default.max_header_bytes)
    group.add_argument("--max-headers", type=int, default=default.max_headers)
    group.add_argument(
        "--header-timeout",
        type=float,
        default=default.header_timeout_s,
        help="seconds a request head may take to arrive (default %(default)s)",
    )
    group.add_argument(
        "--body-timeout",
        type=float,
        default=default.body_timeout_s,
        help="seconds a request body may take to arrive after its head (default %(default)s)",
    )


def from_arguments(args: argparse.Namespace) -> HttpLimits:
    return HttpLimits(
        max_header_bytes=args.max_header_bytes,
        max_headers=args.max_headers,
        header_timeout_s=args.header_timeout,
        body_timeout_s=args.body_timeout,
    )


def uvicorn_options(limits: HttpLimits) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.Config` that enforce `limits`."""
    return {
        "http": protocol_class(limits),
        "h11_max_incomplete_event_size": limits.max_header_bytes,
    }

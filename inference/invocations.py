"""`POST /invocations` (and SageMaker Runtime's `/endpoints/NAME/invocations`) straight on ASGI.

Every request of a load test comes here, so it skips what Starlette adds per request (its error
and exception middleware, routing, Request and Response objects) and answers with two ASGI
messages. Everything else (`/ping`, `/info`, unknown paths) goes to the Starlette app behind it.
The answers are those of the container contract: 200 with the top-5 JSON and the server's
timings in headers; 503 while loading; 415 for another content type; 413 (and close) for a body
over the limit; 503 with Retry-After past `max_queue` held requests (the body still read, so the
connection stays usable); 400 for a bad image; 500 when the model fails; 405 for another method.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from rnbench.inference.contract import (
    BATCH_SIZE_HEADER,
    EXTRA_CONTENT_TYPES,
    IMAGE_CONTENT_TYPES,
    INVOCATIONS_PATH,
    MAX_BODY_BYTES,
    MODEL_TIME_HEADER,
    QUEUE_TIME_HEADER,
    RETRY_AFTER_S,
    SERVER_TIME_HEADER,
)
from rnbench.inference.preprocess import BadImage
from rnbench.inference.service import InferenceService

log = logging.getLogger("rnbench.server")
ACCEPTED_TYPES = frozenset(IMAGE_CONTENT_TYPES + EXTRA_CONTENT_TYPES)
Headers = Iterable[tuple[bytes, bytes]]
TIMING_HEADERS = tuple(
    name.lower().encode()
    for name in (SERVER_TIME_HEADER, MODEL_TIME_HEADER, QUEUE_TIME_HEADER, BATCH_SIZE_HEADER)
)
"""The answer's timing header names, as ASGI sends them (lower-case bytes)."""


class TooLarge(Exception):
    """The request body is over MAX_BODY_BYTES."""


def is_invocation(path: str) -> bool:
    """`/invocations`, or `/endpoints/NAME/invocations` with one path segment as the name."""
    if path == INVOCATIONS_PATH:
        return True
    name = path.removeprefix("/endpoints/").removesuffix(INVOCATIONS_PATH)
    return (
        path.startswith("/endpoints/")
        and path.endswith(INVOCATIONS_PATH)
        and bool(name)
        and "/" not in name
    )


class InvocationsApp:
    """The invocations of `service`, holding at most `max_queue` at once; other paths: `other`."""

    def __init__(self, service: InferenceService, max_queue: int, other: ASGIApp) -> None:
        self.service = service
        self.max_queue = max_queue
        self.other = other
        self.held = 0
        """Invocations past the door: their body read, decoded, waiting for or in a batch."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_invocation(scope["path"]):
            await self.other(scope, receive, send)
            return
        if scope["method"] != "POST":
            allow = [(b"allow", b"POST")]
            await _answer(send, 405, b"Method Not Allowed", allow, b"text/plain; charset=utf-8")
            return
        if not self.service.ready:
            await _error(send, 503, "model is still loading")
            return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        content_type = content_type.split(";")[0].strip().lower()
        if content_type not in ACCEPTED_TYPES:
            shown = content_type or "none"
            accepted = ", ".join(sorted(ACCEPTED_TYPES))
            await _error(send, 415, f"unsupported content type {shown}: send one of {accepted}")
            return
        self.held += 1
        try:
            await self._invoke(headers, receive, send, self.held > self.max_queue)
        finally:
            self.held -= 1

    async def _invoke(
        self, headers: dict[bytes, bytes], receive: Receive, send: Send, overloaded: bool
    ) -> None:
        try:
            body = await _read_body(headers, receive, MAX_BODY_BYTES)
        except TooLarge:
            # The rest of the body is never read, so the connection cannot be reused.
            message = f"request body over {MAX_BODY_BYTES} bytes"
            await _error(send, 413, message, [(b"connection", b"close")])
            return
        if overloaded:  # read all the same, so that the connection stays usable
            message = f"overloaded: {self.max_queue} requests already held"
            await _error(send, 503, message, [(b"retry-after", str(RETRY_AFTER_S).encode())])
            return
        try:
            answer = await self.service.infer(body)
        except BadImage as error:
            await _error(send, 400, str(error))
            return
        except Exception as error:  # the model failing must not take the server down
            log.error("inference failed: %s", " ".join(str(error).split())[:300])
            await _error(send, 500, "inference failed")
            return
        values = (
            f"{answer.server_ms:.3f}",
            f"{answer.model_ms:.3f}",
            f"{answer.queue_ms:.3f}",
            str(answer.batch_size),
        )
        timings = [(n, v.encode()) for n, v in zip(TIMING_HEADERS, values, strict=True)]
        await _answer(send, 200, answer.body, timings)


async def _read_body(headers: dict[bytes, bytes], receive: Receive, limit: int) -> bytes:
    """The whole request body. Raises TooLarge past `limit`, ClientDisconnect if the client
    leaves first."""
    declared = headers.get(b"content-length", b"")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        body += message.get("body", b"")
        if len(body) > limit:
            raise TooLarge
        if not message.get("more_body", False):
            return bytes(body)


async def _error(send: Send, status: int, message: str, headers: Headers = ()) -> None:
    """`{"error": message}` as Starlette's JSONResponse renders it."""
    body = json.dumps({"error": message}, ensure_ascii=False, separators=(",", ":"))
    await _answer(send, status, body.encode("utf-8"), headers)


async def _answer(
    send: Send,
    status: int,
    body: bytes,
    headers: Headers = (),
    media_type: bytes = b"application/json",
) -> None:
    head = [(b"content-length", str(len(body)).encode()), (b"content-type", media_type)]
    await send({"type": "http.response.start", "status": status, "headers": [*head, *headers]})
    await send({"type": "http.response.body", "body": body})

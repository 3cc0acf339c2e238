"""What the load generator talks to: a picklable `Target` that opens per-worker `Invoker`s.

A target crosses into load-generator processes, so it is a small frozen dataclass; the
connection it opens (a keep-alive HTTP connection, a boto3 client) is made inside the worker.
Failed requests raise `InvokeError` with a `kind` that classifies them; the load generator counts
kinds and never stops a run because of one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

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


class HttpAddress(Protocol):
    """Where an HTTP target sends its requests (what an HTTP invoker needs of its target)."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    @property
    def path(self) -> str: ...

    @property
    def content_type(self) -> str: ...

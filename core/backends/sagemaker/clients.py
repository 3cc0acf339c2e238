"""The one place control-plane boto3 clients are made: short timeouts, bounded retries.

Control-plane calls (SageMaker, STS, S3, Price List, CloudWatch) answer in well under a second
when AWS is healthy, so a call that has not connected within CONNECT_TIMEOUT_S or answered
within READ_TIMEOUT_S is treated as AWS being unreachable rather than waited on. botocore's
standard retry mode retries throttling, 5xx answers, connection errors and timeouts with
jittered backoff, at most MAX_ATTEMPTS attempts in all, so one call gives up after about
MAX_ATTEMPTS * (READ_TIMEOUT_S + 1) seconds. S3 moves model archives, so its reads may wait
longer. The data plane (`sagemaker-runtime`, see runtime.py) keeps the user's `--timeout`.

Every client notes, per thread, which operation it last started, so a failure can be named in
one line: `AWS unreachable: SageMaker ListEndpoints timed out (...)`. And once a call to an
endpoint URL has timed out or could not connect, further calls to that URL fail at once with
the same reason for SKIP_FOR_S (a circuit breaker): a TUI describing five configurations, or
`rnbench configs` pricing three instance types, waits for one timeout, not one per call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

from rnbench.core.errors import ControlPlaneError

if TYPE_CHECKING:
    from rnbench.core.backends.sagemaker.settings import SageMakerSettings

CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 3.0
S3_READ_TIMEOUT_S = 60.0
"""S3 reads wait on archive transfers (multipart upload parts), not on a quick API answer."""
MAX_ATTEMPTS = 2
"""Attempts per call, the first included (botocore's `total_max_attempts`)."""
UNREACHABLE = "AWS unreachable"
"""How each connection or timeout failure begins (a TUI row: `unknown (AWS unreachable)`)."""
SKIP_FOR_S = 30.0
"""How long an endpoint URL that timed out or refused connections is not asked again."""
SERVICE_NAMES = {
    "sagemaker": "SageMaker",
    "sts": "STS",
    "s3": "S3",
    "pricing": "Price List",
    "cloudwatch": "CloudWatch",
}

_last_call = threading.local()
_down_lock = threading.Lock()
_down: dict[str, tuple[float, str]] = {}
"""endpoint URL -> (monotonic time it failed, the one-line reason)."""


def control_config(service: str) -> Any:
    """The botocore Config every control-plane client of `service` is made with."""
    from botocore.config import Config

    return Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=S3_READ_TIMEOUT_S if service == "s3" else READ_TIMEOUT_S,
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    )


def control_client(settings: SageMakerSettings, service: str, region: str | None = None) -> Any:
    """A boto3 client for a control-plane `service` (boto3 honours AWS_ENDPOINT_URL itself).

    Raises:
        BackendUnavailable: the settings' profile does not exist.
    """
    session: Any = settings.session()
    client = session.client(service, region_name=region, config=control_config(service))
    url = str(client.meta.endpoint_url)
    client.meta.events.register("before-call", partial(_before_call, url))
    client.meta.events.register("after-call-error", partial(_after_error, url))
    return client


def _before_call(url: str, event_name: str = "", **_: Any) -> None:
    """before-call.<service>.<Operation>: note the call; refuse it while `url` is down."""
    parts = event_name.split(".")
    if len(parts) >= 3:
        _last_call.name = f"{SERVICE_NAMES.get(parts[1], parts[1])} {parts[2]}"
    if getattr(_last_call, "insist", False):
        return
    with _down_lock:
        down = _down.get(url)
    if down is not None and time.monotonic() - down[0] < SKIP_FOR_S:
        raise ControlPlaneError(down[1])


@contextmanager
def insisting() -> Iterator[None]:
    """Within this block this thread's calls are made even to an endpoint known to be down.

    For deletions (teardown, cleaning up a failed deploy): giving up at once there could leave
    billed resources behind that a retry a moment later would have removed.
    """
    before = getattr(_last_call, "insist", False)
    _last_call.insist = True
    try:
        yield
    finally:
        _last_call.insist = before


def _after_error(url: str, exception: Exception | None = None, **_: Any) -> None:
    """after-call-error: a call gave up on `url` (after botocore's retries); remember why."""
    if exception is None:
        return
    reason = failure(exception)
    if str(reason).startswith(UNREACHABLE):
        with _down_lock:
            _down[url] = (time.monotonic(), str(reason))


def forget_failures() -> None:
    """Ask every endpoint again (tests; after the network is back)."""
    with _down_lock:
        _down.clear()


def last_call() -> str:
    """`SageMaker ListEndpoints`: the control-plane operation this thread started last."""
    return str(getattr(_last_call, "name", "AWS call"))


def failure(error: Exception) -> ControlPlaneError:
    """A one-line ControlPlaneError naming the call that failed and why."""
    import botocore.exceptions as bx

    call = last_call()
    first = " ".join((str(error).strip().splitlines() or [""])[0].split())[:200]
    if isinstance(error, ControlPlaneError):
        return error
    if isinstance(error, bx.ReadTimeoutError | bx.ConnectTimeoutError):
        return ControlPlaneError(
            f"{UNREACHABLE}: {call} timed out after {MAX_ATTEMPTS} attempts ({first})"
        )
    if isinstance(error, bx.EndpointConnectionError | bx.ConnectionError | bx.HTTPClientError):
        return ControlPlaneError(f"{UNREACHABLE}: {call}: {first}")
    if isinstance(error, bx.ClientError):
        info = error.response.get("Error", {})
        code = str(info.get("Code") or "error")
        message = " ".join(str(info.get("Message", "")).split())[:200]
        return ControlPlaneError(f"{call} failed: {code}" + (f": {message}" if message else ""))
    return ControlPlaneError(f"{call} failed: {type(error).__name__}: {first}")

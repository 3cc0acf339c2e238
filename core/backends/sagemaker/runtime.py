"""What the load generator sends requests through: `sagemaker-runtime.invoke_endpoint`.

One boto3 call costs about 1 ms of client CPU, so a process tops out near 800 calls/s; the load
generator therefore runs several processes, each with ONE shared client (boto3 clients are
thread-safe) sized for its threads. No hidden retries (`total_max_attempts=1`): a retry would hide
throttling and add backoff to the measured latency. Failures are classified by botocore error
code (`ThrottlingException`, `ModelError`, ...), or `timeout` / `connection`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from rnbench.core.loadgen.transport import CONNECTION, TIMEOUT, InvokeError, Reply

CONTENT_TYPE = "application/x-image"
MAX_POOL = 64
"""Connections per shared client; at least the threads of one load-generator process."""
CONNECT_TIMEOUT_S = 5.0

_clients: dict[tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()


def runtime_client(
    region: str, profile: str | None, endpoint_url: str | None, read_timeout_s: float
) -> Any:
    """The process-wide `sagemaker-runtime` client for these settings (created once, shared)."""
    key = (region, profile, endpoint_url, read_timeout_s)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                max_pool_connections=MAX_POOL,
                connect_timeout=CONNECT_TIMEOUT_S,
                read_timeout=read_timeout_s,
                retries={"total_max_attempts": 1},
                tcp_keepalive=True,
            )
            session = boto3.Session(profile_name=profile, region_name=region)
            client = session.client("sagemaker-runtime", endpoint_url=endpoint_url, config=config)
            _clients[key] = client
        return client


@dataclass(frozen=True)
class SageMakerTarget:
    """A SageMaker endpoint, invoked with `application/x-image` bodies; picklable."""

    endpoint_name: str
    region: str
    profile: str | None = None
    endpoint_url: str | None = None
    """Override of the runtime endpoint (None: boto3 decides, honouring AWS_ENDPOINT_URL)."""

    def describe(self) -> str:
        where = self.endpoint_url or self.region
        return f"sagemaker endpoint {self.endpoint_name} ({where})"

    def open(self, timeout_s: float) -> SageMakerInvoker:
        client = runtime_client(self.region, self.profile, self.endpoint_url, timeout_s)
        return SageMakerInvoker(client, self.endpoint_name)


class SageMakerInvoker:
    """One worker's handle on the shared client."""

    def __init__(self, client: Any, endpoint_name: str) -> None:
        self._client = client
        self._endpoint = endpoint_name

    def invoke(self, body: bytes) -> Reply:
        import botocore.exceptions as bx

        try:
            response = self._client.invoke_endpoint(
                EndpointName=self._endpoint,
                ContentType=CONTENT_TYPE,
                Accept="application/json",
                Body=body,
            )
            data = response["Body"].read()
        except bx.ClientError as error:
            info = error.response.get("Error", {})
            code = str(info.get("Code") or "ClientError")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            detail = str(info.get("Message", ""))[:200]
            raise InvokeError(code, f"HTTP {status}: {detail}" if status else detail) from None
        except (bx.ReadTimeoutError, bx.ConnectTimeoutError) as error:
            raise InvokeError(TIMEOUT, str(error)) from None
        except (bx.EndpointConnectionError, bx.ConnectionError, bx.HTTPClientError) as error:
            raise InvokeError(CONNECTION, str(error)) from None
        except bx.BotoCoreError as error:
            raise InvokeError(type(error).__name__, str(error)) from None
        status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 200))
        return Reply(status, data, _server_ms(response))

    def close(self) -> None:
        """The client is shared by the process; nothing to close per worker."""


def _server_ms(response: dict[str, Any]) -> float | None:
    """The local server's own time header, when the endpoint is rnbench's local server."""
    from rnbench.inference.contract import SERVER_TIME_HEADER

    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    value = headers.get(SERVER_TIME_HEADER.lower())
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None

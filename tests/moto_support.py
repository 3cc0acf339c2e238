"""Fixture helpers for the SageMaker tests: a moto server on 127.0.0.1 and a backend pointed at it.

The backend is not told about moto: AWS_ENDPOINT_URL in the environment redirects boto3, which is
exactly how a user would point rnbench at an emulator.
"""

from __future__ import annotations

import types
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

ROLE = "arn:aws:iam::123456789012:role/rnbench-test"
REGION = "us-east-1"


def start_moto() -> Iterator[str]:
    """Run a ThreadedMotoServer on a free loopback port; yields its URL; stops it afterwards."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def reset_moto(url: str) -> None:
    """Forget every resource the server holds."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def point_at(monkeypatch: pytest.MonkeyPatch, url: str, tmp_dir: Any) -> None:
    """Environment for a fake AWS account at `url` (no real profile or credential file used)."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "RNBENCH_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_dir / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_dir / "no-aws-credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("RNBENCH_ROLE_ARN", ROLE)
    from rnbench.core.backends.sagemaker.identity import clear_identity_cache

    clear_identity_cache()


def fail_call(client: Any, operation: str, code: str, message: str, status: int = 400) -> None:
    """Make every `operation` call on `client` fail with a botocore ClientError `code`."""

    def answer(**_: Any) -> tuple[Any, dict[str, Any]]:
        http = types.SimpleNamespace(status_code=status, headers={})
        return http, {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {}}

    client.meta.events.register(f"before-call.sagemaker.{operation}", answer)


def rewrite_reply(client: Any, operation: str, **fields: Any) -> None:
    """Overwrite fields of each successful `operation` reply (moto completes everything at once)."""

    def rewrite(parsed: dict[str, Any], **_: Any) -> None:
        if "Error" not in parsed:
            parsed.update(fields)

    client.meta.events.register(f"after-call.sagemaker.{operation}", rewrite)


def rnbench_resources(sm: Any) -> dict[str, list[str]]:
    """Names of everything named rnbench-* in the moto account."""
    return {
        "endpoints": [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]],
        "endpoint_configs": [
            c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]
        ],
        "models": [m["ModelName"] for m in sm.list_models()["Models"]],
    }

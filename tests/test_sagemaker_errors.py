"""Failure paths of the SageMaker backend: a one-line DeployError and nothing left behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from moto_support import fail_call, point_at, reset_moto, rewrite_reply, start_moto

from rnbench.core.backends.sagemaker import SageMakerBackend, SageMakerSettings, resources
from rnbench.core.configs import get_configuration
from rnbench.core.errors import DeployError, TeardownError


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    for url in start_moto():
        reset_moto(url)
        yield url


@pytest.fixture
def backend(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> SageMakerBackend:
    """Uploaded archives stay in moto's S3 across tests (reused by hash, as they would be)."""
    point_at(monkeypatch, moto_url, tmp_path)
    return SageMakerBackend(SageMakerSettings.resolve(), poll_s=0.0)


def _nothing_left(backend: SageMakerBackend) -> None:
    sm = backend.client("sagemaker")
    assert sm.list_endpoints()["Endpoints"] == []
    assert sm.list_endpoint_configs()["EndpointConfigs"] == []
    assert sm.list_models()["Models"] == []


@pytest.mark.parametrize(
    ("operation", "code", "message"),
    [
        ("CreateEndpoint", "AccessDenied", "User is not authorized to perform CreateEndpoint"),
        ("CreateEndpoint", "ResourceLimitExceeded", "account-level service limit for ml.c5.xlarge"),
        ("CreateEndpointConfig", "ValidationException", "Invalid instance type"),
        ("CreateModel", "AccessDenied", "Could not access model data"),
    ],
)
def test_api_error_is_one_line_and_cleans_up(
    backend: SageMakerBackend, operation: str, code: str, message: str
) -> None:
    fail_call(backend.client("sagemaker"), operation, code, message)
    with pytest.raises(DeployError) as caught:
        backend.deploy(get_configuration("c5"))
    text = str(caught.value)
    assert "\n" not in text and code in text and message in text and text.startswith("c5:")
    _nothing_left(backend)


def test_compilation_failed_surfaces_failure_reason(backend: SageMakerBackend) -> None:
    sm = backend.client("sagemaker")
    rewrite_reply(
        sm,
        "DescribeCompilationJob",
        CompilationJobStatus="FAILED",
        FailureReason="ClientError: InputConfiguration: Unable to load\nPyTorch model",
    )
    with pytest.raises(DeployError) as caught:
        backend.deploy(get_configuration("inf1"))
    text = str(caught.value)
    assert "FAILED" in text and "Unable to load PyTorch model" in text and "\n" not in text
    _nothing_left(backend)


def test_endpoint_failed_is_reported_and_deleted(backend: SageMakerBackend) -> None:
    rewrite_reply(
        backend.client("sagemaker"),
        "DescribeEndpoint",
        EndpointStatus="Failed",
        FailureReason="The primary container for production variant AllTraffic did not pass "
        "the ping health check.",
    )
    with pytest.raises(DeployError) as caught:
        backend.deploy(get_configuration("g4dn"))
    assert "ping health check" in str(caught.value)
    _nothing_left(backend)


def test_untagged_resources_are_refused(backend: SageMakerBackend) -> None:
    sm = backend.client("sagemaker")
    sm.create_model(
        ModelName="rnbench-c5-forged",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/x",
        PrimaryContainer={"Image": "example/image:1"},
    )
    with pytest.raises(TeardownError, match="refusing"):
        resources.delete_model(sm, "rnbench-c5-forged", lambda m: None)
    assert backend.teardown(get_configuration("c5")) is False
    assert [m["ModelName"] for m in sm.list_models()["Models"]] == ["rnbench-c5-forged"]

"""Asking SageMaker about an endpoint rnbench did not create: read-only calls, never a delete.

`DescribeEndpoint` says whether it exists and is InService; `DescribeEndpointConfig` what it
runs on, recorded with its results. Nothing here changes, tags or deletes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rnbench.core.backends.sagemaker import resources as res
from rnbench.core.backends.sagemaker.clients import failure


@dataclass(frozen=True)
class EndpointFacts:
    """What DescribeEndpoint (and its endpoint configuration) say of an endpoint."""

    name: str
    status: str
    """SageMaker's EndpointStatus: `InService`, `Creating`, `Updating`, `Failed`, ..."""
    created_at: float
    """CreationTime, seconds since the epoch."""
    instance_type: str
    """The first production variant's instance type, `serverless`, or `unknown`."""
    failure_reason: str = ""


def describe_endpoint(sm: Any, name: str) -> EndpointFacts | None:
    """The endpoint's facts, or None when no endpoint has that name in the client's region.

    Raises:
        ControlPlaneError: AWS did not answer or refused the call (the message names it).
    """
    try:
        answer = sm.describe_endpoint(EndpointName=name)
    except Exception as error:
        if res.is_missing(error):
            return None
        raise failure(error) from None
    created = answer.get("CreationTime")
    return EndpointFacts(
        name,
        str(answer.get("EndpointStatus", "")),
        created.timestamp() if hasattr(created, "timestamp") else 0.0,
        _instance_type(sm, str(answer.get("EndpointConfigName", ""))),
        str(answer.get("FailureReason", "")),
    )


def _instance_type(sm: Any, config_name: str) -> str:
    """Best effort: the endpoint configuration may be gone or unreadable with these rights."""
    try:
        variants = sm.describe_endpoint_config(EndpointConfigName=config_name)["ProductionVariants"]
    except Exception:  # noqa: BLE001 - only a recorded fact is lost, never the test
        return "unknown"
    if not variants:
        return "unknown"
    first = variants[0]
    if "ServerlessConfig" in first:
        return "serverless"
    return str(first.get("InstanceType") or "unknown")

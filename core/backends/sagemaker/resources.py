"""Finding, waiting on and deleting rnbench's SageMaker resources, tag-checked before each delete.

The tags on the resources are the only record of what rnbench owns, so a crashed caller's
endpoints are found again. A resource without `rnbench:managed=true` is never deleted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rnbench.core.backends.sagemaker import naming
from rnbench.core.configs import SERVERLESS_INSTANCE as SERVERLESS
from rnbench.core.errors import TeardownError

Progress = Callable[[str], None]
WAIT_LIMIT_S = 3600.0
"""Longest any wait (InService, deletion, compilation) may last."""


def code_of(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", type(error).__name__))


def message_of(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    text = str(response.get("Error", {}).get("Message", "")) or str(error)
    return " ".join(text.split())[:300]


def is_missing(error: Exception) -> bool:
    """True for the errors SageMaker gives for a resource that does not exist."""
    text = message_of(error).lower()
    return code_of(error) in ("ResourceNotFound", "ValidationException") and (
        "could not find" in text or "does not exist" in text or "not found" in text
    )


def elapsed(start: float) -> str:
    seconds = int(time.monotonic() - start)
    return f"{seconds // 60}m{seconds % 60:02d}s"


@dataclass(frozen=True)
class OwnedEndpoint:
    """An endpoint carrying rnbench's tags."""

    name: str
    arn: str
    status: str
    config_key: str
    created_at: float
    endpoint_config: str
    instance_type: str
    tags: dict[str, str]
    failure_reason: str = ""


def tags_of(sm: Any, arn: str) -> dict[str, str]:
    pages = sm.get_paginator("list_tags").paginate(ResourceArn=arn)
    found: dict[str, str] = naming.as_dict(t for page in pages for t in page.get("Tags", []))
    return found


def _created(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else time.time()


def owned_endpoints(sm: Any, config_key: str | None = None) -> list[OwnedEndpoint]:
    """rnbench-tagged endpoints in the region (for one configuration when given)."""
    found: list[OwnedEndpoint] = []
    pages = sm.get_paginator("list_endpoints").paginate(NameContains=naming.PREFIX)
    for summary in (e for page in pages for e in page.get("Endpoints", [])):
        tag_map = tags_of(sm, summary["EndpointArn"])
        if not naming.is_owned(tag_map):
            continue
        key = tag_map.get(naming.CONFIG, "")
        if config_key is not None and key != config_key:
            continue
        try:
            detail = sm.describe_endpoint(EndpointName=summary["EndpointName"])
            config = sm.describe_endpoint_config(EndpointConfigName=detail["EndpointConfigName"])
            variant = config["ProductionVariants"][0]
            serverless = "ServerlessConfig" in variant
            instance = SERVERLESS if serverless else str(variant.get("InstanceType", "?"))
        except Exception as error:
            if is_missing(error):
                continue
            raise
        found.append(
            OwnedEndpoint(
                summary["EndpointName"],
                summary["EndpointArn"],
                str(detail.get("EndpointStatus", "")),
                key,
                _created(summary.get("CreationTime")),
                str(detail["EndpointConfigName"]),
                instance,
                tag_map,
                str(detail.get("FailureReason", "") or ""),
            )
        )
    return found


def wait_until(
    check: Callable[[], str | None], what: str, progress: Progress, poll_s: float
) -> str:
    """Poll `check` (returns None while pending, else a final state) until done.

    Raises:
        TimeoutError: still pending after WAIT_LIMIT_S.
    """
    start = time.monotonic()
    while True:
        state = check()
        if state is not None:
            return state
        if time.monotonic() - start > WAIT_LIMIT_S:
            raise TimeoutError(f"{what}: still pending after {elapsed(start)}")
        progress(f"{what} ({elapsed(start)})")
        time.sleep(poll_s)


def _owned_or_refuse(sm: Any, arn: str, name: str) -> bool:
    """True when the resource is rnbench's; False when it no longer exists.

    Raises:
        TeardownError: the resource exists and is not rnbench's.
    """
    try:
        tag_map = tags_of(sm, arn)
    except Exception as error:
        if is_missing(error):
            return False
        raise TeardownError(f"cannot read tags of {name}: {message_of(error)}") from None
    if not naming.is_owned(tag_map):
        raise TeardownError(f"refusing to delete {name}: not tagged {naming.MANAGED}=true")
    return True


def delete_endpoint(sm: Any, name: str, progress: Progress, poll_s: float) -> bool:
    """Delete an rnbench endpoint and wait until it is gone; False when it did not exist."""
    try:
        arn = sm.describe_endpoint(EndpointName=name)["EndpointArn"]
        if not _owned_or_refuse(sm, arn, name):
            return False
        progress(f"deleting endpoint {name}")
        sm.delete_endpoint(EndpointName=name)
    except TeardownError:
        raise
    except Exception as error:
        if is_missing(error):
            return False
        raise TeardownError(f"cannot delete endpoint {name}: {message_of(error)}") from None

    def gone() -> str | None:
        try:
            sm.describe_endpoint(EndpointName=name)
        except Exception as error:
            if is_missing(error):
                return "gone"
            raise
        return None

    try:
        wait_until(gone, f"waiting for {name} to be deleted", progress, poll_s)
    except Exception as error:
        raise TeardownError(f"endpoint {name} not deleted: {message_of(error)}") from None
    return True


def delete_endpoint_config(sm: Any, name: str, progress: Progress) -> bool:
    """Delete an rnbench endpoint config; False when it is missing or not rnbench's."""
    return _delete_tagged(
        sm,
        f"endpoint config {name}",
        lambda: str(sm.describe_endpoint_config(EndpointConfigName=name)["EndpointConfigArn"]),
        lambda: sm.delete_endpoint_config(EndpointConfigName=name),
        progress,
    )


def delete_model(sm: Any, name: str, progress: Progress) -> bool:
    """Delete an rnbench model; False when it is missing or not rnbench's."""
    return _delete_tagged(
        sm,
        f"model {name}",
        lambda: str(sm.describe_model(ModelName=name)["ModelArn"]),
        lambda: sm.delete_model(ModelName=name),
        progress,
    )


def _delete_tagged(
    sm: Any, what: str, arn: Callable[[], str], delete: Callable[[], object], progress: Progress
) -> bool:
    """Look the resource up, check it carries rnbench's tag, then delete it."""
    name = what.rsplit(" ", 1)[-1]
    try:
        if not _owned_or_refuse(sm, arn(), name):
            return False
        progress(f"deleting {what}")
        delete()
        return True
    except TeardownError:
        raise
    except Exception as error:
        if is_missing(error):
            return False
        raise TeardownError(f"cannot delete {what}: {message_of(error)}") from None


def owned_names(sm: Any, kind: str, config_key: str | None) -> list[str]:
    """Names of rnbench-tagged models (`kind="model"`) or endpoint configs (`"endpoint_config"`)."""
    op, items, name_key, arn_key = {
        "model": ("list_models", "Models", "ModelName", "ModelArn"),
        "endpoint_config": (
            "list_endpoint_configs",
            "EndpointConfigs",
            "EndpointConfigName",
            "EndpointConfigArn",
        ),
    }[kind]
    prefix = naming.PREFIX + (f"-{config_key}-" if config_key else "")
    names = []
    for page in sm.get_paginator(op).paginate(NameContains=prefix):
        for item in page.get(items, []):
            tag_map = tags_of(sm, item[arn_key])
            if naming.is_owned(tag_map) and (
                config_key is None or tag_map.get(naming.CONFIG) == config_key
            ):
                names.append(str(item[name_key]))
    return names

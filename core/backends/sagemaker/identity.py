"""Who the caller is on AWS (STS), and whether rnbench can act on SageMaker with these settings.

Apart from settings.py so that settings stay a plain value the client factory (clients.py) can
take, while this module asks AWS through that factory.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rnbench.core.backends.sagemaker.clients import control_client, failure, forget_failures
from rnbench.core.backends.sagemaker.settings import (
    ROLE_ENV,
    SageMakerSettings,
    profile_problem,
    region_problem,
)
from rnbench.core.errors import BackendUnavailable

NO_CREDENTIALS = "no AWS credentials (configure a profile, or use --profile)"


@dataclass(frozen=True)
class Identity:
    """What STS said about the caller."""

    account: str | None
    """The AWS account id; None when it could not be found."""
    reason: str | None
    """One line saying why there is no account; None when there is one."""
    failing: bool = False
    """AWS was asked and did not answer or refused: what is deployed there is unknown."""


_identity_lock = threading.Lock()
_identity_cache: dict[SageMakerSettings, Identity] = {}


def identity(settings: SageMakerSettings) -> Identity:
    """The caller's identity from STS get_caller_identity (cached per settings)."""
    with _identity_lock:
        if settings in _identity_cache:
            return _identity_cache[settings]
    result = _ask_sts(settings)
    with _identity_lock:
        _identity_cache[settings] = result
    return result


def caller_account(settings: SageMakerSettings) -> tuple[str | None, str | None]:
    """(account id, None) from STS get_caller_identity, or (None, one-line reason). Cached."""
    found = identity(settings)
    return found.account, found.reason


def clear_identity_cache() -> None:
    """Forget cached STS answers (after the user fixes credentials; tests)."""
    with _identity_lock:
        _identity_cache.clear()
    forget_failures()


def _ask_sts(settings: SageMakerSettings) -> Identity:
    import botocore.exceptions

    try:
        session = settings.session()
        if session.get_credentials() is None:
            return Identity(None, NO_CREDENTIALS)
        sts = control_client(settings, "sts")
        account = sts.get_caller_identity()["Account"]
        return Identity(str(account), None)
    except BackendUnavailable as error:
        return Identity(None, str(error))
    except botocore.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "error")
        return Identity(None, f"AWS credentials rejected ({code})", failing=True)
    except botocore.exceptions.BotoCoreError as error:
        return Identity(None, str(failure(error)), failing=True)


def control_plane_failure(settings: SageMakerSettings) -> str | None:
    """One line when AWS was asked and failed (unreachable, refused), else None.

    None also when the settings are incomplete or wrong (no region, role or credentials; an
    unknown profile or region): then rnbench is simply not set up for SageMaker here, which
    `unavailable_reason` explains, and AWS is not asked.
    """
    if setup_problem(settings) is not None:
        return None
    found = identity(settings)
    return found.reason if found.failing else None


def setup_problem(settings: SageMakerSettings) -> str | None:
    """One line when the profile or the region is missing or wrong, without a network call
    (a region botocore does not know is never sent to the network); else None."""
    if settings.profile is not None:
        problem = profile_problem(settings.profile)
        if problem is not None:
            return problem
    if not settings.region:
        return "no AWS region (set AWS_REGION, use --region, or configure a profile)"
    return region_problem(settings.region)


def credentials_problem(settings: SageMakerSettings) -> str | None:
    """One line when boto3's chain finds no credentials (nothing is sent to AWS), else None."""
    try:
        if settings.session().get_credentials() is None:
            return NO_CREDENTIALS
    except BackendUnavailable as error:
        return str(error)
    return None


def unavailable_reason(settings: SageMakerSettings) -> str | None:
    """None when the settings can act on SageMaker, else one line saying what is missing.

    Checks profile, region and role without a network call; then credentials through one
    cached STS call.
    """
    problem = setup_problem(settings)
    if problem is not None:
        return problem
    if not settings.role:
        return f"no SageMaker execution role (set {ROLE_ENV} or use --role ARN)"
    if not settings.role.startswith("arn:"):
        return f"execution role {settings.role!r} is not an ARN"
    _, reason = caller_account(settings)
    return reason


def default_bucket(settings: SageMakerSettings) -> str:
    """The configured bucket, else the SDK's default `sagemaker-{region}-{account_id}`.

    Raises:
        BackendUnavailable: the account cannot be found (no or bad credentials).
    """
    if settings.bucket:
        return settings.bucket
    account, reason = caller_account(settings)
    if account is None:
        raise BackendUnavailable(reason or "AWS account unknown")
    return f"sagemaker-{settings.region}-{account}"

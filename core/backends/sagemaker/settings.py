"""Where the SageMaker backend acts: AWS profile, region, credentials, execution role, S3 bucket.

Each value comes from the first source that has it: an explicit argument (the CLI's `--profile
--region --role --bucket`), the environment (`AWS_PROFILE`, `AWS_REGION`/`AWS_DEFAULT_REGION`,
`RNBENCH_ROLE_ARN`, `RNBENCH_BUCKET`), rnbench's config file (`data_dir()/config.toml`, table
`[sagemaker]` with string keys `profile`, `region`, `role`, `bucket`; a file that is not TOML,
or holds another table or key or a value that is not a string, is a `UsageError` naming the
problem, never silently ignored), then boto3's own chain (shared
config and credentials files, SSO, instance roles). The bucket defaults to the SageMaker SDK's
naming, `sagemaker-{region}-{account_id}`. The serverless configuration's memory size and
maximum concurrency come from `--serverless-memory` / `--serverless-concurrency`, then
`serverless_memory_mb` / `serverless_max_concurrency` in the `[sagemaker]` table (integers),
else 6144 MB and 5. `AWS_ENDPOINT_URL` and its per-service variants are
left to boto3, which honours them itself: that is how the tests point rnbench at moto.

Resolving never raises for a missing piece; `identity.unavailable_reason` says in one line what
is missing, or wrong without asking AWS: a profile the shared files do not define, a region
botocore does not know (`region_problem`, `profile_problem`). boto3 is imported only when a
session is first needed, so importing this module is cheap.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rnbench.core.errors import UsageError
from rnbench.core.paths import data_dir

if TYPE_CHECKING:
    import boto3

CONFIG_FILE = "config.toml"
"""File name under `data_dir()`; its `[sagemaker]` table holds defaults."""
ROLE_ENV = "RNBENCH_ROLE_ARN"
BUCKET_ENV = "RNBENCH_BUCKET"
_KEYS = ("profile", "region", "role", "bucket")
SERVERLESS_MEMORY_MB = 6144
"""Default serverless memory size: the largest SageMaker allows (more memory, more vCPUs)."""
SERVERLESS_MAX_CONCURRENCY = 5
"""Default serverless maximum concurrency (concurrent invocations before throttling)."""
SERVERLESS_MEMORY_CHOICES = (1024, 2048, 3072, 4096, 5120, 6144)
"""Memory sizes SageMaker serverless accepts (1 GB steps from 1024 to 6144 MB)."""
SERVERLESS_MAX_CONCURRENCY_LIMIT = 200
"""The highest MaxConcurrency SageMaker accepts for one serverless endpoint."""


def serverless_problem(memory_mb: int, max_concurrency: int) -> str | None:
    """One line when the serverless settings are not ones SageMaker accepts, else None."""
    if memory_mb not in SERVERLESS_MEMORY_CHOICES:
        sizes = ", ".join(str(m) for m in SERVERLESS_MEMORY_CHOICES)
        return f"serverless memory must be one of {sizes} MB, not {memory_mb}"
    if not 1 <= max_concurrency <= SERVERLESS_MAX_CONCURRENCY_LIMIT:
        return (
            f"serverless max concurrency must be 1 to {SERVERLESS_MAX_CONCURRENCY_LIMIT}, "
            f"not {max_concurrency}"
        )
    return None


_INT_KEYS = ("serverless_memory_mb", "serverless_max_concurrency")
"""The `[sagemaker]` keys whose values are integers."""


def _config_ints() -> dict[str, int]:
    """The integer serverless settings of the config file's `[sagemaker]` table."""
    path = data_dir() / CONFIG_FILE
    try:
        data: Any = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    table = data.get("sagemaker") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        return {}
    return {
        k: v
        for k, v in table.items()
        if k in _INT_KEYS and isinstance(v, int) and not isinstance(v, bool)
    }


def _config_table() -> dict[str, str]:
    """The `[sagemaker]` table of rnbench's config file; empty when the file is absent.

    Raises:
        UsageError: the file cannot be read, is not TOML, or holds anything but a `[sagemaker]`
            table of the known keys with string values.
    """
    path = data_dir() / CONFIG_FILE
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UsageError(f"cannot read {path}: {reason}") from None
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"sagemaker", "model", "input_size"})  # model: core/model_choice
    if unknown:
        raise UsageError(f"{path}: unknown table or key {unknown[0]!r} (expected [sagemaker])")
    table = data.get("sagemaker", {})
    if not isinstance(table, dict):
        raise UsageError(f"{path}: 'sagemaker' must be a table ([sagemaker])")
    for key, value in table.items():
        if key in _INT_KEYS:
            if not isinstance(value, int) or isinstance(value, bool):
                raise UsageError(f"{path}: [sagemaker] {key} must be a whole number, got {value!r}")
            continue
        if key not in _KEYS:
            known = ", ".join((*_KEYS, *_INT_KEYS))
            raise UsageError(f"{path}: unknown key {key!r} in [sagemaker] (known: {known})")
        if not isinstance(value, str):
            raise UsageError(f"{path}: [sagemaker] {key} must be a string, got {value!r}")
    return {k: v for k, v in table.items() if v and k not in _INT_KEYS}


@dataclass(frozen=True)
class SageMakerSettings:
    """Resolved settings; any field may be empty when no source provided it."""

    profile: str | None = None
    """Named AWS profile, or None for boto3's default chain."""
    region: str | None = None
    """AWS region (`eu-west-1`)."""
    role: str | None = None
    """ARN of the SageMaker execution role that endpoints and Neo jobs run as."""
    bucket: str | None = None
    """S3 bucket for artifacts; None means the SDK's default name, known once the account is."""
    serverless_memory_mb: int = SERVERLESS_MEMORY_MB
    """Memory of the serverless endpoint (MemorySizeInMB)."""
    serverless_max_concurrency: int = SERVERLESS_MAX_CONCURRENCY
    """Concurrent invocations the serverless endpoint serves (MaxConcurrency)."""

    @classmethod
    def resolve(
        cls,
        profile: str | None = None,
        region: str | None = None,
        role: str | None = None,
        bucket: str | None = None,
        serverless_memory_mb: int | None = None,
        serverless_max_concurrency: int | None = None,
    ) -> SageMakerSettings:
        """Settings from arguments, environment, config file and boto3's chain (bad serverless
        values are reported by `serverless_problem` when they are used).

        Raises:
            UsageError: rnbench's config file is bad (a missing piece is never an error).
        """
        table = _config_table()
        ints = _config_ints()
        profile = profile or os.environ.get("AWS_PROFILE") or table.get("profile")
        region = (
            region
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or table.get("region")
        )
        if not region:
            region = _region_from_profile(profile)
        role = role or os.environ.get(ROLE_ENV) or table.get("role")
        bucket = bucket or os.environ.get(BUCKET_ENV) or table.get("bucket")
        memory = serverless_memory_mb or ints.get("serverless_memory_mb", SERVERLESS_MEMORY_MB)
        concurrency = serverless_max_concurrency or ints.get(
            "serverless_max_concurrency", SERVERLESS_MAX_CONCURRENCY
        )
        return cls(
            profile or None, region or None, role or None, bucket or None, memory, concurrency
        )

    def session(self) -> boto3.Session:
        """A boto3 session for these settings (never sets endpoint_url).

        Raises:
            BackendUnavailable: the profile does not exist.
        """
        import boto3
        import botocore.exceptions

        from rnbench.core.errors import BackendUnavailable

        try:
            return boto3.Session(profile_name=self.profile, region_name=self.region)
        except botocore.exceptions.ProfileNotFound:
            raise BackendUnavailable(f"AWS profile {self.profile!r} not found") from None

    def with_bucket(self, bucket: str) -> SageMakerSettings:
        return replace(self, bucket=bucket)


def region_problem(region: str) -> str | None:
    """None when botocore knows `region` (in any partition), else one line saying so, with the
    closest regions it knows. Asks no one: botocore's own endpoint data."""
    known = _known_regions()
    if region in known:
        return None
    close = difflib.get_close_matches(region, known, n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return f"{region!r} is not an AWS region botocore knows{hint}"


@lru_cache(maxsize=1)
def _known_regions() -> tuple[str, ...]:
    import botocore.session

    data = botocore.session.get_session().get_data("endpoints")
    return tuple(sorted({name for part in data["partitions"] for name in part["regions"]}))


def profile_problem(profile: str) -> str | None:
    """None when the shared config or credentials file defines `profile` (or it is `default`),
    else one line saying it is not found."""
    import botocore.session

    if profile == "default" or profile in botocore.session.Session().available_profiles:
        return None
    return f"AWS profile {profile!r} not found"


def _region_from_profile(profile: str | None) -> str | None:
    """The region boto3 would pick from the shared config file; None when it has none."""
    try:
        import boto3

        return boto3.Session(profile_name=profile).region_name
    except Exception:  # a missing profile is reported later, by unavailable_reason
        return None

"""Builds the engine front ends use: the local backend, the SageMaker backend, store and prices.

Nothing here imports torch, boto3 or the SageMaker SDK: the TUI's first frame must not wait for
them. The backends import them lazily, in worker threads or child processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rnbench.core.backend import Backend
from rnbench.core.configs import SERVERLESS_INSTANCE
from rnbench.core.engine import Engine
from rnbench.core.errors import leaf_errors_mapped
from rnbench.core.local.backend import LocalBackend
from rnbench.core.paths import price_overrides, results_database
from rnbench.core.sagemaker import SageMakerBackend, SageMakerSettings, unavailable_reason
from rnbench.core.sagemaker.live import live_price
from rnbench.results.prices import LivePrice, Price, PriceBook
from rnbench.results.store import RunStore


@dataclass(frozen=True)
class AwsOptions:
    """AWS settings given on the command line; None means: from the environment and config."""

    profile: str | None = None
    region: str | None = None
    role: str | None = None
    bucket: str | None = None
    serverless_memory_mb: int | None = None
    """Memory of the serverless endpoint; None: from the config file, else the default."""
    serverless_max_concurrency: int | None = None
    """Max concurrency of the serverless endpoint; None: from the config file, else the default."""


def cuda_present() -> bool:
    """Whether an NVIDIA driver is loaded, without importing torch (checked again on deploy)."""
    return Path("/proc/driver/nvidia/version").exists()


def build_engine(
    aws: AwsOptions | None = None,
    weights: Path | None = None,
    store_path: Path | None = None,
) -> Engine:
    """The engine with both backends.

    Raises:
        UsageError: the results store or a price override file cannot be read.
    """
    aws = aws or AwsOptions()
    cuda = cuda_present()
    settings = SageMakerSettings.resolve(
        profile=aws.profile,
        region=aws.region,
        role=aws.role,
        bucket=aws.bucket,
        serverless_memory_mb=aws.serverless_memory_mb,
        serverless_max_concurrency=aws.serverless_max_concurrency,
    )
    backends: dict[str, Backend] = {
        "local": LocalBackend(cuda=cuda, weights=weights),
        "sagemaker": SageMakerBackend(settings),
    }
    with leaf_errors_mapped():
        prices = PriceBook.load(price_overrides(), live=_live_when_usable(settings))
        store = RunStore(store_path or results_database())
    return Engine(backends, store, prices, cuda=cuda)


def _live_when_usable(settings: SageMakerSettings) -> LivePrice:
    """The Price List lookup, asked only once AWS settings are known to work (else it raises
    LookupError saying what is missing)."""
    lookup = live_price(settings)

    def live(instance_type: str, region: str) -> Price | None:
        reason = unavailable_reason(settings)
        if reason is not None and instance_type != SERVERLESS_INSTANCE:
            raise LookupError(f"no live price from the AWS Price List API: {reason}")
        price: Price | None = lookup(instance_type, region)
        return price

    return live


def aws_options(values: Mapping[str, object]) -> AwsOptions:
    """AWS settings from a front end's parsed options (`vars(args)`); absent or empty: None."""
    return AwsOptions(
        profile=_text(values.get("profile")),
        region=_text(values.get("region")),
        role=_text(values.get("role")),
        bucket=_text(values.get("bucket")),
        serverless_memory_mb=_whole(values.get("serverless_memory")),
        serverless_max_concurrency=_whole(values.get("serverless_concurrency")),
    )


def build_engine_from(values: Mapping[str, object]) -> Engine:
    """The engine for a front end's parsed options: `profile`, `region`, `role`, `bucket` and
    `weights` (a path), each optional. The CLI and the TUI both build theirs here.

    Raises:
        UsageError: the results store or a price override file cannot be read.
    """
    weights = values.get("weights")
    return build_engine(aws_options(values), weights=Path(str(weights)) if weights else None)


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: object) -> str | None:
    return str(value) if value else None

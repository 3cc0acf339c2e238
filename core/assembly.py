"""Builds the engine front ends use: the local backend, the SageMaker backend, store and prices.

Nothing here imports torch, boto3 or the SageMaker SDK: the TUI's first frame must not wait for
them. The backends import them lazily, in worker threads or child processes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rnbench.core.backends.foreign.backend import ForeignBackend
from rnbench.core.backends.local.backend import LocalBackend
from rnbench.core.backends.protocol import Backend
from rnbench.core.backends.sagemaker import SageMakerBackend, SageMakerSettings, unavailable_reason
from rnbench.core.backends.sagemaker.live import live_price
from rnbench.core.backends.sagemaker.settings import profile_problem, region_problem
from rnbench.core.configs import SERVERLESS_INSTANCE
from rnbench.core.engine import Engine
from rnbench.core.errors import UsageError, leaf_errors_mapped
from rnbench.core.model_choice import ModelChoice, choose_model
from rnbench.core.paths import price_overrides, results_database
from rnbench.core.weights_file import check_weights_file
from rnbench.inference.weights import WEIGHTS_ENV
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
    max_batch: int | None = None,
    max_delay_ms: float | None = None,
    model: ModelChoice | None = None,
) -> Engine:
    """The engine with both backends (`max_batch`, `max_delay_ms`: local servers' dynamic
    batching; None keeps the server's defaults; `model`: what the local servers and the SageMaker
    endpoints serve, None: ResNet-50).

    Raises:
        UsageError: the weights file, rnbench's config file, the results store or a price
            override file is bad, or the profile or region given is not one (the message says
            which and why).
    """
    named = weights or os.environ.get(WEIGHTS_ENV)
    if named:
        check_weights_file(Path(named).expanduser())
    aws = aws or AwsOptions()
    _check_given(aws)
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
        "local": LocalBackend(
            cuda=cuda,
            weights=weights,
            max_batch=max_batch,
            max_delay_ms=max_delay_ms,
            model=model,
        ),
        "sagemaker": SageMakerBackend(settings, model=model),
        "foreign": ForeignBackend(settings),
    }
    with leaf_errors_mapped():
        prices = PriceBook.load(price_overrides(), live=_live_when_usable(settings))
        store = RunStore(store_path or results_database())
        store.mark_interrupted()  # runs whose process died: never `running` forever
    return Engine(backends, store, prices)


def _check_given(aws: AwsOptions) -> None:
    """A profile or region the user typed that cannot be right is bad input, whatever the command
    (one from the environment or config.toml is only a SageMaker row's reason).

    Raises:
        UsageError: the profile is not in the shared files; botocore knows no such region.
    """
    problem = (aws.profile and profile_problem(aws.profile)) or (
        aws.region and region_problem(aws.region)
    )
    if problem:
        raise UsageError(problem)


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
    `weights` (a path), `model` and `input_size` (the model servers load), `max_batch` and
    `max_delay_ms` (local servers' dynamic batching), each
    optional. The CLI and the TUI both build theirs here.

    Raises:
        UsageError: as `build_engine`.
    """
    weights = values.get("weights")
    max_batch, max_delay_ms = values.get("max_batch"), values.get("max_delay_ms")
    model = choose_model(_text(values.get("model")), _whole(values.get("input_size")))
    return build_engine(
        aws_options(values),
        weights=Path(str(weights)) if weights else None,
        max_batch=int(str(max_batch)) if max_batch is not None else None,
        max_delay_ms=float(str(max_delay_ms)) if max_delay_ms is not None else None,
        model=model,
    )


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: object) -> str | None:
    return str(value) if value else None

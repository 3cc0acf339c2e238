"""Builds the engine front ends use: the local backend, the SageMaker backend, store and prices.

Nothing here imports torch, boto3 or the SageMaker SDK: the TUI's first frame must not wait for
them. The backends import them lazily, in worker threads or child processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rnbench.core.backend import Backend
from rnbench.core.engine import Engine
from rnbench.core.local.backend import LocalBackend
from rnbench.results.prices import PriceBook
from rnbench.results.store import RunStore


@dataclass(frozen=True)
class AwsOptions:
    """AWS settings given on the command line; None means: from the environment and config."""

    profile: str | None = None
    region: str | None = None
    role: str | None = None
    bucket: str | None = None


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
    backends: dict[str, Backend] = {"local": LocalBackend(cuda=cuda, weights=weights)}
    sagemaker = _sagemaker_backend(aws)
    if sagemaker is not None:
        backends["sagemaker"] = sagemaker
    return Engine(backends, RunStore(store_path), PriceBook.load(), cuda=cuda)


def _sagemaker_backend(aws: AwsOptions) -> Backend | None:
    try:
        from rnbench.core.sagemaker import SageMakerBackend, SageMakerSettings
    except ImportError:  # the SageMaker backend is optional until it lands
        return None
    settings = SageMakerSettings.resolve(
        profile=aws.profile, region=aws.region, role=aws.role, bucket=aws.bucket
    )
    backend: Backend = SageMakerBackend(settings)
    return backend

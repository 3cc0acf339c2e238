"""The registry of benchmark configurations: the reference study's five plus the local ones.

A configuration is what a row of the grid is: which backend serves the model, on which hardware,
with which runtime. Everything else (deployments, results, prices) refers to it by `key`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rnbench.core.errors import UsageError

BackendName = Literal["local", "sagemaker", "foreign"]
"""`foreign`: a target rnbench did not deploy (core/foreign.py); never in this registry."""
Runtime = Literal["eager", "compiled", "bf16", "int8", "unknown"]
Accelerator = Literal["cpu", "gpu", "inferentia", "unknown"]


@dataclass(frozen=True)
class Configuration:
    """One way to serve ResNet-50."""

    key: str
    """Stable identifier used on the command line and in results (`c5-neo`, `local-cpu`)."""
    label: str
    """Human name, as the study wrote it (`c5 + Neo`)."""
    backend: BackendName
    """Which backend deploys it."""
    instance_type: str
    """SageMaker instance type, or `local` for this machine."""
    accelerator: Accelerator
    """What runs the model."""
    runtime: Runtime
    """`eager` (plain PyTorch), `compiled` (Neo on SageMaker, ONNX Runtime locally), and locally
    `bf16` (OpenVINO at bf16 precision) or `int8` (statically quantized)."""
    neo_target: str | None = None
    """SageMaker Neo target device (`ml_c5`), for compiled SageMaker configurations."""
    study_label: str | None = None
    """The row of the reference study's published table this configuration reproduces."""
    serverless: bool = False
    """SageMaker serverless inference: no instance, memory size and concurrency as settings."""

    @property
    def compiled(self) -> bool:
        """Whether a compile step builds something before deploy (any runtime but eager)."""
        return self.runtime != "eager"

    @property
    def device(self) -> str:
        """Where the model's tensors live: `cpu`, `cuda` or `inferentia`."""
        if self.accelerator == "gpu":
            return "cuda"
        return self.accelerator


STUDY_CONFIGURATIONS: tuple[Configuration, ...] = (
    Configuration("c5", "c5", "sagemaker", "ml.c5.xlarge", "cpu", "eager", None, "c5"),
    Configuration(
        "c5-neo", "c5 + Neo", "sagemaker", "ml.c5.xlarge", "cpu", "compiled", "ml_c5", "c5 + Neo"
    ),
    Configuration("g4dn", "g4dn", "sagemaker", "ml.g4dn.xlarge", "gpu", "eager", None, "g4dn"),
    Configuration(
        "g4dn-neo",
        "g4dn + Neo",
        "sagemaker",
        "ml.g4dn.xlarge",
        "gpu",
        "compiled",
        "ml_g4dn",
        "g4dn + Neo",
    ),
    Configuration(
        "inf1", "inf1", "sagemaker", "ml.inf1.xlarge", "inferentia", "compiled", "ml_inf1", "inf1"
    ),
)

# Today's SageMaker hardware, beside the study's five (2021). Their images and framework
# versions are the newest the installed SageMaker SDK knows (`sagemaker/images.py`).
SERVERLESS_INSTANCE = "serverless"
"""The `instance_type` of the serverless configuration: it has no instance."""
TODAY_CONFIGURATIONS: tuple[Configuration, ...] = (
    Configuration("inf2", "inf2", "sagemaker", "ml.inf2.xlarge", "inferentia", "compiled"),
    Configuration("g5", "g5", "sagemaker", "ml.g5.xlarge", "gpu", "eager"),
    Configuration("g6", "g6", "sagemaker", "ml.g6.xlarge", "gpu", "eager"),
    Configuration("c7i", "c7i", "sagemaker", "ml.c7i.xlarge", "cpu", "eager"),
    Configuration("c7g", "c7g (Graviton)", "sagemaker", "ml.c7g.xlarge", "cpu", "eager"),
    Configuration(
        "serverless",
        "serverless",
        "sagemaker",
        SERVERLESS_INSTANCE,
        "cpu",
        "eager",
        serverless=True,
    ),
)

LOCAL_CPU_CONFIGURATIONS: tuple[Configuration, ...] = (
    Configuration("local-cpu", "local CPU", "local", "local", "cpu", "eager"),
    Configuration("local-cpu-compiled", "local CPU compiled", "local", "local", "cpu", "compiled"),
    Configuration("local-cpu-bf16", "local CPU bf16", "local", "local", "cpu", "bf16"),
    Configuration("local-cpu-int8", "local CPU int8", "local", "local", "cpu", "int8"),
)

LOCAL_GPU_CONFIGURATIONS: tuple[Configuration, ...] = (
    Configuration("local-gpu", "local GPU", "local", "local", "gpu", "eager"),
    Configuration("local-gpu-compiled", "local GPU compiled", "local", "local", "gpu", "compiled"),
)


def all_configurations() -> tuple[Configuration, ...]:
    """The study's five, today's SageMaker ones, the local CPU ones and the local GPU ones.

    Every one is listed wherever it can run: on a machine without CUDA the local GPU ones are
    there too, and their backend's status says they are unavailable and why (as it does for
    bf16 on a CPU without it, or SageMaker without credentials)."""
    return (
        STUDY_CONFIGURATIONS
        + TODAY_CONFIGURATIONS
        + LOCAL_CPU_CONFIGURATIONS
        + LOCAL_GPU_CONFIGURATIONS
    )


def get_configuration(key: str) -> Configuration:
    """Look a configuration up by key (whether it can run here is its backend's to say).

    Raises:
        UsageError: no configuration has that key (the message lists the known ones).
    """
    for config in all_configurations():
        if config.key == key:
            return config
    known = ", ".join(c.key for c in all_configurations())
    raise UsageError(f"unknown configuration {key!r}; known: {known}")

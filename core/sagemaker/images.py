"""Container images and framework versions per configuration, from the SageMaker SDK's image_uris.

URIs are never hard-coded: the SDK knows the ECR account per region. The versions are chosen so
that one TorchScript artifact loads everywhere (see `package.py`): PyTorch 2.0 for the
uncompiled containers and for Neo on ml_c5 / ml_g4dn (Neo's newest PyTorch), and 1.9 for
ml_inf1 (the newest the Inferentia Neo container supports).
"""

from __future__ import annotations

from dataclasses import dataclass

from rnbench.core.configs import Configuration
from rnbench.core.errors import DeployError

PYTORCH_VERSION = "2.0"
"""Uncompiled containers, and the framework Neo compiles for on ml_c5 / ml_g4dn."""
INF1_VERSION = "1.9"
"""Neo's framework version for ml_inf1 (Neuron supports 1.7-1.9)."""
VCPUS = {"ml.c5.xlarge": 4, "ml.g4dn.xlarge": 4, "ml.inf1.xlarge": 4}
"""vCPUs per instance type (AWS's instance type tables: each of these xlarge sizes has 4)."""


@dataclass(frozen=True)
class ServingImage:
    """What a configuration's model runs in."""

    uri: str
    """ECR image URI."""
    framework_version: str
    """PyTorch version inside it (and the Neo FrameworkVersion for compiled ones)."""


def framework_version(config: Configuration) -> str:
    return INF1_VERSION if config.neo_target == "ml_inf1" else PYTORCH_VERSION


def serving_image(config: Configuration, region: str) -> ServingImage:
    """The inference image for `config` in `region`.

    Raises:
        DeployError: the SDK knows no image for this region or instance type.
    """
    from sagemaker.core import image_uris

    version = framework_version(config)
    try:
        if config.neo_target == "ml_inf1":
            uri = image_uris.retrieve(
                "inferentia-pytorch", region, version, "py3", config.neo_target, None, "inference"
            )
        elif config.compiled:
            uri = image_uris.retrieve(
                "neo-pytorch", region, version, "py3", config.neo_target, None, "inference"
            )
        else:
            uri = image_uris.retrieve(
                "pytorch", region, version, "py310", config.instance_type, None, "inference"
            )
    except (ValueError, KeyError) as error:
        message = str(error).split(". ")[0] if str(error) else type(error).__name__
        raise DeployError(f"{config.key}: no SageMaker image in {region}: {message}") from None
    return ServingImage(str(uri), version)


def model_server_env(config: Configuration) -> dict[str, str]:
    """Model server sizing for CPU endpoints: one worker per vCPU, one intra-op thread each.

    Left alone, the PyTorch container starts a worker per vCPU and each worker's torch uses as
    many intra-op threads as there are cores, so four workers fight over four vCPUs (this
    collapsed c5 throughput about 4x). SAGEMAKER_MODEL_SERVER_WORKERS is read by the
    sagemaker-inference toolkit (TorchServe's and MMS's worker count); OMP_NUM_THREADS sizes
    torch's intra-op pool in each worker. GPU and Inferentia endpoints keep their defaults.
    """
    vcpus = VCPUS.get(config.instance_type)
    if config.device != "cpu" or vcpus is None:
        return {}
    return {"SAGEMAKER_MODEL_SERVER_WORKERS": str(vcpus), "OMP_NUM_THREADS": "1"}

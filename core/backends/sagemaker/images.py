"""Container images and framework versions per configuration, from the SageMaker SDK's image_uris.

URIs are never hard-coded: the SDK knows the ECR account per region. The study's five keep the
versions chosen so that one TorchScript artifact loads everywhere (see `package.py`): PyTorch 2.0
for the uncompiled containers and for Neo on ml_c5 / ml_g4dn (Neo's newest PyTorch), and 1.9 for
ml_inf1 (the newest the Inferentia Neo container supports).

Today's configurations run the newest image the installed SDK knows, asked through the SDK's
public `image_uris.config_for_framework` (the SDK takes about 3 s to import, so its answers are
cached per SDK version in the cache folder; the study's five never need them):

- g5, g6, c7i and serverless: the PyTorch inference image (`pytorch`, scope `inference`);
- c7g (Graviton): the arm64 PyTorch inference image (scope `inference_graviton`);
- inf2: the SDK knows no Neo target `ml_inf2` (neo-pytorch has cpu/gpu processors only) and no
  plain PyTorch Neuron inference image; its one PyTorch inference image for Inferentia2 is the
  Hugging Face Neuron one (`huggingface` with inference_tool `neuronx`), which carries PyTorch,
  torch-neuronx and the Neuron SDK. The handler compiles the model for Neuron when it loads.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from typing import Any

from rnbench.core.configs import Configuration
from rnbench.core.errors import DeployError
from rnbench.core.paths import cache_dir

PYTORCH_VERSION = "2.0"
"""Study's uncompiled containers, and the framework Neo compiles for on ml_c5 / ml_g4dn."""
INF1_VERSION = "1.9"
"""Neo's framework version for ml_inf1 (Neuron supports 1.7-1.9)."""
VCPUS = {
    "ml.c5.xlarge": 4,
    "ml.g4dn.xlarge": 4,
    "ml.inf1.xlarge": 4,
    "ml.c7i.xlarge": 4,
    "ml.c7g.xlarge": 4,
}
"""vCPUs per instance type (AWS's instance type tables: each of these xlarge sizes has 4)."""


@dataclass(frozen=True)
class ServingImage:
    """What a configuration's model runs in."""

    uri: str
    """ECR image URI."""
    framework_version: str
    """PyTorch version inside it (and the Neo FrameworkVersion for compiled ones)."""


@dataclass(frozen=True)
class ImageChoice:
    """Which SDK image a configuration runs: the arguments of `image_uris.retrieve`, and what
    the image holds."""

    framework: str
    """The SDK's framework name (`pytorch`, `neo-pytorch`, `inferentia-pytorch`, `huggingface`)."""
    version: str
    """The framework version asked for (for `huggingface`, the transformers version)."""
    py_version: str
    scope: str
    """`inference` or `inference_graviton`."""
    torch_version: str
    """The PyTorch version inside the image."""
    repository: str
    """The ECR repository (`pytorch-inference`), shown with the version."""
    inference_tool: str | None = None
    base_framework_version: str | None = None
    neuron_sdk: str = ""
    """Neuron SDK version of a Neuron image (`2.26.0`); empty otherwise."""

    def describe(self) -> str:
        """`PyTorch 2.6.0 · pytorch-inference (py312)` and the like."""
        neuron = f" + Neuron SDK {self.neuron_sdk}" if self.neuron_sdk else ""
        return f"PyTorch {self.torch_version}{neuron} · {self.repository} ({self.py_version})"


SDK_FRAMEWORKS = ("pytorch", "huggingface-neuronx")
"""The SDK image configurations today's rows read."""


@cache
def sdk_table(name: str) -> dict[str, Any]:
    """The installed SDK's image configuration of framework `name`, {} when it has none.

    Importing the SDK takes seconds (its package imports all of sagemaker.core), so the answers
    of `image_uris.config_for_framework` are kept in the cache folder per SDK version: the SDK is
    imported once per installed version, not once per command.
    """
    return _sdk_tables().get(name, {})


@cache
def _sdk_tables() -> dict[str, dict[str, Any]]:
    import importlib.metadata  # only when a SageMaker image is looked up: not at TUI start

    try:
        version = importlib.metadata.version("sagemaker")
    except importlib.metadata.PackageNotFoundError:
        return {}
    path = cache_dir() / f"sagemaker-{version}-image-config.json"
    try:
        tables: dict[str, dict[str, Any]] = json.loads(path.read_text("utf-8"))
        if set(tables) == set(SDK_FRAMEWORKS):
            return tables
    except (OSError, ValueError):
        pass
    from sagemaker.core import image_uris

    tables = {}
    for name in SDK_FRAMEWORKS:
        try:
            tables[name] = image_uris.config_for_framework(name)
        except (OSError, ValueError, KeyError):
            tables[name] = {}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(tables), "utf-8")
        os.replace(temporary, path)
    except OSError:
        pass  # no cache folder: the SDK is asked again next time
    return tables


def newest(versions: Any) -> str:
    """The highest of dotted version strings (`2.10.0` > `2.9.0`)."""

    def key(text: str) -> tuple[int, ...]:
        return tuple(int(p) if p.isdigit() else -1 for p in text.split("."))

    found = sorted((str(v) for v in versions), key=key)
    if not found:
        raise DeployError("the installed SageMaker SDK lists no image versions")
    return found[-1]


def _pytorch_choice(scope: str) -> ImageChoice:
    versions = sdk_table("pytorch").get(scope, {}).get("versions", {})
    version = newest(versions)
    entry = versions[version]
    return ImageChoice(
        "pytorch", version, entry["py_versions"][-1], scope, version, entry["repository"]
    )


def _neuronx_choice() -> ImageChoice:
    versions = sdk_table("huggingface-neuronx").get("inference", {}).get("versions", {})
    version = newest(versions)
    base = newest(k for k in versions[version] if k.startswith("pytorch"))
    entry = versions[version][base]
    return ImageChoice(
        "huggingface",
        version,
        entry["py_versions"][-1],
        "inference",
        base.removeprefix("pytorch"),
        entry["repository"],
        inference_tool="neuronx",
        base_framework_version=base,
        neuron_sdk=str(entry.get("sdk_versions", [""])[-1]).removeprefix("sdk"),
    )


def image_choice(config: Configuration) -> ImageChoice:
    """The image `config` runs (see module docstring).

    Raises:
        DeployError: the installed SDK lists no such image.
    """
    try:
        if config.neo_target == "ml_inf1":
            return ImageChoice(
                "inferentia-pytorch", INF1_VERSION, "py3", "inference", INF1_VERSION,
                "sagemaker-neo-pytorch",
            )  # fmt: skip
        if config.neo_target is not None:
            return ImageChoice(
                "neo-pytorch", PYTORCH_VERSION, "py3", "inference", PYTORCH_VERSION,
                "sagemaker-inference-pytorch",
            )  # fmt: skip
        if config.study_label is not None:
            return ImageChoice(
                "pytorch", PYTORCH_VERSION, "py310", "inference", PYTORCH_VERSION,
                "pytorch-inference",
            )  # fmt: skip
        if config.device == "inferentia":
            return _neuronx_choice()
        if config.instance_type.startswith("ml.c7g."):
            return _pytorch_choice("inference_graviton")
        return _pytorch_choice("inference")
    except (KeyError, IndexError, TypeError) as error:
        raise DeployError(f"{config.key}: unexpected SageMaker SDK image table: {error}") from None


def describe_image(config: Configuration) -> str:
    """What `config` runs, for listings: framework version and image; empty for local ones."""
    if config.backend != "sagemaker":
        return ""
    try:
        choice = image_choice(config)
    except DeployError as error:
        return str(error)
    text = choice.describe()
    return f"{text} · Neo {config.neo_target}" if config.neo_target else text


def framework_version(config: Configuration) -> str:
    return image_choice(config).torch_version


def serving_image(config: Configuration, region: str) -> ServingImage:
    """The inference image for `config` in `region`.

    Raises:
        DeployError: the SDK knows no image for this region or instance type.
    """
    from sagemaker.core import image_uris

    choice = image_choice(config)
    target = config.neo_target or (None if config.serverless else config.instance_type)
    extra: dict[str, Any] = {}
    if config.serverless:  # the SDK picks the CPU image for any serverless config
        from sagemaker.core.serverless_inference_config import ServerlessInferenceConfig

        extra["serverless_inference_config"] = ServerlessInferenceConfig()
    if choice.inference_tool:
        extra["inference_tool"] = choice.inference_tool
        extra["base_framework_version"] = choice.base_framework_version
    try:
        uri = image_uris.retrieve(
            choice.framework,
            region,
            choice.version,
            choice.py_version,
            target,
            None,
            choice.scope,
            **extra,
        )
    except (ValueError, KeyError) as error:
        message = str(error).split(". ")[0] if str(error) else type(error).__name__
        raise DeployError(f"{config.key}: no SageMaker image in {region}: {message}") from None
    return ServingImage(str(uri), choice.torch_version)


def model_server_env(config: Configuration) -> dict[str, str]:
    """Model server sizing for CPU endpoints: one worker per vCPU, one intra-op thread each.

    Left alone, the PyTorch container starts a worker per vCPU and each worker's torch uses as
    many intra-op threads as there are cores, so four workers fight over four vCPUs (this
    collapsed c5 throughput about 4x). SAGEMAKER_MODEL_SERVER_WORKERS is read by the
    sagemaker-inference toolkit (TorchServe's and MMS's worker count); OMP_NUM_THREADS sizes
    torch's intra-op pool in each worker. GPU and Inferentia endpoints keep their defaults, and
    so does serverless (its vCPUs follow the memory size).
    """
    vcpus = VCPUS.get(config.instance_type)
    if config.device != "cpu" or vcpus is None:
        return {}
    return {"SAGEMAKER_MODEL_SERVER_WORKERS": str(vcpus), "OMP_NUM_THREADS": "1"}

"""Which vision model is served: a torchvision classifier by name, or the user's own file.

A `ModelSpec` names the model (`resnet50`, the study's default; any name in torchvision's
classification registry; a TorchScript `.pt`/`.pth` or an `.onnx` file) and carries its
`InputSpec` (from the weights' own `transforms()` where torchvision knows them, else
`--input-size`, default 224). Pretrained weights come only from a local file or the torch hub
cache; without one a torchvision model gets seeded random weights (same compute), reported as such.
"""

from __future__ import annotations

import difflib
import hashlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rnbench.inference.errors import InferenceUsageError
from rnbench.inference.input_spec import STUDY_INPUT, InputSpec
from rnbench.inference.weights import RANDOM_SEED, WeightsInfo, build_model

if TYPE_CHECKING:
    from torch import nn

DEFAULT_MODEL = "resnet50"
"""The study's model."""
DEFAULT_INPUT_SIZE = 224
"""Input side of a model whose own transforms are unknown."""
TORCHSCRIPT_SUFFIXES = (".pt", ".pth")
"""File suffixes read as TorchScript."""


@dataclass(frozen=True)
class ModelSpec:
    """The model a server loads, and what its input looks like."""

    name: str
    """A torchvision model name, or the file's name."""
    kind: str = "torchvision"
    """"torchvision", "torchscript" or "onnx"."""
    path: str = ""
    """The model file (TorchScript, ONNX); "" for a torchvision model."""
    sha256: str = ""
    """First 16 hex digits of the file's sha256; "" for a torchvision model."""
    input: InputSpec = field(default_factory=InputSpec)
    """Resize, crop and normalisation of the model's input."""

    @property
    def key(self) -> str:
        """Part of every cache key: changes with the model and its input size."""
        if self.kind == "torchvision" and self.name == DEFAULT_MODEL and self.input == STUDY_INPUT:
            return DEFAULT_MODEL  # the study's exports keep their keys
        identity = self.name if self.kind == "torchvision" else f"{self.kind}:{self.sha256}"
        return f"{identity}@{self.input.resize}/{self.input.crop}"

    @property
    def label(self) -> str:
        """How results name it: the torchvision name, or `file.onnx#sha` for a file."""
        return self.name if self.kind == "torchvision" else f"{self.name}#{self.sha256[:8]}"


STUDY_MODEL = ModelSpec(DEFAULT_MODEL)
"""The study's ResNet-50 with its own pipeline."""


def available_models() -> list[str]:
    """torchvision's classification models, from its registry."""
    import torchvision

    return sorted(torchvision.models.list_models(module=torchvision.models))


def _sized(size: int) -> InputSpec:
    if size < 16 or size > 2048:
        raise InferenceUsageError(f"input size must be between 16 and 2048, got {size}")
    return InputSpec(resize=round(size / 0.875), crop=size)


def resolve_model(text: str | None, input_size: int | None = None) -> ModelSpec:
    """The model named by `text` (None or "": ResNet-50).

    Raises InferenceUsageError: unknown name (with close matches), missing file, wrong suffix.
    """
    text = (text or DEFAULT_MODEL).strip()
    if text == DEFAULT_MODEL and input_size is None:
        return STUDY_MODEL  # no torchvision import for the default
    if text.endswith((".onnx", *TORCHSCRIPT_SUFFIXES)) or "/" in text:
        return _file_model(Path(text).expanduser(), input_size)
    names = available_models()
    if text not in names:
        close = difflib.get_close_matches(text, names, n=4)
        hint = f" (did you mean {', '.join(close)}?)" if close else " (`rnbench models` lists them)"
        raise InferenceUsageError(f"unknown model {text!r}{hint}")
    if input_size is not None:
        return ModelSpec(text, input=_sized(input_size))
    if text == DEFAULT_MODEL:
        return STUDY_MODEL
    return ModelSpec(text, input=_torchvision_input(text))


def _torchvision_input(name: str) -> InputSpec:
    from torchvision.models import get_model_weights

    try:
        transforms = get_model_weights(name).DEFAULT.transforms()  # type: ignore[attr-defined]
        resize, crop = transforms.resize_size, transforms.crop_size
        mean, std = tuple(transforms.mean), tuple(transforms.std)
        return InputSpec(resize=int(resize[0]), crop=int(crop[0]), mean=mean, std=std)
    except (AttributeError, IndexError, TypeError, ValueError):
        return _sized(DEFAULT_INPUT_SIZE)


def _file_model(path: Path, input_size: int | None) -> ModelSpec:
    if not path.is_file():
        raise InferenceUsageError(f"model file not found: {path}")
    if path.suffix == ".onnx":
        kind = "onnx"
    elif path.suffix in TORCHSCRIPT_SUFFIXES:
        kind = "torchscript"
    else:
        raise InferenceUsageError(f"not a TorchScript (.pt/.pth) or ONNX (.onnx) file: {path}")
    return ModelSpec(
        path.name,
        kind=kind,
        path=str(path.resolve()),
        sha256=_sha256_prefix(path),
        input=_sized(input_size or DEFAULT_INPUT_SIZE),
    )


def _sha256_prefix(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def build_torch_model(
    spec: ModelSpec, weights_path: str | None = None
) -> tuple[nn.Module, WeightsInfo]:
    """The PyTorch model of `spec` in eval mode on the CPU (not for ONNX files).

    Raises InferenceUsageError: a file that is not TorchScript, a bad weights file.
    """
    import torch

    if spec.kind == "torchscript":
        try:
            with warnings.catch_warnings():  # torch 2.x calls TorchScript deprecated
                warnings.simplefilter("ignore", FutureWarning)
                module = torch.jit.load(spec.path, map_location="cpu")  # type: ignore[no-untyped-call]
        except Exception as error:  # torch raises many types for a bad file
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
            raise InferenceUsageError(f"not a TorchScript file: {spec.path} ({first})") from None
        info = WeightsInfo(kind="file", source=spec.path, sha256=spec.sha256)
        return module.eval(), info
    if spec.name == DEFAULT_MODEL:
        return build_model(weights_path)
    return _torchvision_model(spec.name, weights_path)


def hub_checkpoint(name: str) -> Path | None:
    """The torch hub cache's copy of torchvision model `name`'s default weights, if there."""
    import torch
    from torchvision.models import get_model_weights

    url = str(get_model_weights(name).DEFAULT.url)  # type: ignore[attr-defined]
    candidate = Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]
    return candidate if candidate.is_file() else None


def _torchvision_model(name: str, weights_path: str | None) -> tuple[nn.Module, WeightsInfo]:
    import torch
    from torchvision.models import get_model

    found = Path(weights_path).expanduser() if weights_path else hub_checkpoint(name)
    torch.manual_seed(RANDOM_SEED)
    model = get_model(name, weights=None)
    if found is None:
        info = WeightsInfo(kind="random", source=f"random (seed {RANDOM_SEED})", sha256="")
    else:
        try:
            model.load_state_dict(torch.load(found, map_location="cpu", weights_only=True))
        except Exception as error:  # torch raises many types for a bad file
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
            raise InferenceUsageError(f"not a {name} weights file: {found} ({first})") from None
        info = WeightsInfo(kind="pretrained", source=str(found), sha256=_sha256_prefix(found))
    return model.eval(), info


def model_unavailable_reason(runtime: str, spec: ModelSpec) -> str | None:
    """Why `runtime` cannot run `spec` at all (eager needs a PyTorch model); None if it can."""
    if runtime == "eager" and spec.kind == "onnx":
        return f"eager runs PyTorch models; {spec.name} is an ONNX file"
    return None

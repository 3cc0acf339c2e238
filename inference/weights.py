"""Build the study's ResNet-50 and say honestly which weights it carries.

Pretrained weights are used only from a local file (a path the user gives, `RNBENCH_WEIGHTS`, or the
torch hub cache); nothing is ever downloaded. Without one the model gets seeded random weights:
the compute cost is identical, and every output reports `weights="random"`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rnbench.inference.errors import InferenceUsageError

if TYPE_CHECKING:
    from torch import nn

WEIGHTS_ENV = "RNBENCH_WEIGHTS"
"""Environment variable naming a local ResNet-50 state-dict file."""
HUB_FILES = ("resnet50-0676ba61.pth", "resnet50-11ad3fa6.pth")
"""torchvision's IMAGENET1K_V1 (the study's `pretrained=True`) and IMAGENET1K_V2 file names."""
RANDOM_SEED = 0
"""Seed of the random weights used when no pretrained file exists."""


@dataclass(frozen=True)
class WeightsInfo:
    """What the model was built with."""

    kind: str
    """"pretrained" or "random"."""
    source: str
    """The file the weights came from, or "random (seed 0)"."""
    sha256: str
    """First 16 hex digits of the file's sha256; "" for random weights."""

    @property
    def identity(self) -> str:
        """A short string that changes whenever the weights do (used in cache keys)."""
        return f"{self.kind}:{self.sha256 or RANDOM_SEED}"


def find_weights(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The local weights file to use: `path`, else `$RNBENCH_WEIGHTS`, else the torch hub cache.

    Raises InferenceUsageError when an explicitly named file does not exist.
    """
    explicit = path if path is not None else os.environ.get(WEIGHTS_ENV) or None
    if explicit is not None:
        found = Path(explicit).expanduser()
        if not found.is_file():
            raise InferenceUsageError(f"weights file not found: {found}")
        return found
    import torch

    checkpoints = Path(torch.hub.get_dir()) / "checkpoints"
    for name in HUB_FILES:
        candidate = checkpoints / name
        if candidate.is_file():
            return candidate
    return None


def _sha256_prefix(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def build_model(path: str | os.PathLike[str] | None = None) -> tuple[nn.Module, WeightsInfo]:
    """ResNet-50 in eval mode on the CPU, with pretrained weights when a local copy exists.

    Raises InferenceUsageError when the named file is missing or is not a ResNet-50 state dict.
    """
    import torch
    from torchvision.models import resnet50

    found = find_weights(path)
    if found is None:
        torch.manual_seed(RANDOM_SEED)
        model = resnet50(weights=None)
        info = WeightsInfo(kind="random", source=f"random (seed {RANDOM_SEED})", sha256="")
    else:
        model = resnet50(weights=None)
        try:
            state = torch.load(found, map_location="cpu", weights_only=True)
            if isinstance(state, dict) and "state_dict" in state:
                state = state["state_dict"]
            model.load_state_dict(state)
        except Exception as error:  # torch raises many types for a bad file
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
            raise InferenceUsageError(f"not a ResNet-50 weights file: {found} ({first})") from None
        info = WeightsInfo(kind="pretrained", source=str(found), sha256=_sha256_prefix(found))
    model.eval()
    return model, info


def imagenet_labels() -> list[str]:
    """The 1000 ImageNet class names, in class-index order (shipped with torchvision)."""
    from torchvision.models import ResNet50_Weights

    return list(ResNet50_Weights.IMAGENET1K_V1.meta["categories"])

"""A tiny convolutional classifier that stands in for the user's model, and its files.

Ten classes on 64x64 images: small enough that tests of your own model (TorchScript or ONNX)
stay fast. Every file is made with the same seed, so the same call writes the same weights.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

TINY_SIZE = 64
"""The input size the files are traced and exported at."""


class Tiny(nn.Module):
    """conv (3 -> 8, stride 2), ReLU, global average, linear to 10 classes."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2)
        self.fc = nn.Linear(8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.conv(x).relu().mean(dim=(2, 3)))


def tiny_torchscript(folder: Path) -> Path:
    """`folder`/tiny.pt: Tiny traced to TorchScript."""
    torch.manual_seed(1)
    path = folder / "tiny.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch calls TorchScript deprecated
        example = torch.zeros(1, 3, TINY_SIZE, TINY_SIZE)
        torch.jit.trace(Tiny().eval(), example).save(str(path))
    return path


def tiny_onnx(folder: Path, model: nn.Module | None = None, name: str = "tiny.onnx") -> Path:
    """`folder`/`name`: `model` (Tiny by default) exported to ONNX, its batch axis dynamic."""
    torch.manual_seed(1)
    path = folder / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            (model or Tiny()).eval(),
            (torch.zeros(1, 3, TINY_SIZE, TINY_SIZE),),
            str(path),
            dynamo=False,
            input_names=["images"],
            output_names=["scores"],
            dynamic_axes={"images": {0: "n"}, "scores": {0: "n"}},
        )
    return path

"""The ONNX export of the served model, cached on disk under a key that changes with the weights,
torch and the exporter (graph runtimes and the quantizer start from it)."""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from rnbench.inference.cache import cache_dir
from rnbench.inference.graph import INPUT_NAME, OUTPUT_NAME
from rnbench.inference.weights import WeightsInfo

if TYPE_CHECKING:
    from torch import nn

OPSET = 17
"""ONNX opset of the export."""
EXPORT_VERSION = 2
"""Bump when the exported graph changes (invalidates cached exports). 2: logits, no softmax."""


def export_key(weights: WeightsInfo, model_key: str = "resnet50") -> str:
    """Cache key of an export: model, weights identity, torch and exporter versions, opset."""
    import torch

    parts = (
        f"{model_key}|{weights.identity}|torch={torch.__version__}|opset={OPSET}|v{EXPORT_VERSION}"
    )
    return hashlib.sha256(parts.encode()).hexdigest()[:20]


def export_onnx(
    model: nn.Module,
    weights: WeightsInfo,
    *,
    rebuild: bool = False,
    model_key: str = "resnet50",
    shape: tuple[int, int, int, int] = (1, 3, 224, 224),
) -> Path:
    """The cached ONNX export of `model` (logits out, input `shape`), written atomically."""
    import torch

    folder = cache_dir() / "onnx"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{export_key(weights, model_key)}.onnx"
    if target.is_file() and not rebuild:
        return target
    handle, tmp_name = tempfile.mkstemp(dir=folder, prefix=".export-", suffix=".onnx")
    os.close(handle)
    try:
        dummy = torch.zeros(shape)
        with warnings.catch_warnings():
            # dynamo=False (TorchScript exporter) is deliberate: it exports ResNet-50 in seconds
            # with no extra dependencies; torch warns that it is the legacy path.
            warnings.simplefilter("ignore", DeprecationWarning)
            # a TorchScript model has no Python signature; the exporter says so and goes on
            warnings.filterwarnings("ignore", "no signature found", UserWarning)
            torch.onnx.export(
                model.eval(),
                (dummy,),
                tmp_name,
                dynamo=False,
                opset_version=OPSET,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
            )
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target


def normalized_onnx(path: str, model_key: str, *, rebuild: bool = False) -> Path:
    """A user's ONNX file with its input and output renamed to the runtimes' names, cached."""
    import onnx

    folder = cache_dir() / "onnx"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{hashlib.sha256(model_key.encode()).hexdigest()[:20]}.user.onnx"
    if target.is_file() and not rebuild:
        return target
    graph = onnx.load(path)
    initializers = {init.name for init in graph.graph.initializer}
    old_in = next(i.name for i in graph.graph.input if i.name not in initializers)
    old_out = graph.graph.output[0].name
    renames = {old_in: INPUT_NAME, old_out: OUTPUT_NAME}
    for value in (*graph.graph.input, *graph.graph.output):
        value.name = renames.get(value.name, value.name)
    for node in graph.graph.node:
        node.input[:] = [renames.get(name, name) for name in node.input]
        node.output[:] = [renames.get(name, name) for name in node.output]
    handle, tmp_name = tempfile.mkstemp(dir=folder, prefix=".user-", suffix=".onnx")
    os.close(handle)
    try:
        onnx.save(graph, tmp_name)
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target

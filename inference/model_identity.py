"""What a served model costs: parameter count and GFLOPs per image, measured from the graph.

Torch models are counted with `torch.utils.flop_counter.FlopCounterMode` on one image; ONNX files
from their initializers and the Conv/Gemm/MatMul nodes of the shape-inferred graph (other nodes
are cheap next to these). A model whose output is not [N, classes] is refused here, before serving.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rnbench.inference.errors import InferenceUsageError

if TYPE_CHECKING:
    from torch import nn

    from rnbench.inference.models import ModelSpec


@dataclass(frozen=True)
class ModelCost:
    """Size and compute of one model at its input size."""

    params: int
    """Number of parameters."""
    gflops: float | None
    """Floating-point operations per image, in GFLOPs (a multiply-add counts 2); None: unknown."""
    classes: int
    """Width of the model's output."""


def torch_cost(model: nn.Module, spec: ModelSpec) -> ModelCost:
    """Count `model` on one zero image. Raises InferenceUsageError when it is not a classifier."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    dummy = torch.zeros(spec.input.shape)
    counter = FlopCounterMode(display=False)
    try:
        with torch.inference_mode(), counter:
            out = model(dummy)
    except Exception as error:  # a model that cannot take the input raises anything
        raise InferenceUsageError(
            f"{spec.name} does not run on {spec.input.shape}: {error}"
        ) from None
    if not isinstance(out, torch.Tensor) or out.ndim != 2:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise InferenceUsageError(f"{spec.name}: output must be [N, classes], got {shape}")
    params = sum(p.numel() for p in model.parameters())
    flops = counter.get_total_flops()
    return ModelCost(params=params, gflops=flops / 1e9 if flops else None, classes=out.shape[1])


def onnx_cost(spec: ModelSpec) -> ModelCost:
    """Check an ONNX file takes one [N, 3, H, W] image and gives [N, classes]; count it.

    Raises InferenceUsageError for a file that is not such a graph.
    """
    import onnx

    try:
        graph = onnx.load(spec.path)
    except Exception as error:  # onnx raises DecodeError and others
        raise InferenceUsageError(f"not an ONNX file: {spec.path} ({error})") from None
    initializers = {init.name for init in graph.graph.initializer}
    inputs = [i for i in graph.graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise InferenceUsageError(
            f"{spec.name}: an image model has one input, this has {len(inputs)}"
        )
    dims = inputs[0].type.tensor_type.shape.dim
    if len(dims) != 4 or (dims[1].dim_value not in (0, 3)):
        raise InferenceUsageError(f"{spec.name}: the input must be an image [N, 3, H, W]")
    outputs = graph.graph.output
    if len(outputs[0].type.tensor_type.shape.dim) != 2:
        raise InferenceUsageError(f"{spec.name}: output must be [N, classes]")
    classes = outputs[0].type.tensor_type.shape.dim[1].dim_value
    params = sum(int(np.prod(init.dims)) for init in graph.graph.initializer)
    return ModelCost(params=params, gflops=_onnx_gflops(graph, spec), classes=classes)


def _onnx_gflops(graph: object, spec: ModelSpec) -> float | None:
    import onnx
    from onnx import shape_inference

    model = onnx.ModelProto()
    model.CopyFrom(graph)  # type: ignore[arg-type]
    dims = model.graph.input[0].type.tensor_type.shape.dim
    for dim, value in zip(dims, spec.input.shape, strict=True):
        dim.Clear()
        dim.dim_value = value
    try:
        inferred = shape_inference.infer_shapes(model)
    except Exception:  # shape inference fails on some graphs: the cost is then unknown
        return None
    shapes: dict[str, list[int]] = {}
    for info in (*inferred.graph.value_info, *inferred.graph.output, *inferred.graph.input):
        shapes[info.name] = [d.dim_value for d in info.type.tensor_type.shape.dim]
    for init in inferred.graph.initializer:
        shapes[init.name] = list(init.dims)
    total = 0
    for node in inferred.graph.node:
        if node.op_type not in ("Conv", "Gemm", "MatMul"):
            continue
        out = shapes.get(node.output[0])
        weight = shapes.get(node.input[1])
        if not out or not weight or 0 in out or 0 in weight:
            return None
        if node.op_type == "Conv":  # out elements x (in channels / group x kernel) MACs
            total += 2 * int(np.prod(out)) * int(np.prod(weight[1:]))
        else:  # [.., M, N] out, K = weight's first (Gemm) or second-last (MatMul) dim
            k = weight[-2] if node.op_type == "MatMul" else shapes[node.input[0]][-1]
            total += 2 * int(np.prod(out)) * k
    return total / 1e9 if total else None

"""The runtimes that execute ResNet-50, from plain PyTorch up the local optimization ladder.

`eager` (PyTorch fp32), `compiled` (ONNX Runtime fp32), `bf16` (OpenVINO with bf16 inference
precision, only on a CPU that has BF16) and `int8` (a statically quantized QDQ graph, see
`quantize`). All return logits and softmax probabilities, so the server, the benchmark and the
agreement check treat them alike; eager and ONNX Runtime take the normalised float batch of
`preprocess`, the OpenVINO ones (`takes_pixels`) the uint8 pixels of `preprocess_pixels`, which
their graphs normalise themselves. The graphs are exports of the
very same model, cached on disk under a key that changes with the weights and the exporter.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rnbench.inference.errors import DeviceUnavailable, InferenceUsageError
from rnbench.inference.graph import INPUT_NAME, Runtime, physical_cores, softmax
from rnbench.inference.input_spec import STUDY_INPUT, InputSpec
from rnbench.inference.model_identity import ModelCost, onnx_cost, torch_cost
from rnbench.inference.models import (
    STUDY_MODEL,
    ModelSpec,
    build_torch_model,
    model_unavailable_reason,
)
from rnbench.inference.onnx_export import export_onnx, normalized_onnx
from rnbench.inference.weights import WeightsInfo

if TYPE_CHECKING:
    from torch import nn

RUNTIMES = ("eager", "compiled", "bf16", "int8")
"""Runtime names the server and the benchmark accept."""
DEVICES = ("cpu", "cuda")
"""Devices the runtimes accept."""


class EagerRuntime:
    """PyTorch fp32 in eval mode under `torch.inference_mode`, on the CPU or a CUDA device."""

    def __init__(self, model: nn.Module, device: str = "cpu") -> None:
        import torch

        self.name = "eager"
        self.device = device
        self._torch = torch
        self._model = model.eval().to(device)

    def logits(self, batch: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            tensor = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
            out = self._model(tensor.to(self.device, non_blocking=True))
            result: np.ndarray = out.float().cpu().numpy()
        return result

    def predict(self, batch: np.ndarray) -> np.ndarray:
        return softmax(self.logits(batch))


class OnnxRuntime:
    """ONNX Runtime on an exported graph (CPU, or CUDA when the provider exists)."""

    def __init__(self, onnx_path: Path, device: str = "cpu", name: str = "compiled") -> None:
        self.name = name
        self.device = device
        self.path = onnx_path
        self._session = _session(onnx_path, device)

    def logits(self, batch: np.ndarray) -> np.ndarray:
        feed = {INPUT_NAME: np.ascontiguousarray(batch, dtype=np.float32)}
        result: np.ndarray = self._session.run(None, feed)[0]
        return result

    def predict(self, batch: np.ndarray) -> np.ndarray:
        return softmax(self.logits(batch))


def _session(onnx_path: Path, device: str) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = physical_cores()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if device == "cuda":
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise DeviceUnavailable("this onnxruntime build has no CUDAExecutionProvider")
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    else:
        providers = ["CPUExecutionProvider"]
    return ort.InferenceSession(str(onnx_path), sess_options=options, providers=providers)


def _check_device(device: str) -> None:
    if device not in DEVICES:
        raise InferenceUsageError(f"unknown device {device!r}: choose one of {', '.join(DEVICES)}")
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise DeviceUnavailable("device cuda requested but CUDA is not available here")


def configure_threads() -> int:
    """Give PyTorch one intra-op thread per physical core; returns that count."""
    import torch

    cores = physical_cores()
    torch.set_num_threads(cores)
    return cores


@dataclass(frozen=True)
class Loaded:
    """A ready runtime, with the weights it runs and the eager model it was built from."""

    runtime: Runtime
    """The runtime requested."""
    weights: WeightsInfo
    """Which weights the model carries."""
    reference: Runtime
    """An eager runtime on the same model, for the agreement check (the runtime itself if eager;
    ONNX Runtime fp32 for an ONNX file)."""
    model: nn.Module | None
    """The PyTorch model (CPU, eval mode, no softmax) both were built from; None for ONNX files."""
    spec: ModelSpec = STUDY_MODEL
    """Which model, and its input."""
    cost: ModelCost | None = None
    """Its parameter count and GFLOPs per image."""


def load_runtime(
    name: str,
    device: str = "cpu",
    weights_path: str | os.PathLike[str] | None = None,
    spec: ModelSpec = STUDY_MODEL,
) -> Loaded:
    """Build the model `spec` and the named runtime on `device`.

    Raises InferenceUsageError (unknown name or device, bad weights or model file, a model that is
    not an image classifier), DeviceUnavailable (no CUDA; bf16 or int8 asked on a GPU; bf16 on a
    CPU without it; OpenVINO missing; eager for an ONNX file).
    """
    reason = model_unavailable_reason(name, spec)
    if reason is not None:
        raise DeviceUnavailable(reason)
    if name not in RUNTIMES:
        raise InferenceUsageError(f"unknown runtime {name!r}: choose one of {', '.join(RUNTIMES)}")
    _check_device(device)
    if name in CPU_ONLY and device != "cpu":
        raise DeviceUnavailable(f"the {name} runtime runs on the CPU only")
    if name == "bf16":
        from rnbench.inference.openvino_runtime import bf16_unavailable_reason

        reason = bf16_unavailable_reason()
        if reason is not None:  # before building anything: the answer is quick and final
            raise DeviceUnavailable(f"bf16: {reason}")
    configure_threads()
    if spec.kind == "onnx":
        return _load_onnx_file(name, device, spec)
    model, weights = build_torch_model(spec, str(weights_path) if weights_path else None)
    cost = torch_cost(model, spec)
    reference = EagerRuntime(model, "cpu")
    if name == "eager":
        runtime: Runtime = reference if device == "cpu" else EagerRuntime(model, device)
    else:
        runtime = _with_rebuild_once(name, model, weights, device, spec)
    return Loaded(runtime, weights, reference, model, spec, cost)


def _load_onnx_file(name: str, device: str, spec: ModelSpec) -> Loaded:
    cost = onnx_cost(spec)
    weights = WeightsInfo(kind="file", source=spec.path, sha256=spec.sha256)
    source = normalized_onnx(spec.path, spec.key)
    reference = OnnxRuntime(source, "cpu")
    if name == "compiled":
        runtime: Runtime = reference if device == "cpu" else OnnxRuntime(source, device)
    elif name == "bf16":
        from rnbench.inference.openvino_runtime import OpenVinoRuntime

        runtime = OpenVinoRuntime(source, "bf16", "bf16", pixels=spec.input)
    else:
        runtime = _int8_runtime(None, weights, spec, rebuild=False, source=source)
    return Loaded(runtime, weights, reference, None, spec, cost)


CPU_ONLY = ("bf16", "int8")
"""Runtimes that exist only on the CPU."""


def _with_rebuild_once(
    name: str, model: nn.Module, weights: WeightsInfo, device: str, spec: ModelSpec
) -> Runtime:
    """The graph runtime `name`; a corrupt or half-written cached graph is rebuilt once."""
    try:
        return _graph_runtime(name, model, weights, device, spec, rebuild=False)
    except DeviceUnavailable:
        raise
    except Exception:
        return _graph_runtime(name, model, weights, device, spec, rebuild=True)


def _graph_runtime(
    name: str,
    model: nn.Module,
    weights: WeightsInfo,
    device: str,
    spec: ModelSpec,
    *,
    rebuild: bool,
) -> Runtime:
    if name in ("compiled", "bf16"):
        path = export_onnx(
            model, weights, rebuild=rebuild, model_key=spec.key, shape=spec.input.shape
        )
        if name == "compiled":
            return OnnxRuntime(path, device)
        from rnbench.inference.openvino_runtime import OpenVinoRuntime

        return OpenVinoRuntime(path, "bf16", "bf16", pixels=spec.input)
    return _int8_runtime(model, weights, spec, rebuild=rebuild)


def _int8_runtime(
    model: nn.Module | None,
    weights: WeightsInfo,
    spec: ModelSpec,
    *,
    rebuild: bool,
    source: Path | None = None,
) -> Runtime:
    from rnbench.inference.quantize import INT8_ENGINE, quantize_int8

    path = quantize_int8(model, weights, rebuild=rebuild, spec=spec, source=source)
    if INT8_ENGINE == "openvino":
        from rnbench.inference.openvino_runtime import OpenVinoRuntime

        return OpenVinoRuntime(path, "int8", "f32", pixels=spec.input)
    return OnnxRuntime(path, "cpu", name="int8")


def agreement(
    runtime: Runtime, reference: Runtime, inputs: Sequence[np.ndarray]
) -> tuple[bool, float]:
    """(top-1 equal on every input, max |probability difference|) of `runtime` vs `reference`."""
    top1_equal = True
    deviation = 0.0
    for batch in inputs:
        got = runtime.predict(batch)
        want = reference.predict(batch)
        top1_equal &= bool(np.array_equal(got.argmax(axis=1), want.argmax(axis=1)))
        deviation = max(deviation, float(np.abs(got - want).max()))
    return top1_equal, deviation


def agreement_inputs(
    count: int = 4, seed: int = 0, spec: InputSpec = STUDY_INPUT
) -> list[np.ndarray]:
    """A fixed set of preprocessed inputs: seeded random photos-to-be, JPEG-encoded and decoded."""
    import io

    from PIL import Image

    from rnbench.inference.preprocess import preprocess

    rng = np.random.default_rng(seed)
    batches = []
    for index in range(count):
        height, width = 240 + 40 * index, 320 - 24 * index
        smooth = rng.random((height // 8, width // 8, 3)) * 255
        pixels = np.kron(smooth, np.ones((8, 8, 1))) + rng.normal(0, 12, (height, width, 3))
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90)
        batches.append(preprocess(buffer.getvalue(), spec))
    return batches

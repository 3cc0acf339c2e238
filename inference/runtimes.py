"""The runtimes that execute ResNet-50: `eager` (PyTorch fp32) and `compiled` (ONNX Runtime fp32).

Both take the same preprocessed batch and return softmax probabilities, so the server, the
benchmark and the agreement check treat them alike. The compiled runtime runs an ONNX export of
the very same model, cached on disk under a key that changes with the weights and the exporter.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from rnbench.inference.cache import cache_dir
from rnbench.inference.errors import DeviceUnavailable, InferenceUsageError
from rnbench.inference.weights import WeightsInfo, build_model

if TYPE_CHECKING:
    from torch import nn

RUNTIMES = ("eager", "compiled")
"""Runtime names the server and the benchmark accept."""
DEVICES = ("cpu", "cuda")
"""Devices the runtimes accept."""
OPSET = 17
"""ONNX opset of the export."""
EXPORT_VERSION = 1
"""Bump when the exported graph changes (invalidates cached exports)."""
INPUT_NAME = "input0"
"""Name of the ONNX graph's input, as in the study's Neo compilation jobs."""


class Runtime(Protocol):
    """Something that turns a [1, 3, 224, 224] float32 batch into [1, 1000] probabilities."""

    name: str
    device: str

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Softmax probabilities, float32, shape [batch, 1000]."""
        ...


def physical_cores() -> int:
    """Physical CPU cores available to this process (the right thread count for both runtimes)."""
    try:
        import psutil

        count = psutil.cpu_count(logical=False)
    except ImportError:  # pragma: no cover - psutil is a dependency
        count = None
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    best = count or available or os.cpu_count() or 1
    return max(1, min(best, available or best))


def _with_softmax(model: nn.Module) -> nn.Module:
    from torch import nn

    return nn.Sequential(model, nn.Softmax(dim=1)).eval()


class EagerRuntime:
    """PyTorch fp32 in eval mode under `torch.inference_mode`, on the CPU or a CUDA device."""

    def __init__(self, model: nn.Module, device: str = "cpu") -> None:
        import torch

        self.name = "eager"
        self.device = device
        self._torch = torch
        self._model = _with_softmax(model).to(device)

    def predict(self, batch: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            tensor = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
            out = self._model(tensor.to(self.device, non_blocking=True))
            result: np.ndarray = out.float().cpu().numpy()
        return result


class OnnxRuntime:
    """ONNX Runtime fp32 on an exported graph (CPU, or CUDA when the provider exists)."""

    def __init__(self, onnx_path: Path, device: str = "cpu") -> None:

        self.name = "compiled"
        self.device = device
        self.path = onnx_path
        self._session = _session(onnx_path, device)

    def predict(self, batch: np.ndarray) -> np.ndarray:
        feed = {INPUT_NAME: np.ascontiguousarray(batch, dtype=np.float32)}
        result: np.ndarray = self._session.run(None, feed)[0]
        return result


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


def export_key(weights: WeightsInfo) -> str:
    """Cache key of an export: weights identity, torch and exporter versions, opset."""
    import torch

    parts = f"resnet50|{weights.identity}|torch={torch.__version__}|opset={OPSET}|v{EXPORT_VERSION}"
    return hashlib.sha256(parts.encode()).hexdigest()[:20]


def export_onnx(model: nn.Module, weights: WeightsInfo, *, rebuild: bool = False) -> Path:
    """The cached ONNX export of `model` (softmax included), written atomically when missing."""
    import torch

    folder = cache_dir() / "onnx"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{export_key(weights)}.onnx"
    if target.is_file() and not rebuild:
        return target
    handle, tmp_name = tempfile.mkstemp(dir=folder, prefix=".export-", suffix=".onnx")
    os.close(handle)
    try:
        dummy = torch.zeros(1, 3, 224, 224)
        with warnings.catch_warnings():
            # dynamo=False (TorchScript exporter) is deliberate: it exports ResNet-50 in seconds
            # with no extra dependencies; torch warns that it is the legacy path.
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(
                _with_softmax(model),
                (dummy,),
                tmp_name,
                dynamo=False,
                opset_version=OPSET,
                input_names=[INPUT_NAME],
                output_names=["probabilities"],
                dynamic_axes={INPUT_NAME: {0: "batch"}, "probabilities": {0: "batch"}},
            )
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target


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
    """An eager runtime on the same model, for the agreement check (the runtime itself if eager)."""
    model: nn.Module
    """The PyTorch model (CPU, eval mode, no softmax) both were built from."""


def load_runtime(
    name: str, device: str = "cpu", weights_path: str | os.PathLike[str] | None = None
) -> Loaded:
    """Build the model and the named runtime on `device`.

    Raises InferenceUsageError (unknown name or device, bad weights file), DeviceUnavailable
    (no CUDA).
    """
    if name not in RUNTIMES:
        raise InferenceUsageError(f"unknown runtime {name!r}: choose one of {', '.join(RUNTIMES)}")
    _check_device(device)
    configure_threads()
    model, weights = build_model(weights_path)
    reference = EagerRuntime(model, "cpu")
    if name == "eager":
        runtime: Runtime = reference if device == "cpu" else EagerRuntime(model, device)
        return Loaded(runtime=runtime, weights=weights, reference=reference, model=model)
    path = export_onnx(model, weights)
    try:
        runtime = OnnxRuntime(path, device)
    except DeviceUnavailable:
        raise
    except Exception:  # a corrupt or half-written cached export: rebuild it once
        runtime = OnnxRuntime(export_onnx(model, weights, rebuild=True), device)
    return Loaded(runtime=runtime, weights=weights, reference=reference, model=model)


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


def agreement_inputs(count: int = 4, seed: int = 0) -> list[np.ndarray]:
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
        batches.append(preprocess(buffer.getvalue()))
    return batches

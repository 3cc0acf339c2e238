"""The model behind the HTTP server: one dedicated worker thread that decodes and predicts.

Inference on a small CPU is fastest one request at a time with every core on that request, so
all model work (loading, the start-up agreement check, decode + preprocess + forward pass) runs
in a single-thread executor; concurrent requests queue in front of it instead of fighting over
the cores.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from rnbench.inference.predict import top_k
from rnbench.inference.preprocess import preprocess
from rnbench.inference.runtimes import Loaded, agreement, agreement_inputs, load_runtime


@dataclass(frozen=True)
class Answer:
    """One request's result and how long the server spent on it."""

    payload: dict[str, Any]
    """The JSON response body (top-5 classes)."""
    server_ms: float
    """Decode + preprocess + inference, in ms (excludes time queued for the worker)."""
    model_ms: float
    """The forward pass alone, in ms."""
    queue_ms: float
    """Time the request waited for the worker thread, in ms."""


@dataclass(frozen=True)
class Agreement:
    """How closely a runtime's outputs match eager PyTorch on a fixed set of inputs."""

    top1_equal: bool
    """Top-1 class identical on every input."""
    max_prob_deviation: float
    """Largest absolute difference of any class probability."""
    inputs: int
    """How many inputs were compared."""


def _versions() -> dict[str, str]:
    import onnxruntime
    import torch

    return {"torch_version": torch.__version__, "onnxruntime_version": onnxruntime.__version__}


class InferenceService:
    """Owns the worker thread and the loaded runtime; `start()` before `infer()`."""

    def __init__(self, runtime: str, device: str, weights_path: str | None = None) -> None:
        self.runtime_name = runtime
        self.device = device
        self._weights_path = weights_path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rnbench-infer")
        self._loaded: Loaded | None = None
        self.agreement: Agreement | None = None

    @property
    def ready(self) -> bool:
        """True once the model is loaded and checked."""
        return self._loaded is not None

    def start(self) -> None:
        """Load the model in the worker thread and, for non-eager runtimes, check agreement.

        Raises InferenceUsageError (bad weights, runtime or device) or DeviceUnavailable (no CUDA).
        """
        self._executor.submit(self._load).result()

    def _load(self) -> None:
        loaded = load_runtime(self.runtime_name, self.device, self._weights_path)
        warm = agreement_inputs(count=1)[0]
        loaded.runtime.predict(warm)  # first call allocates; keep it out of request latency
        if loaded.runtime is not loaded.reference:
            inputs = agreement_inputs()
            equal, deviation = agreement(loaded.runtime, loaded.reference, inputs)
            self.agreement = Agreement(equal, deviation, len(inputs))
        self._loaded = loaded

    def infer_sync(self, body: bytes, submitted: float | None = None) -> Answer:
        """Decode, preprocess and predict in the calling thread (the worker, from `submit`).

        Raises BadImage for input that is not an acceptable image.
        """
        start = time.perf_counter()
        loaded = self._loaded
        if loaded is None:
            raise RuntimeError("the model is not loaded yet")
        batch = preprocess(body)
        model_start = time.perf_counter()
        probabilities = loaded.runtime.predict(batch)
        end = time.perf_counter()
        return Answer(
            payload=top_k(probabilities),
            server_ms=(end - start) * 1e3,
            model_ms=(end - model_start) * 1e3,
            queue_ms=((start - submitted) * 1e3) if submitted is not None else 0.0,
        )

    @property
    def executor(self) -> ThreadPoolExecutor:
        """The single inference thread (for `loop.run_in_executor`)."""
        return self._executor

    def info(self) -> dict[str, Any]:
        """What is being served: runtime, device, weights, versions, pid, agreement with eager."""
        loaded = self._loaded
        return {
            "runtime": self.runtime_name,
            "device": self.device,
            "weights": loaded.weights.kind if loaded else None,
            "weights_source": loaded.weights.source if loaded else None,
            "weights_sha256": loaded.weights.sha256 if loaded else None,
            **_versions(),
            "pid": os.getpid(),
            "ready": loaded is not None,
            "agreement": asdict(self.agreement) if self.agreement else None,
        }

    def close(self) -> None:
        """Stop the worker thread after the requests already queued."""
        self._executor.shutdown(wait=True, cancel_futures=True)

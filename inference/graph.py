"""What every runtime shares: the graph's input and output names, the `Runtime` protocol, softmax
and the thread count. A leaf of the inference package, so that the runtimes, the ONNX export and
the quantizer can all import it without importing one another.
"""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np

INPUT_NAME = "input0"
"""Name of the ONNX graph's input, as in the study's Neo compilation jobs."""
OUTPUT_NAME = "logits"
"""Name of the ONNX graph's output (softmax is applied outside the graph, so that `int8` never
quantizes it and the agreement check can compare logits)."""


class Runtime(Protocol):
    """Something that turns an [N, 3, 224, 224] float32 batch into [N, 1000] logits (or, where
    `takes_pixels(runtime)`, uint8 [N, 224, 224, 3] pixels that its graph normalises itself)."""

    name: str
    device: str

    def logits(self, batch: np.ndarray) -> np.ndarray:
        """Raw class scores, float32, shape [N, 1000]."""
        ...

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Softmax probabilities, float32, shape [N, 1000]."""
        ...


def takes_pixels(runtime: object) -> bool:
    """True when `runtime` takes uint8 NHWC pixels (`preprocess_pixels`), not a float batch."""
    return bool(getattr(runtime, "takes_pixels", False))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float32 (what the study's `nn.Softmax(dim=1)` computes)."""
    shifted = np.asarray(logits, dtype=np.float32)
    shifted = shifted - shifted.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    result: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
    return result


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

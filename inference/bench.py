"""In-process throughput of the runtimes: the ceiling the HTTP server is measured against.

Counts whole requests as the server handles them (decode + preprocess + predict + top-5; the
uint8 crop for the OpenVINO runtimes, which normalise in their graph) in one thread, without
HTTP: one at a time, or `batch` at a time (what dynamic batching can reach at best).
`make bench` compares this with the same image served over HTTP.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from rnbench.inference.graph import Runtime, takes_pixels
from rnbench.inference.predict import top_k
from rnbench.inference.preprocess import preprocess, preprocess_pixels
from rnbench.inference.runtimes import Loaded, agreement, load_runtime

WARMUP_CALLS = 3
"""Untimed calls before measuring (first calls allocate and pick kernels)."""


@dataclass(frozen=True)
class Throughput:
    """One runtime's in-process result."""

    runtime: str
    """Runtime name."""
    images: int
    """Images handled in the timed period."""
    seconds: float
    """Length of the timed period."""

    @property
    def images_per_s(self) -> float:
        """Throughput in images per second."""
        return self.images / self.seconds if self.seconds > 0 else 0.0


def _handle(runtime: Runtime, image_bytes: bytes, batch: int) -> None:
    prepare = preprocess_pixels if takes_pixels(runtime) else preprocess
    inputs = [prepare(image_bytes) for _ in range(batch)]
    probabilities = runtime.predict(inputs[0] if batch == 1 else np.concatenate(inputs))
    for row in probabilities:
        top_k(row)


def measure(runtime: Runtime, image_bytes: bytes, seconds: float, batch: int = 1) -> Throughput:
    """Handle `image_bytes` repeatedly for about `seconds` (at least one batch) after a warm-up,
    `batch` images per forward pass.

    Raises BadImage when `image_bytes` is not an acceptable image.
    """
    for _ in range(WARMUP_CALLS):
        _handle(runtime, image_bytes, batch)
    images = 0
    start = time.perf_counter()
    deadline = start + max(seconds, 0.0)
    while images == 0 or time.perf_counter() < deadline:
        _handle(runtime, image_bytes, batch)
        images += batch
    return Throughput(runtime.name, images, time.perf_counter() - start)


def in_process_throughput(
    runtime_name: str,
    image_bytes: bytes,
    seconds: float,
    device: str = "cpu",
    weights_path: str | os.PathLike[str] | None = None,
    batch: int = 1,
) -> float:
    """Images per second of one runtime, in this process, `batch` images per forward pass.

    Raises InferenceUsageError (bad name, device or weights), DeviceUnavailable (no CUDA, no bf16),
    BadImage.
    """
    loaded = load_runtime(runtime_name, device, weights_path)
    return measure(loaded.runtime, image_bytes, seconds, batch).images_per_s


def compare(
    image_bytes: bytes,
    seconds: float,
    rounds: int = 2,
    device: str = "cpu",
    weights_path: str | os.PathLike[str] | None = None,
) -> dict[str, float]:
    """Eager and compiled measured back to back, alternating, in one process.

    Returns {"eager", "compiled" (img/s, best round each), "ratio", "top1_equal" (1.0 or 0.0),
    "max_prob_deviation"}. Alternating rounds keeps the ratio fair on a machine whose load varies.
    Raises InferenceUsageError, DeviceUnavailable, BadImage.
    """
    compiled: Loaded = load_runtime("compiled", device, weights_path)
    eager = compiled.reference if device == "cpu" else load_runtime("eager", device).runtime
    best = {"eager": 0.0, "compiled": 0.0}
    for _ in range(max(1, rounds)):
        for name, runtime in (("eager", eager), ("compiled", compiled.runtime)):
            best[name] = max(best[name], measure(runtime, image_bytes, seconds).images_per_s)
    equal, deviation = agreement(compiled.runtime, compiled.reference, [preprocess(image_bytes)])
    return {
        **best,
        "ratio": best["compiled"] / best["eager"] if best["eager"] else 0.0,
        "top1_equal": 1.0 if equal else 0.0,
        "max_prob_deviation": deviation,
    }

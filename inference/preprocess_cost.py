"""CPU time of each preprocessing step per image: decode, resize + crop, normalise.

`make bench` prints these so that the <= 2 ms target (issue 15) is visible per step: the
OpenVINO runtimes take the uint8 crop (decode + resize + crop) and normalise in their graph, the
others also pay the numpy normalisation. Measured with `time.thread_time` (CPU time of the
calling thread only, so other processes on a shared machine and other threads of this one count
less than in wall-clock time) over many repetitions of the same image.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rnbench.inference.input_spec import STUDY_INPUT, InputSpec
from rnbench.inference.preprocess import crop_pixels, decode_rgb, normalise

ITERATIONS = 300
"""Repetitions of each step by default."""


@dataclass(frozen=True)
class PreprocessCost:
    """Milliseconds of one core per image, per step."""

    decode_ms: float
    """Checking and decoding the bytes into an RGB image (PIL)."""
    resize_crop_ms: float
    """Resize (bilinear, on uint8) and centre crop, to the uint8 HWC pixels."""
    normalise_ms: float
    """ToTensor + Normalize in numpy, to the float32 NCHW batch (not done for OpenVINO)."""
    iterations: int
    """Repetitions each figure is the mean of."""

    @property
    def pixels_ms(self) -> float:
        """The uint8 path's total (what the OpenVINO runtimes' requests cost)."""
        return self.decode_ms + self.resize_crop_ms

    @property
    def float_ms(self) -> float:
        """The float path's total (eager, ONNX Runtime)."""
        return self.pixels_ms + self.normalise_ms


def cpu_ms(step: Callable[[], object], iterations: int) -> float:
    """Mean thread CPU time of `step` in ms, over `iterations` calls after one untimed call."""
    step()
    started = time.thread_time()
    for _ in range(iterations):
        step()
    return (time.thread_time() - started) / max(1, iterations) * 1e3


def preprocess_cost(
    data: bytes, spec: InputSpec = STUDY_INPUT, iterations: int = ITERATIONS
) -> PreprocessCost:
    """Each step's CPU time per image for `data`. Raises BadImage for bad input."""
    image = decode_rgb(data)
    pixels = crop_pixels(image, spec)
    return PreprocessCost(
        decode_ms=cpu_ms(lambda: decode_rgb(data), iterations),
        resize_crop_ms=cpu_ms(lambda: crop_pixels(image, spec), iterations),
        normalise_ms=cpu_ms(lambda: normalise(pixels, spec), iterations),
        iterations=iterations,
    )

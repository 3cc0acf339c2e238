"""OpenVINO on the CPU: the `bf16` runtime, the `int8` runtime's engine, and what the CPU can do.

OpenVINO picks bf16 by itself on a CPU that has it, so the precision is always set explicitly:
`f32` where fp32 is meant, `bf16` for the bf16 runtime. Whether bf16 is possible at all is read at
run time from OpenVINO's `OPTIMIZATION_CAPABILITIES` (it lists `BF16` only where the CPU has
AVX512_BF16 or AMX), cross-checked with the kernel's CPU flags.
"""

from __future__ import annotations

import os
import queue
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from rnbench.inference.errors import DeviceUnavailable
from rnbench.inference.graph import INPUT_NAME, physical_cores, softmax

BF16_FLAGS = ("avx512_bf16", "amx_bf16")
"""Linux CPU flags that mean hardware bf16 arithmetic."""
HINT_ENV = "RNBENCH_OPENVINO_HINT"
"""Overrides the performance hint (`THROUGHPUT` by default, or `LATENCY`)."""
STREAMS_ENV = "RNBENCH_OPENVINO_STREAMS"
"""Overrides the number of streams the throughput hint picks (a whole number)."""
SHOWN_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
"""The flags worth naming when saying what a CPU can do for inference."""


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU flags the kernel reports (empty where /proc/cpuinfo does not exist)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


@lru_cache(maxsize=1)
def openvino_capabilities() -> tuple[str, ...]:
    """OpenVINO's OPTIMIZATION_CAPABILITIES of the CPU (`FP32`, `INT8`, `BF16`, ...).

    Raises DeviceUnavailable when OpenVINO is not installed.
    """
    try:
        import openvino as ov
    except ImportError:
        raise DeviceUnavailable("OpenVINO is not installed (pip install openvino)") from None
    return tuple(str(c) for c in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"))


def isa_summary() -> str:
    """One line: what OpenVINO and the kernel report, e.g. `FP32, INT8 (OpenVINO); avx2`."""
    flags = [flag for flag in SHOWN_FLAGS if flag in cpu_flags()]
    try:
        capabilities = ", ".join(openvino_capabilities())
    except DeviceUnavailable:
        capabilities = "no OpenVINO"
    return (
        f"{capabilities} (OpenVINO); flags {' '.join(flags) or 'none of ' + ', '.join(BF16_FLAGS)}"
    )


def bf16_unavailable_reason() -> str | None:
    """Why the `bf16` runtime cannot run here, or None when the CPU has bf16."""
    try:
        capabilities = openvino_capabilities()
    except DeviceUnavailable as error:
        return str(error)
    if "BF16" in capabilities:
        return None
    return f"needs a CPU with BF16 (AVX512_BF16 or AMX); this CPU reports {isa_summary()}"


class OpenVinoRuntime:
    """An ONNX graph compiled by OpenVINO for the CPU at a given inference precision."""

    def __init__(self, model_path: Path, name: str, precision: str) -> None:
        """Raises DeviceUnavailable (no OpenVINO, or bf16 asked of a CPU without it)."""
        if precision == "bf16":
            reason = bf16_unavailable_reason()
            if reason is not None:
                raise DeviceUnavailable(f"bf16: {reason}")
        try:
            import openvino as ov
        except ImportError:
            raise DeviceUnavailable("OpenVINO is not installed (pip install openvino)") from None
        self.name = name
        self.device = "cpu"
        self.path = model_path
        self.precision = precision
        core = ov.Core()
        self.hint = os.environ.get(HINT_ENV, "THROUGHPUT").upper()
        config: dict[str, Any] = {
            "INFERENCE_PRECISION_HINT": precision,
            "PERFORMANCE_HINT": self.hint,
            "INFERENCE_NUM_THREADS": physical_cores(),
        }
        streams = os.environ.get(STREAMS_ENV, "")
        if streams.isdigit() and int(streams) > 0:
            config["NUM_STREAMS"] = int(streams)
        self._compiled = core.compile_model(core.read_model(str(model_path)), "CPU", config)
        self.streams = int(self._compiled.get_property("NUM_STREAMS"))
        self.parallel = max(1, int(self._compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))
        """Infer requests worth running at once (the server runs that many batches at once)."""
        self._requests: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for _ in range(self.parallel):
            self._requests.put(self._compiled.create_infer_request())

    def logits(self, batch: np.ndarray) -> np.ndarray:
        """Thread-safe: each call takes one of the `parallel` infer requests (waits for one)."""
        feed = {INPUT_NAME: np.ascontiguousarray(batch, dtype=np.float32)}
        request = self._requests.get()
        try:
            result: np.ndarray = np.array(request.infer(feed)[0], dtype=np.float32, copy=True)
        finally:
            self._requests.put(request)
        return result

    def predict(self, batch: np.ndarray) -> np.ndarray:
        return softmax(self.logits(batch))

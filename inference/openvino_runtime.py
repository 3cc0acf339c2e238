"""OpenVINO on the CPU: the `bf16` runtime, the `int8` runtime's engine, and what the CPU can do.

OpenVINO picks bf16 by itself on a CPU that has it, so the precision is always set explicitly:
`f32` where fp32 is meant, `bf16` for the bf16 runtime. Whether bf16 is possible at all is read at
run time from OpenVINO's `OPTIMIZATION_CAPABILITIES` (it lists `BF16` only where the CPU has
AVX512_BF16 or AMX), cross-checked with the kernel's CPU flags.

As the server loads them, the graphs take the uint8 crop and normalise it themselves (see
`normalising_model`), and their streams are chosen by measurement (`openvino_tuning`).
"""

from __future__ import annotations

import os
import queue
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from rnbench.inference.errors import DeviceUnavailable
from rnbench.inference.graph import INPUT_NAME, physical_cores, softmax
from rnbench.inference.input_spec import InputSpec

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
def openvino_core() -> Any:
    """The process's one OpenVINO Core, kept until the process exits.

    Each Core's CPU plugin swaps the compiling thread's signal stack for one of its own (AMX needs
    a larger one) and puts the previous one back when the Core is freed. Two Cores freed in the
    order they were made leave the thread's signal stack pointing at unmapped memory, and the next
    signal (Ctrl-C, SIGTERM at teardown) kills the process with SIGSEGV before any handler runs.
    One Core that is never freed never swaps back.

    Raises DeviceUnavailable when OpenVINO is not installed.
    """
    try:
        import openvino as ov
    except ImportError:
        raise DeviceUnavailable("OpenVINO is not installed (pip install openvino)") from None
    return ov.Core()


@lru_cache(maxsize=1)
def openvino_capabilities() -> tuple[str, ...]:
    """OpenVINO's OPTIMIZATION_CAPABILITIES of the CPU (`FP32`, `INT8`, `BF16`, ...).

    Raises DeviceUnavailable when OpenVINO is not installed.
    """
    core = openvino_core()
    return tuple(str(c) for c in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"))


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
    """An ONNX graph compiled by OpenVINO for the CPU at a given inference precision.

    With `pixels` (the model's InputSpec) the compiled graph takes the uint8 [N, crop, crop, 3]
    pixels of `preprocess_pixels` and does the rest inside itself (convert to f32, subtract
    255 x mean and divide by 255 x std per channel, NHWC -> NCHW: OpenVINO's PrePostProcessor), so
    the server never normalises in numpy; without it, the float32 NCHW batch of `preprocess`.
    """

    def __init__(
        self,
        model_path: Path,
        name: str,
        precision: str,
        pixels: InputSpec | None = None,
        streams: int | None = None,
    ) -> None:
        """`streams` fixes NUM_STREAMS (else RNBENCH_OPENVINO_STREAMS, else the hint decides).

        Raises DeviceUnavailable (no OpenVINO, or bf16 asked of a CPU without it).
        """
        if precision == "bf16":
            reason = bf16_unavailable_reason()
            if reason is not None:
                raise DeviceUnavailable(f"bf16: {reason}")
        self.name = name
        self.device = "cpu"
        self.path = model_path
        self.precision = precision
        self.takes_pixels = pixels is not None
        """True: `logits` takes uint8 NHWC pixels and the graph normalises them itself."""
        self.hint = os.environ.get(HINT_ENV, "THROUGHPUT").upper()
        self._core = openvino_core()
        model = self._core.read_model(str(model_path))
        self._model = normalising_model(model, pixels) if pixels is not None else model
        self._spare: dict[int, Any] = {}
        self._install(self._compile(streams if streams is not None else env_streams()))

    def _compile(self, streams: int | None) -> Any:
        config: dict[str, Any] = {
            "INFERENCE_PRECISION_HINT": self.precision,
            "PERFORMANCE_HINT": self.hint,
            "INFERENCE_NUM_THREADS": physical_cores(),
        }
        if streams is not None:
            config["NUM_STREAMS"] = streams
        return self._core.compile_model(self._model, "CPU", config)

    def _install(self, compiled: Any) -> None:
        self._compiled = compiled
        self.streams = int(compiled.get_property("NUM_STREAMS"))
        """The streams the compiled model runs (read back from it)."""
        self.parallel = max(1, int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))
        """Infer requests worth running at once (the server runs that many batches at once)."""
        self._requests: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for _ in range(self.parallel):
            self._requests.put(compiled.create_infer_request())

    def _compiled_with(self, streams: int) -> Any:
        """The graph compiled for `streams` streams (kept until `use_streams` picks one)."""
        if streams == self.streams:
            return self._compiled
        if streams not in self._spare:
            self._spare[streams] = self._compile(streams)
        return self._spare[streams]

    def use_streams(self, streams: int) -> None:
        """Run with `streams` streams from now on (recompiling if need be). Not thread-safe:
        call it before serving. Drops every other compiled copy `throughput` made."""
        if streams != self.streams:
            self._install(self._compiled_with(streams))
        self._spare.clear()

    def throughput(self, streams: int, batch: int, seconds: float) -> float:
        """Images per second with `streams` streams and `batch` images per infer request, run
        for about `seconds` (after one untimed request each) on a fixed random input."""
        import openvino as ov

        compiled = self._compiled_with(streams)
        jobs = max(1, int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))
        feed = {0: self.sample(batch)}
        requests = ov.AsyncInferQueue(compiled, jobs)
        for _ in range(jobs):  # each request's first call at a new shape allocates: not timed
            requests.start_async(feed)
        requests.wait_all()
        started = time.perf_counter()
        deadline, runs = started + seconds, 0
        while runs < jobs or time.perf_counter() < deadline:
            requests.start_async(feed)  # waits for an idle request
            runs += 1
        requests.wait_all()
        return runs * batch / (time.perf_counter() - started)

    def sample(self, batch: int) -> np.ndarray:
        """A fixed random input of `batch` images in the form `logits` takes."""
        dims = self._compiled.inputs[0].get_partial_shape()
        shape = tuple(dims[axis].get_length() for axis in range(1, dims.rank.get_length()))
        rng = np.random.default_rng(0)
        if self.takes_pixels:
            return rng.integers(0, 256, (batch, *shape), dtype=np.uint8)
        return rng.standard_normal((batch, *shape), dtype=np.float32)

    def logits(self, batch: np.ndarray) -> np.ndarray:
        """Thread-safe: each call takes one of the `parallel` infer requests (waits for one).

        Raises TypeError for a batch of the other kind (float for pixels, or the reverse).
        """
        if self.takes_pixels != (batch.dtype == np.uint8):
            wanted = "uint8 [N, H, W, 3] pixels" if self.takes_pixels else "a float32 NCHW batch"
            raise TypeError(f"{self.name} takes {wanted}, got {batch.dtype} {batch.shape}")
        feed = {INPUT_NAME: np.ascontiguousarray(batch)}
        if not self.takes_pixels:
            feed[INPUT_NAME] = feed[INPUT_NAME].astype(np.float32, copy=False)
        request = self._requests.get()
        try:
            result: np.ndarray = np.array(request.infer(feed)[0], dtype=np.float32, copy=True)
        finally:
            self._requests.put(request)
        return result

    def predict(self, batch: np.ndarray) -> np.ndarray:
        return softmax(self.logits(batch))


def env_streams() -> int | None:
    """RNBENCH_OPENVINO_STREAMS as a whole number > 0, or None when unset (or not one)."""
    text = os.environ.get(STREAMS_ENV, "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def normalising_model(model: Any, spec: InputSpec) -> Any:
    """`model` ([N, 3, crop, crop] float32 input) taking uint8 [N, crop, crop, 3] pixels instead:
    convert to f32, subtract 255 x mean, divide by 255 x std per channel and go NHWC -> NCHW in
    the graph ((x / 255 - mean) / std, torchvision's ToTensor + Normalize)."""
    import openvino as ov
    from openvino.preprocess import PrePostProcessor

    steps = PrePostProcessor(model)
    source = steps.input()
    source.tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC"))
    source.model().set_layout(ov.Layout("NCHW"))
    source.preprocess().convert_element_type(ov.Type.f32).mean(
        [255.0 * m for m in spec.mean]
    ).scale([255.0 * s for s in spec.std])
    return steps.build()

"""The model behind the HTTP server: decoding in a thread pool, inference in one batching thread.

JPEG decoding and preprocessing run in a small thread pool (PIL releases the GIL while it
decodes and resizes), in parallel with the forward pass, so the model never waits for decoding.
All model work runs in the `Batcher`'s single thread with every core on it: concurrent requests
queue in front of it instead of fighting over the cores, and with `max_batch` > 1 the requests
waiting together run as one batch (dynamic batching), each answered with its own result: the
batching thread also turns the batch's output into each request's JSON body (`response_bodies`),
so the event loop only sends it.

The OpenVINO runtimes take the uint8 crop (decode, resize, crop: `preprocess_pixels`) and
normalise it in their graph; their streams and batch limit are chosen by measurement when the
server starts (`openvino_tuning`) and reported in `info()` and the ready file.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from rnbench.inference.agreement import Agreement, served_agreement
from rnbench.inference.batcher import Batcher
from rnbench.inference.contract import DEFAULT_MAX_BATCH, DEFAULT_MAX_DELAY_MS
from rnbench.inference.graph import softmax, takes_pixels
from rnbench.inference.input_spec import InputSpec
from rnbench.inference.machine import cpu_facts
from rnbench.inference.models import STUDY_MODEL, ModelSpec
from rnbench.inference.openvino_tuning import StreamChoice
from rnbench.inference.predict import labels, response_bodies
from rnbench.inference.preprocess import preprocess, preprocess_pixels
from rnbench.inference.runtimes import Loaded, load_runtime

DECODE_THREADS = 2
"""Threads decoding and preprocessing requests (enough to keep one ahead of the model)."""


@dataclass(frozen=True)
class Answer:
    """One request's result and how long the server spent on it."""

    body: bytes
    """The JSON response body (top-5 classes), encoded."""
    server_ms: float
    """Decode + preprocess + the forward pass of its batch, in ms (excludes time queued)."""
    model_ms: float
    """The forward pass of the batch the request ran in, in ms."""
    queue_ms: float
    """Time the request waited for a decode thread and then for the model, in ms."""
    batch_size: int
    """How many requests ran together in its forward pass."""

    @property
    def payload(self) -> dict[str, Any]:
        """The body, decoded."""
        decoded: dict[str, Any] = json.loads(self.body)
        return decoded


def _versions() -> dict[str, str]:
    import onnxruntime
    import torch

    versions = {"torch_version": torch.__version__, "onnxruntime_version": onnxruntime.__version__}
    try:
        import openvino

        versions["openvino_version"] = openvino.get_version()
    except ImportError:
        pass
    return versions


def _cpu() -> dict[str, Any]:
    cpu = cpu_facts()
    return {"cpu_model": cpu.model, "cpu_cores": cpu.cores, "cpu_flags": cpu.flags}


class InferenceService:
    """Owns the decode pool, the batching thread and the loaded runtime; `start()` first."""

    def __init__(
        self,
        runtime: str,
        device: str,
        weights_path: str | None = None,
        max_batch: int = DEFAULT_MAX_BATCH,
        max_delay_ms: float = DEFAULT_MAX_DELAY_MS,
        model: ModelSpec = STUDY_MODEL,
    ) -> None:
        self.runtime_name = runtime
        self.model = model
        self.device = device
        self.max_batch = max_batch
        """The batching limit asked for; the batcher's (`batch_limit`) may be smaller."""
        self.batch_limit = max_batch
        """The batcher's limit: `max_batch`, or smaller where measurement chose so (OpenVINO)."""
        self.streams: StreamChoice | None = None
        """How an OpenVINO runtime's streams and batch limit were chosen (None for others)."""
        self.max_delay_ms = max_delay_ms
        self._weights_path = weights_path
        self._decoders = ThreadPoolExecutor(DECODE_THREADS, thread_name_prefix="rnbench-decode")
        self._batcher: Batcher | None = None
        self._loaded: Loaded | None = None
        self._prepare: Callable[[bytes, InputSpec], Any] = preprocess
        self.agreement: Agreement | None = None

    @property
    def ready(self) -> bool:
        """True once the model is loaded and checked."""
        return self._batcher is not None

    def start(self) -> None:
        """Load the model, choose an OpenVINO runtime's streams and batch limit (measured, or
        cached from an earlier start), warm it up at batch 1 and the limit, measure agreement
        with eager.

        Raises InferenceUsageError (bad weights, runtime or device) or DeviceUnavailable (no
        CUDA, no bf16 on this CPU).
        """
        from rnbench.inference.openvino_runtime import OpenVinoRuntime
        from rnbench.inference.openvino_tuning import tune

        loaded = load_runtime(self.runtime_name, self.device, self._weights_path, self.model)
        if isinstance(loaded.runtime, OpenVinoRuntime):
            self.streams = tune(loaded.runtime, self.max_batch, self.model.key)
            self.batch_limit = min(self.max_batch, self.streams.batch)
        spec = self.model.input
        if takes_pixels(loaded.runtime):
            warm = np.zeros((1, spec.crop, spec.crop, 3), dtype=np.uint8)
        else:
            warm = np.zeros(spec.shape, dtype=np.float32)
        workers = int(getattr(loaded.runtime, "parallel", 1))
        for _ in range(workers):  # each infer request's first calls allocate: not in latency
            loaded.runtime.logits(warm)
            if self.batch_limit > 1:
                loaded.runtime.logits(np.repeat(warm, self.batch_limit, axis=0))
        self.agreement = served_agreement(
            loaded.runtime, loaded.reference, loaded.weights.kind, spec
        )
        labels()  # ImageNet's names come from torchvision: imported here, not in a request
        self._prepare = preprocess_pixels if takes_pixels(loaded.runtime) else preprocess
        self._loaded = loaded
        self._batcher = Batcher(
            loaded.runtime.logits, self.batch_limit, self.max_delay_ms, workers, _bodies
        )

    async def infer(self, body: bytes) -> Answer:
        """Decode in the pool, then wait for this request's row of a batch.

        Raises BadImage for input that is not an acceptable image, RuntimeError before `start`.
        """
        batcher = self._batcher
        if batcher is None:
            raise RuntimeError("the model is not loaded yet")
        submitted = time.perf_counter()
        batch, decode_start, decode_ms = await asyncio.get_running_loop().run_in_executor(
            self._decoders, _timed, self._prepare, body, self.model.input
        )
        decoded = time.perf_counter()
        result = await asyncio.wrap_future(batcher.submit(batch))
        waited_for_decoder = decode_start - submitted
        waited_for_model = max(0.0, result.started - decoded)
        return Answer(
            body=result.answer,
            server_ms=decode_ms + result.model_ms,
            model_ms=result.model_ms,
            queue_ms=(waited_for_decoder + waited_for_model) * 1e3,
            batch_size=result.batch_size,
        )

    def info(self) -> dict[str, Any]:
        """What is being served: runtime, device, weights, batching, versions, agreement."""
        loaded = self._loaded
        return {
            "runtime": self.runtime_name,
            "device": self.device,
            "weights": loaded.weights.kind if loaded else None,
            "weights_source": loaded.weights.source if loaded else None,
            "weights_sha256": loaded.weights.sha256 if loaded else None,
            **self.model_info(),
            "max_batch": self.batch_limit,
            "max_batch_requested": self.max_batch,
            "max_delay_ms": self.max_delay_ms,
            **_versions(),
            **_cpu(),
            "parallel_batches": self._batcher.workers if self._batcher else None,
            **self.openvino_info(),
            "pid": os.getpid(),
            "ready": self.ready,
            "agreement": asdict(self.agreement) if self.agreement else None,
        }

    def openvino_info(self) -> dict[str, Any]:
        """An OpenVINO runtime's settings, read back from the compiled model: streams, infer
        requests run at once, hint, input form, and how streams and batch were chosen."""
        runtime = self._loaded.runtime if self._loaded else None
        if runtime is None or self.streams is None:
            return {}
        return {
            "openvino_streams": getattr(runtime, "streams", None),
            "openvino_infer_requests": getattr(runtime, "parallel", None),
            "openvino_hint": getattr(runtime, "hint", None),
            "openvino_input": "uint8 NHWC (normalised in the graph)"
            if takes_pixels(runtime)
            else "float32 NCHW",
            "openvino_choice": self.streams.describe(),
        }

    def model_info(self) -> dict[str, Any]:
        """The served model's identity: name or file hash, size, GFLOPs, input side."""
        loaded = self._loaded
        cost = loaded.cost if loaded else None
        return {
            "model": self.model.label,
            "model_kind": self.model.kind,
            "model_params": cost.params if cost else None,
            "model_gflops": cost.gflops if cost else None,
            "input_size": self.model.input.crop,
        }

    def close(self) -> None:
        """Answer the requests already queued, then stop the threads."""
        if self._batcher is not None:
            self._batcher.close()
        self._decoders.shutdown(wait=True, cancel_futures=True)


def _bodies(logits: np.ndarray) -> list[bytes]:
    """A batch's logits -> each row's JSON response body (in the batching thread)."""
    return response_bodies(softmax(logits))


def _timed(
    prepare: Callable[[bytes, InputSpec], Any], body: bytes, spec: InputSpec
) -> tuple[Any, float, float]:
    """(prepared input, when decoding started, how long it took in ms). Raises BadImage."""
    start = time.perf_counter()
    batch = prepare(body, spec)
    return batch, start, (time.perf_counter() - start) * 1e3

"""The model behind the HTTP server: decoding in a thread pool, inference in one batching thread.

JPEG decoding and preprocessing run in a small thread pool (PIL releases the GIL while it
decodes and resizes), in parallel with the forward pass, so the model never waits for decoding.
All model work runs in the `Batcher`'s single thread with every core on it: concurrent requests
queue in front of it instead of fighting over the cores, and with `max_batch` > 1 the requests
waiting together run as one batch (dynamic batching), each answered with its own result.
"""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from rnbench.inference.agreement import Agreement, measure_agreement
from rnbench.inference.batcher import Batcher
from rnbench.inference.contract import DEFAULT_MAX_BATCH, DEFAULT_MAX_DELAY_MS
from rnbench.inference.graph import softmax
from rnbench.inference.input_spec import InputSpec
from rnbench.inference.machine import cpu_facts
from rnbench.inference.models import STUDY_MODEL, ModelSpec
from rnbench.inference.predict import top_k
from rnbench.inference.preprocess import preprocess
from rnbench.inference.runtimes import Loaded, agreement_inputs, load_runtime

DECODE_THREADS = 2
"""Threads decoding and preprocessing requests (enough to keep one ahead of the model)."""


@dataclass(frozen=True)
class Answer:
    """One request's result and how long the server spent on it."""

    payload: dict[str, Any]
    """The JSON response body (top-5 classes)."""
    server_ms: float
    """Decode + preprocess + the forward pass of its batch, in ms (excludes time queued)."""
    model_ms: float
    """The forward pass of the batch the request ran in, in ms."""
    queue_ms: float
    """Time the request waited for a decode thread and then for the model, in ms."""
    batch_size: int
    """How many requests ran together in its forward pass."""


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
        self.max_delay_ms = max_delay_ms
        self._weights_path = weights_path
        self._decoders = ThreadPoolExecutor(DECODE_THREADS, thread_name_prefix="rnbench-decode")
        self._batcher: Batcher | None = None
        self._loaded: Loaded | None = None
        self.agreement: Agreement | None = None

    @property
    def ready(self) -> bool:
        """True once the model is loaded and checked."""
        return self._batcher is not None

    def start(self) -> None:
        """Load the model, warm it up at batch 1 and `max_batch`, measure agreement with eager.

        Raises InferenceUsageError (bad weights, runtime or device) or DeviceUnavailable (no
        CUDA, no bf16 on this CPU).
        """
        import numpy as np

        from rnbench.inference.natural_images import agreement_batches

        loaded = load_runtime(self.runtime_name, self.device, self._weights_path, self.model)
        warm = agreement_inputs(count=1, spec=self.model.input)[0]
        workers = int(getattr(loaded.runtime, "parallel", 1))
        for _ in range(workers):  # each infer request's first calls allocate: not in latency
            loaded.runtime.logits(warm)
            if self.max_batch > 1:
                loaded.runtime.logits(np.repeat(warm, self.max_batch, axis=0))
        self.agreement = measure_agreement(
            loaded.runtime,
            loaded.reference,
            agreement_batches(spec=self.model.input),
            loaded.weights.kind,
        )
        self._loaded = loaded
        self._batcher = Batcher(loaded.runtime.logits, self.max_batch, self.max_delay_ms, workers)

    async def infer(self, body: bytes) -> Answer:
        """Decode in the pool, then wait for this request's row of a batch.

        Raises BadImage for input that is not an acceptable image, RuntimeError before `start`.
        """
        batcher = self._batcher
        if batcher is None:
            raise RuntimeError("the model is not loaded yet")
        submitted = time.perf_counter()
        batch, decode_start, decode_ms = await asyncio.get_running_loop().run_in_executor(
            self._decoders, _timed_preprocess, body, self.model.input
        )
        decoded = time.perf_counter()
        result = await asyncio.wrap_future(batcher.submit(batch))
        payload = top_k(softmax(result.row))
        waited_for_decoder = decode_start - submitted
        waited_for_model = max(0.0, result.started - decoded)
        return Answer(
            payload=payload,
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
            "max_batch": self.max_batch,
            "max_delay_ms": self.max_delay_ms,
            **_versions(),
            **_cpu(),
            "parallel_batches": self._batcher.workers if self._batcher else None,
            "openvino_streams": getattr(loaded.runtime, "streams", None) if loaded else None,
            "pid": os.getpid(),
            "ready": self.ready,
            "agreement": asdict(self.agreement) if self.agreement else None,
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


def _timed_preprocess(body: bytes, spec: InputSpec) -> tuple[Any, float, float]:
    """(batch, when decoding started, how long it took in ms). Raises BadImage."""
    start = time.perf_counter()
    batch = preprocess(body, spec)
    return batch, start, (time.perf_counter() - start) * 1e3

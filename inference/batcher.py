"""Server-side dynamic batching, as Triton and TorchServe do it: queue, gather, run together.

One dedicated thread owns the model. It waits for a first decoded request, then gathers more for
up to `max_delay_ms` (or until `max_batch` are waiting), runs them as one batch and answers each
with its own row. With `max_batch` 1 it runs every request alone, as soon as it is decoded. The
requests waiting while a batch runs are taken together by the next one without any extra delay,
so a saturated server batches by itself and an idle one adds at most `max_delay_ms` of latency.

With `workers` > 1 (a runtime that runs several infer requests at once, as OpenVINO's throughput
streams do), that many threads gather and run batches: one gathers while the others compute, so
the cores never idle while a batch is assembled or answered.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class BatchResult:
    """One request's share of a batch."""

    row: np.ndarray
    """This request's [1, 1000] output row."""
    batch_size: int
    """How many requests the batch held."""
    started: float
    """perf_counter() when the batch's forward pass began."""
    model_ms: float
    """The whole batch's forward pass, in ms."""
    answer: Any = None
    """What the batcher's `finish` made of this row (None without one)."""


@dataclass(frozen=True)
class _Item:
    batch: np.ndarray
    future: Future[BatchResult]


_STOP = object()


class Batcher:
    """Runs `forward` ([N, ...] -> [N, ...]) on gathered requests in `workers` threads (forward
    must be thread-safe when workers > 1); submit is thread-safe."""

    def __init__(
        self,
        forward: Callable[[np.ndarray], np.ndarray],
        max_batch: int,
        max_delay_ms: float,
        workers: int = 1,
        finish: Callable[[np.ndarray], Sequence[Any]] | None = None,
    ) -> None:
        """`finish` turns a batch's output into one answer per row, in the batching thread (the
        server's JSON bodies: made there, they cost its event loop nothing)."""
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if max_delay_ms < 0:
            raise ValueError("max_delay_ms must not be negative")
        self.max_batch = max_batch
        self.max_delay_s = max_delay_ms / 1e3
        self._forward = forward
        self._finish = finish
        self._queue: queue.SimpleQueue[_Item | object] = queue.SimpleQueue()
        self.workers = workers
        self._threads = [
            threading.Thread(target=self._run, name=f"rnbench-batcher-{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, batch: np.ndarray) -> Future[BatchResult]:
        """Queue one request's [1, ...] input; the future gets its row (or the model's error)."""
        future: Future[BatchResult] = Future()
        self._queue.put(_Item(batch, future))
        return future

    def close(self) -> None:
        """Answer what is queued, then stop the threads."""
        for _ in self._threads:
            self._queue.put(_STOP)
        for thread in self._threads:
            thread.join()

    def _gather(self, first: _Item) -> tuple[list[_Item], bool]:
        """`first` plus whatever arrives within the delay (or is already waiting)."""
        items = [first]
        deadline = time.perf_counter() + self.max_delay_s
        while len(items) < self.max_batch:
            try:
                remaining = deadline - time.perf_counter()
                item = (
                    self._queue.get(timeout=remaining)
                    if remaining > 0
                    else self._queue.get_nowait()
                )
            except queue.Empty:
                break
            if item is _STOP:
                return items, True
            assert isinstance(item, _Item)
            items.append(item)
        return items, False

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                return
            assert isinstance(first, _Item)
            items, stopping = self._gather(first)
            live = [item for item in items if item.future.set_running_or_notify_cancel()]
            if live:
                self._answer(live)

    def _answer(self, items: list[_Item]) -> None:
        started = time.perf_counter()
        try:
            batch = items[0].batch if len(items) == 1 else np.concatenate([i.batch for i in items])
            out = self._forward(batch)
            model_ms = (time.perf_counter() - started) * 1e3
            answers = self._finish(out) if self._finish else [None] * len(items)
        except BaseException as error:  # noqa: BLE001 - handed to every waiting request
            for item in items:
                item.future.set_exception(error)
            return
        for index, item in enumerate(items):
            row = out[index : index + 1]
            item.future.set_result(BatchResult(row, len(items), started, model_ms, answers[index]))

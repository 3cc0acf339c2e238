"""The OpenVINO runtimes keep the cores busy: streams and infer requests taken, batches overlap."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from rnbench.inference.batcher import Batcher
from rnbench.inference.graph import INPUT_NAME


def test_batcher_with_two_workers_runs_two_batches_at_once() -> None:
    both_running = threading.Barrier(2, timeout=5)

    def forward(batch: np.ndarray) -> np.ndarray:
        both_running.wait()  # raises BrokenBarrierError unless a second batch runs meanwhile
        return batch * 2

    batcher = Batcher(forward, max_batch=1, max_delay_ms=0.0, workers=2)
    try:
        futures = [batcher.submit(np.full((1, 1), float(i))) for i in range(4)]
        rows = [float(f.result(timeout=10).row[0, 0]) for f in futures]
    finally:
        batcher.close()
    assert rows == [0.0, 2.0, 4.0, 6.0]
    with pytest.raises(ValueError, match="workers"):
        Batcher(forward, max_batch=1, max_delay_ms=0.0, workers=0)


def _tiny_graph(path: Path) -> Path:
    """An ONNX graph input0 [N, 3, 8, 8] -> [N, 3] (mean over the pixels)."""
    onnx = pytest.importorskip("onnx")
    helper = onnx.helper
    graph = helper.make_graph(
        [helper.make_node("ReduceMean", [INPUT_NAME], ["output0"], axes=[2, 3], keepdims=0)],
        "tiny",
        [helper.make_tensor_value_info(INPUT_NAME, onnx.TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("output0", onnx.TensorProto.FLOAT, ["N", 3])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize(("hint", "streams"), [("THROUGHPUT", "2"), ("LATENCY", "")])
def test_openvino_runtime_takes_hint_and_streams_and_is_thread_safe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hint: str, streams: str
) -> None:
    pytest.importorskip("openvino")
    from rnbench.inference.openvino_runtime import HINT_ENV, STREAMS_ENV, OpenVinoRuntime

    monkeypatch.setenv(HINT_ENV, hint)
    monkeypatch.setenv(STREAMS_ENV, streams)
    runtime = OpenVinoRuntime(_tiny_graph(tmp_path / "tiny.onnx"), "compiled", "f32")
    assert runtime.hint == hint
    if hint == "LATENCY":
        assert runtime.streams == 1
    else:
        assert runtime.streams == 2 and runtime.parallel >= 2
    batches = [np.full((2, 3, 8, 8), float(i), dtype=np.float32) for i in range(8)]
    results: dict[int, np.ndarray] = {}

    def run(i: int) -> None:
        results[i] = runtime.logits(batches[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for i in range(8):
        np.testing.assert_allclose(results[i], np.full((2, 3), float(i)), rtol=1e-6)

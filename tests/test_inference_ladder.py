"""The optimization ladder's runtimes (bf16, int8), the agreement figures and the batcher."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from rnbench.inference import graph, onnx_export, runtimes
from rnbench.inference.agreement import describe, measure_agreement
from rnbench.inference.batcher import Batcher
from rnbench.inference.errors import DeviceUnavailable
from rnbench.inference.natural_images import agreement_batches, calibration_batches
from rnbench.inference.openvino_runtime import (
    OpenVinoRuntime,
    bf16_unavailable_reason,
    cpu_flags,
    isa_summary,
)
from rnbench.inference.quantize import INT8_ENGINE, quantize_int8
from rnbench.inference.weights import WEIGHTS_ENV, build_model

CALIBRATION_IMAGES = 2
"""Photographs the tests calibrate int8 on (4 inputs): enough to exercise the path quickly."""


@pytest.fixture(scope="module")
def ladder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, graph.Runtime]]:
    """Eager and int8 (quantized once per session into the shared test cache)."""
    home = tmp_path_factory.mktemp("ladder-home")
    shared = tmp_path_factory.getbasetemp() / "shared-cache"
    shared.mkdir(exist_ok=True)
    (home / "cache").symlink_to(shared)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(WEIGHTS_ENV, raising=False)
        patch.setenv("RNBENCH_HOME", str(home))
        runtimes.configure_threads()
        model, weights = build_model()
        path = quantize_int8(model, weights, calibration_images=CALIBRATION_IMAGES)
        again = quantize_int8(model, weights, calibration_images=CALIBRATION_IMAGES)
        assert again == path and path.is_file()  # cached: built once
        if INT8_ENGINE == "openvino":
            int8: graph.Runtime = OpenVinoRuntime(path, "int8", "f32")
        else:
            int8 = runtimes.OnnxRuntime(path, "cpu", name="int8")
        yield {"eager": runtimes.EagerRuntime(model), "int8": int8}


def test_int8_runs_batches_and_is_measured_against_eager(
    ladder: dict[str, graph.Runtime],
) -> None:
    inputs = agreement_batches(count=3)
    batch = np.concatenate(inputs)
    logits = ladder["int8"].logits(batch)
    assert logits.shape == (3, 1000) and np.isfinite(logits).all()
    one_by_one = np.concatenate([ladder["int8"].logits(x) for x in inputs])
    assert np.allclose(logits, one_by_one, atol=1e-3)  # each row is its own image's
    probabilities = ladder["int8"].predict(inputs[0])
    assert abs(float(probabilities.sum()) - 1.0) < 1e-4
    agreement = measure_agreement(ladder["int8"], ladder["eager"], inputs, "random")
    assert agreement.inputs == 3
    assert 0.0 <= agreement.top5_agreement <= 1.0 and 0.0 <= agreement.top1_agreement <= 1.0
    # Quantization changes the numbers, but not wildly: logits of this model are O(1).
    assert 0.0 < agreement.mean_logit_deviation <= agreement.max_logit_deviation < 20.0
    assert "numerics check only" in describe(agreement)


def test_agreement_figures_are_computed_from_logits() -> None:
    class Fixed:
        name, device = "fixed", "cpu"

        def __init__(self, rows: list[list[float]]) -> None:
            self.rows = np.asarray(rows, dtype=np.float32)
            self.calls = 0

        def logits(self, batch: np.ndarray) -> np.ndarray:
            """Row `calls` for the `calls`-th input (one input per call)."""
            self.calls += 1
            return self.rows[self.calls - 1 : self.calls]

        def predict(self, batch: np.ndarray) -> np.ndarray:
            return graph.softmax(self.logits(batch))

    ramp = list(range(1000))
    want = Fixed([[float(v) for v in ramp]] * 2)
    swapped = [float(v) for v in ramp]
    swapped[999], swapped[998] = 998.0, 999.0  # top-1 differs, top-5 set is the same
    got = Fixed([swapped, [float(v) + 0.5 for v in ramp]])
    inputs = [np.zeros((1, 3, 224, 224), np.float32)] * 2
    agreement = measure_agreement(got, want, inputs, "pretrained")
    assert agreement.top1_agreement == 0.5 and agreement.top5_agreement == 1.0
    assert agreement.max_logit_deviation == pytest.approx(1.0)
    assert agreement.mean_logit_deviation == pytest.approx((2.0 / 1000 + 0.5) / 2)
    assert not agreement.top1_equal and "numerics" not in describe(agreement)
    assert "top-1 1/2, top-5 2/2" in describe(agreement)
    with pytest.raises(ValueError):
        measure_agreement(got, want, [], "random")


def test_bf16_runs_where_the_cpu_has_it(ladder: dict[str, graph.Runtime]) -> None:
    reason = bf16_unavailable_reason()
    if reason is not None:
        pytest.skip(f"bf16: {reason}")
    model, weights = build_model()
    bf16 = OpenVinoRuntime(onnx_export.export_onnx(model, weights), "bf16", "bf16")
    agreement = measure_agreement(bf16, ladder["eager"], agreement_batches(count=3), "random")
    assert agreement.max_logit_deviation < 5.0


def test_bf16_is_refused_with_the_reason_on_a_cpu_without_it() -> None:
    reason = bf16_unavailable_reason()
    if reason is None:
        pytest.skip("this CPU has bf16")
    assert "needs a CPU with BF16 (AVX512_BF16 or AMX); this CPU reports" in reason
    assert "BF16" not in reason.split("reports", 1)[1]
    if "avx2" in cpu_flags():
        assert "avx2" in isa_summary()
    with pytest.raises(DeviceUnavailable, match="needs a CPU with BF16"):
        runtimes.load_runtime("bf16", "cpu")


def test_cpu_only_runtimes_refuse_cuda() -> None:
    with pytest.raises(DeviceUnavailable):
        runtimes.load_runtime("int8", "cuda")


def test_calibration_uses_real_photographs_not_the_agreement_inputs() -> None:
    calibration = calibration_batches(count=2)
    agreement = agreement_batches(count=2)
    assert len(calibration) == 4 and all(b.shape == (1, 3, 224, 224) for b in calibration)
    assert all(not np.array_equal(c, a) for c in calibration for a in agreement)
    assert all(float(b.std()) > 0.1 for b in calibration)  # photographs, not flat images


def _rows(batch: np.ndarray) -> np.ndarray:
    """A stand-in model: row i of the output is the sum of input i (so rows are traceable)."""
    time.sleep(0.02)
    return batch.reshape(batch.shape[0], -1).sum(axis=1, keepdims=True)


def test_batcher_runs_coinciding_requests_together_each_with_its_own_row() -> None:
    batcher = Batcher(_rows, max_batch=4, max_delay_ms=200.0)
    try:
        futures = [batcher.submit(np.full((1, 2), float(i))) for i in range(6)]
        results = [f.result(timeout=5) for f in futures]
    finally:
        batcher.close()
    assert [float(r.row[0, 0]) for r in results] == [2.0 * i for i in range(6)]
    assert [r.batch_size for r in results] == [4, 4, 4, 4, 2, 2]
    assert all(r.model_ms > 0 for r in results)


def test_batcher_finishes_each_batch_in_its_thread_and_hands_each_request_its_answer() -> None:
    threads: list[str] = []

    def finish(out: np.ndarray) -> list[str]:
        threads.append(threading.current_thread().name)
        if out[0, 0] < 0:
            raise ValueError("cannot answer")
        return [f"row {float(value):g}" for value in out[:, 0]]

    batcher = Batcher(_rows, max_batch=4, max_delay_ms=200.0, finish=finish)
    try:
        futures = [batcher.submit(np.full((1, 2), float(i))) for i in range(4)]
        answers = [f.result(timeout=5).answer for f in futures]
        with pytest.raises(ValueError, match="cannot answer"):
            batcher.submit(np.full((1, 2), -1.0)).result(timeout=5)
    finally:
        batcher.close()
    assert answers == ["row 0", "row 2", "row 4", "row 6"]
    assert set(threads) == {"rnbench-batcher-0"}


def test_batcher_without_batching_runs_one_at_a_time_and_passes_errors_on() -> None:
    calls: list[int] = []

    def forward(batch: np.ndarray) -> np.ndarray:
        calls.append(batch.shape[0])
        if batch[0, 0] < 0:
            raise RuntimeError("bad input")
        return batch

    batcher = Batcher(forward, max_batch=1, max_delay_ms=50.0)
    try:
        threads = [
            threading.Thread(target=lambda i=i: batcher.submit(np.full((1, 1), i)).result())
            for i in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=5)
        with pytest.raises(RuntimeError, match="bad input"):
            batcher.submit(np.full((1, 1), -1.0)).result(timeout=5)
        assert batcher.submit(np.full((1, 1), 7.0)).result(timeout=5).row[0, 0] == 7.0
    finally:
        batcher.close()
    assert calls == [1] * 5
    with pytest.raises(ValueError):
        Batcher(forward, max_batch=0, max_delay_ms=1.0)


def test_compile_bf16_on_a_cpu_without_it_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from rnbench.inference import compile as compile_step

    if bf16_unavailable_reason() is None:
        pytest.skip("this CPU has bf16")
    assert compile_step.main(["--runtime", "bf16"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("compile: error: bf16: needs a CPU with BF16")

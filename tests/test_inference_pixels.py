"""Normalisation in the graph (issue 15): the OpenVINO runtimes take the uint8 crop.

OpenVINO's PrePostProcessor converts, normalises (the model's own mean/std) and transposes inside
the compiled graph, so the server hands it `preprocess_pixels`' uint8 NHWC crop. Its outputs
equal those of the same graph fed the float batch within PIXELS_TOLERANCE, on the photographs of
the agreement check. ResNet-18 at 64 px stands in for ResNet-50 (same operators, quick).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from rnbench.inference.input_spec import InputSpec
from rnbench.inference.models import ModelSpec, resolve_model
from rnbench.inference.natural_images import agreement_batches, agreement_pixels
from rnbench.inference.openvino_runtime import (
    STREAMS_ENV,
    OpenVinoRuntime,
    bf16_unavailable_reason,
)
from rnbench.inference.preprocess import normalise, preprocess, preprocess_pixels
from rnbench.inference.runtimes import load_runtime
from rnbench.inference.weights import WEIGHTS_ENV

pytest.importorskip("openvino")

PIXELS_TOLERANCE = 1e-5
"""Largest |logit difference| between the uint8 and the float path, relative to the largest
|logit| (measured on ResNet-50 with random weights: 6e-7 at f32, 0 for bf16 and int8, whose
first operation rounds the input anyway)."""
SMALL = (64, "resnet18")
"""Input side and model of the end-to-end tests."""


def _flatten_graph(path: Path, side: int) -> Path:
    """An ONNX graph input0 [N, 3, side, side] -> [N, 3 x side x side]: every input value out."""
    onnx = pytest.importorskip("onnx")
    helper = onnx.helper
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["input0"], ["logits"], axis=1)],
        "flatten",
        [helper.make_tensor_value_info("input0", onnx.TensorProto.FLOAT, ["N", 3, side, side])],
        [helper.make_tensor_value_info("logits", onnx.TensorProto.FLOAT, ["N", 3 * side * side])],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path


def test_the_graph_normalises_with_the_models_own_mean_and_std(tmp_path: Path) -> None:
    """Layout, channel order and per-channel mean/std: every value equals numpy's normalise."""
    spec = InputSpec(resize=9, crop=8, mean=(0.1, 0.5, 0.9), std=(0.2, 0.4, 0.8))
    graph = _flatten_graph(tmp_path / "flatten.onnx", spec.crop)
    pixels = np.random.default_rng(5).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    in_graph = OpenVinoRuntime(graph, "flatten", "f32", pixels=spec)
    assert in_graph.takes_pixels
    got = in_graph.logits(pixels)
    want = normalise(pixels, spec).reshape(2, -1)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    float_fed = OpenVinoRuntime(graph, "flatten", "f32")
    np.testing.assert_allclose(float_fed.logits(normalise(pixels, spec)), want, atol=1e-6)
    with pytest.raises(TypeError, match="uint8"):
        in_graph.logits(normalise(pixels, spec))
    with pytest.raises(TypeError, match="float32"):
        float_fed.logits(pixels)


def test_pixels_are_the_float_paths_input_before_normalising(doggo_jpeg: bytes) -> None:
    pixels = preprocess_pixels(doggo_jpeg)
    assert pixels.shape == (1, 224, 224, 3) and pixels.dtype == np.uint8
    assert np.array_equal(normalise(pixels), preprocess(doggo_jpeg))
    spec = InputSpec(resize=73, crop=64)
    crops = agreement_pixels(count=3, spec=spec)
    batches = agreement_batches(count=3, spec=spec)
    assert [c.shape for c in crops] == [(1, 64, 64, 3)] * 3
    assert all(np.array_equal(normalise(c, spec), b) for c, b in zip(crops, batches, strict=True))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelSpec]:
    """ResNet-18 at 64 px, random weights; exports and int8 graph in a module-wide cache."""
    pytest.importorskip("skimage")
    cache = tmp_path_factory.mktemp("pixels-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(WEIGHTS_ENV, raising=False)
        patch.setenv("RNBENCH_CACHE_DIR", str(cache))
        side, name = SMALL
        yield resolve_model(name, side)


def _runtime_pair(name: str, spec: ModelSpec) -> tuple[OpenVinoRuntime, OpenVinoRuntime]:
    """(the runtime as the server loads it, the same graph and precision fed float)."""

    if name == "bf16" and bf16_unavailable_reason() is not None:
        pytest.skip(f"bf16: {bf16_unavailable_reason()}")
    if name == "fp32":  # the f32 hint on the fp32 export (the compiled rung's graph)
        path = load_runtime("compiled", "cpu", None, spec).runtime.path  # type: ignore[attr-defined]
        served = OpenVinoRuntime(path, "fp32", "f32", pixels=spec.input)
        return served, OpenVinoRuntime(path, "fp32", "f32")
    loaded = load_runtime(name, "cpu", None, spec).runtime
    assert isinstance(loaded, OpenVinoRuntime) and loaded.takes_pixels
    return loaded, OpenVinoRuntime(loaded.path, name, loaded.precision)


@pytest.mark.parametrize("name", ["int8", "bf16", "fp32"])
def test_uint8_fed_equals_float_fed_on_the_photographs(name: str, small: ModelSpec) -> None:
    served, float_fed = _runtime_pair(name, small)
    pixels = agreement_pixels(spec=small.input)
    batches = agreement_batches(spec=small.input)
    assert len(pixels) == 18
    got = np.concatenate([served.logits(p) for p in pixels])
    want = np.concatenate([float_fed.logits(b) for b in batches])
    scale = float(np.abs(want).max())
    assert scale > 0
    assert float(np.abs(got - want).max()) <= PIXELS_TOLERANCE * scale, name
    assert np.array_equal(got.argmax(axis=1), want.argmax(axis=1))


def test_the_server_feeds_openvino_pixels_and_its_agreement_check_holds(
    small: ModelSpec, doggo_jpeg: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The served path end to end: the server's agreement figures are those of the float path."""
    from rnbench.inference.agreement import measure_agreement
    from rnbench.inference.service import InferenceService

    monkeypatch.setenv(STREAMS_ENV, "1")  # choosing streams is tested in test_inference_tuning
    service = InferenceService("int8", "cpu", max_batch=4, model=small)
    try:
        service.start()
        assert service.agreement is not None
        loaded = service._loaded
        assert loaded is not None and isinstance(loaded.runtime, OpenVinoRuntime)
        float_fed = OpenVinoRuntime(loaded.runtime.path, "int8", "f32")
        batches = agreement_batches(spec=small.input)
        via_float = measure_agreement(float_fed, loaded.reference, batches, "random")
        assert service.agreement.inputs == 18
        assert service.agreement.top1_agreement == via_float.top1_agreement
        assert service.agreement.top5_agreement == via_float.top5_agreement
        assert service.agreement.max_logit_deviation == pytest.approx(
            via_float.max_logit_deviation, rel=1e-3, abs=1e-4
        )
        answer = asyncio.run(service.infer(doggo_jpeg))
        assert len(answer.payload["top5"]) == 5 and answer.batch_size == 1
        want = float_fed.predict(preprocess(doggo_jpeg, small.input))[0]
        assert answer.payload["top5"][0]["index"] == int(want.argmax())
        info = service.info()
        assert info["openvino_input"].startswith("uint8 NHWC")
        assert info["openvino_streams"] == 1 and info["openvino_choice"] == STREAMS_ENV
        assert info["max_batch"] == 4 == info["max_batch_requested"]
    finally:
        service.close()

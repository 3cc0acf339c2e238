"""Weights, runtimes, the ONNX export cache, compiled-vs-eager agreement and the top-5 answer."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from rnbench.inference import onnx_export, runtimes
from rnbench.inference.bench import measure
from rnbench.inference.cache import cache_dir
from rnbench.inference.errors import InferenceUsageError
from rnbench.inference.predict import top_k
from rnbench.inference.preprocess import preprocess
from rnbench.inference.weights import WEIGHTS_ENV, build_model, find_weights


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[runtimes.Loaded]:
    """The compiled runtime and its eager reference, built once (export cached per session)."""
    home = tmp_path_factory.mktemp("runtimes-home")
    shared = tmp_path_factory.getbasetemp() / "shared-cache"
    shared.mkdir(exist_ok=True)
    (home / "cache").symlink_to(shared)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(WEIGHTS_ENV, raising=False)
        patch.setenv("RNBENCH_HOME", str(home))
        loaded = runtimes.load_runtime("compiled", "cpu")
    yield loaded


def test_compiled_agrees_with_eager(compiled: runtimes.Loaded, doggo_jpeg: bytes) -> None:
    inputs = [preprocess(doggo_jpeg), *runtimes.agreement_inputs(count=2, seed=7)]
    top1_equal, deviation = runtimes.agreement(compiled.runtime, compiled.reference, inputs)
    assert top1_equal
    assert 0.0 <= deviation < 1e-4
    probabilities = compiled.runtime.predict(inputs[0])
    assert probabilities.shape == (1, 1000)
    assert abs(float(probabilities.sum()) - 1.0) < 1e-4


def test_agreement_detects_a_different_model() -> None:
    class Fixed:
        def __init__(self, hot: int, scale: float) -> None:
            self.name, self.device, self.hot, self.scale = "fixed", "cpu", hot, scale

        def predict(self, batch: np.ndarray) -> np.ndarray:
            out = np.full((1, 1000), (1 - self.scale) / 999, dtype=np.float32)
            out[0, self.hot] = self.scale
            return out

    batch = [np.zeros((1, 3, 224, 224), dtype=np.float32)]
    assert runtimes.agreement(Fixed(3, 0.9), Fixed(3, 0.9), batch) == (True, 0.0)
    top1_equal, deviation = runtimes.agreement(Fixed(3, 0.9), Fixed(3, 0.8), batch)
    assert top1_equal and deviation == pytest.approx(0.1, abs=1e-6)
    top1_equal, deviation = runtimes.agreement(Fixed(4, 0.9), Fixed(3, 0.9), batch)
    assert not top1_equal and deviation == pytest.approx(0.9 - 0.1 / 999, abs=1e-6)


def test_export_is_cached_and_a_corrupt_cache_is_rebuilt(
    compiled: runtimes.Loaded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached: Path = compiled.runtime.path  # type: ignore[attr-defined]
    monkeypatch.setenv("RNBENCH_HOME", str(cached.parents[2]))
    path = onnx_export.export_onnx(compiled.model, compiled.weights)
    assert path == cached
    stamp = path.stat().st_mtime_ns
    assert onnx_export.export_onnx(compiled.model, compiled.weights).stat().st_mtime_ns == stamp
    # Corrupt a private copy of the cache, not the one the session shares.
    monkeypatch.setenv("RNBENCH_HOME", str(tmp_path))
    private = cache_dir() / "onnx" / path.name
    private.parent.mkdir(parents=True)
    private.write_bytes(b"not an onnx file")
    reloaded = runtimes.load_runtime("compiled", "cpu")
    assert reloaded.runtime.path == private  # type: ignore[attr-defined]
    assert private.stat().st_size == path.stat().st_size
    batch = runtimes.agreement_inputs(count=1)[0]
    assert runtimes.agreement(reloaded.runtime, compiled.reference, [batch])[0]
    assert not [p for p in private.parent.iterdir() if p.name.startswith(".export-")]


def test_random_weights_are_deterministic_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    first, info = build_model()
    second, _ = build_model()
    assert info.kind == "random"
    assert info.source == "random (seed 0)"
    for a, b in zip(first.state_dict().values(), second.state_dict().values(), strict=True):
        assert bool((a == b).all())


def test_weights_file_is_used_and_fingerprinted(tmp_path: Path) -> None:
    import torch

    model, _ = build_model()
    path = tmp_path / "resnet50.pth"
    torch.save(model.state_dict(), path)
    loaded, info = build_model(path)
    assert info.kind == "pretrained"
    assert info.source == str(path)
    assert len(info.sha256) == 16
    assert torch.equal(loaded.state_dict()["fc.weight"], model.state_dict()["fc.weight"])


def test_env_variable_names_the_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope.pth"
    monkeypatch.setenv(WEIGHTS_ENV, str(missing))
    with pytest.raises(InferenceUsageError, match="not found"):
        find_weights()
    present = tmp_path / "here.pth"
    present.write_bytes(b"x")
    monkeypatch.setenv(WEIGHTS_ENV, str(present))
    assert find_weights() == present
    with pytest.raises(InferenceUsageError, match="not found"):
        find_weights(missing.with_name("other.pth"))  # an explicit path wins over the variable


def test_corrupt_weights_file_is_a_one_line_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.pth"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(InferenceUsageError) as caught:
        build_model(path)
    assert "\n" not in str(caught.value)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(("name", "device"), [("tensorrt", "cpu"), ("eager", "tpu")])
def test_unknown_runtime_or_device(name: str, device: str) -> None:
    with pytest.raises(InferenceUsageError):
        runtimes.load_runtime(name, device)


def test_top_k_orders_and_labels() -> None:
    probabilities = np.full((1, 1000), 1e-4, dtype=np.float32)
    probabilities[0, [207, 1, 999, 500, 3]] = [0.5, 0.2, 0.1, 0.05, 0.01]
    answer = top_k(probabilities)["top5"]
    assert [entry["index"] for entry in answer] == [207, 1, 999, 500, 3]
    assert answer[0]["label"] == "golden retriever"
    assert answer[0]["probability"] == pytest.approx(0.5)
    other = top_k(np.linspace(0, 1, 3, dtype=np.float32))["top5"]  # not ImageNet: numbered
    assert [entry["label"] for entry in other] == ["class 2", "class 1", "class 0"]


def test_response_bodies_are_top_k_of_each_row_as_starlette_renders_it() -> None:
    from starlette.responses import JSONResponse

    from rnbench.inference.predict import response_bodies

    rng = np.random.default_rng(3)
    batch = rng.random((3, 1000)).astype(np.float32)
    batch[1, [7, 8]] = batch[1].max() + 1.0  # a tie: the stable order puts 7 first, as top_k does
    bodies = response_bodies(batch)
    assert len(bodies) == 3
    for row, body in zip(batch, bodies, strict=True):
        assert body == JSONResponse(top_k(row)).body
    assert [e["index"] for e in top_k(batch[1])["top5"][:2]] == [7, 8]
    assert response_bodies(np.linspace(0, 1, 3, dtype=np.float32)[np.newaxis])[0].startswith(
        b'{"top5":[{"index":2,"label":"class 2"'
    )


def test_measure_counts_whole_requests(compiled: runtimes.Loaded, doggo_jpeg: bytes) -> None:
    result = measure(compiled.runtime, doggo_jpeg, 0.3)
    assert result.images >= 1
    assert result.seconds >= 0.3 or result.images == 1
    assert result.images_per_s == pytest.approx(result.images / result.seconds)


@pytest.mark.gpu
def test_cuda_runtimes_agree_with_cpu_eager(doggo_jpeg: bytes) -> None:
    eager = runtimes.load_runtime("eager", "cuda")
    compiled = runtimes.load_runtime("compiled", "cuda")
    inputs = [preprocess(doggo_jpeg), *runtimes.agreement_inputs()]
    for loaded in (eager, compiled):
        top1_equal, deviation = runtimes.agreement(loaded.runtime, loaded.reference, inputs)
        assert top1_equal
        assert deviation < 1e-3

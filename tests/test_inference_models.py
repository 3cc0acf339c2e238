"""Your own model (issue 16): names, files (TorchScript, ONNX), the ladder, identity, bad input.

A tiny convolutional classifier made in the test's folder stands in for the user's model, so the
tests stay fast; one torchvision name (mobilenet_v3_small, random weights) proves the registry.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cli_support import run_cli
from models_support import TINY_SIZE, Tiny, tiny_onnx, tiny_torchscript
from torch import nn

from rnbench.inference.errors import DeviceUnavailable, InferenceUsageError
from rnbench.inference.models import STUDY_MODEL, resolve_model
from rnbench.inference.natural_images import agreement_batches
from rnbench.inference.onnx_export import export_key
from rnbench.inference.runtimes import agreement, load_runtime
from rnbench.inference.weights import WeightsInfo


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNBENCH_CACHE_DIR", str(tmp_path / "cache"))


def test_torchvision_name_takes_its_own_transforms_and_unknown_names_list_close_ones() -> None:
    spec = resolve_model("mobilenet_v3_small")
    assert (spec.input.resize, spec.input.crop) == (256, 224)
    assert resolve_model(None) is STUDY_MODEL and STUDY_MODEL.key == "resnet50"
    with pytest.raises(InferenceUsageError, match="did you mean mobilenet_v3_small"):
        resolve_model("mobilenet_v3_smal")


def test_torchscript_file_runs_eager_and_compiled_with_identity(tmp_path: Path) -> None:
    spec = resolve_model(str(tiny_torchscript(tmp_path)), input_size=TINY_SIZE)
    eager = load_runtime("eager", "cpu", None, spec)
    compiled = load_runtime("compiled", "cpu", None, spec)
    assert compiled.cost is not None and eager.cost == compiled.cost
    assert compiled.cost.params == sum(p.numel() for p in Tiny().parameters())
    assert compiled.cost.classes == 10 and compiled.cost.gflops is not None
    batches = agreement_batches(count=2, spec=spec.input)
    assert batches[0].shape == (1, 3, TINY_SIZE, TINY_SIZE)
    top1_equal, deviation = agreement(compiled.runtime, eager.runtime, batches)
    assert top1_equal and deviation < 1e-4


def test_onnx_file_compiled_and_int8_but_eager_is_unavailable(tmp_path: Path) -> None:
    spec = resolve_model(str(tiny_onnx(tmp_path)), input_size=TINY_SIZE)
    with pytest.raises(DeviceUnavailable, match="ONNX file"):
        load_runtime("eager", "cpu", None, spec)
    compiled = load_runtime("compiled", "cpu", None, spec)
    assert compiled.model is None and compiled.weights.kind == "file"
    assert compiled.cost is not None and compiled.cost.classes == 10
    # Conv: 8 x 31 x 31 outputs x 27 MACs; Linear: 8 x 10 MACs (2 FLOPs each)
    assert compiled.cost.gflops == pytest.approx(2 * (8 * 31 * 31 * 27 + 80) / 1e9)
    batch = np.zeros(spec.input.shape, np.float32)
    assert compiled.runtime.logits(batch).shape == (1, 10)
    int8 = load_runtime("int8", "cpu", None, spec)  # calibrated through the model's own input
    pixels = np.zeros((1, TINY_SIZE, TINY_SIZE, 3), np.uint8)  # OpenVINO normalises in its graph
    assert int8.runtime.logits(pixels).shape == (1, 10)
    assert int8.reference is not int8.runtime


def test_cache_keys_change_with_the_model(tmp_path: Path) -> None:
    weights = WeightsInfo("random", "random (seed 0)", "")
    keys = {
        export_key(weights, spec.key)
        for spec in (STUDY_MODEL, resolve_model("resnet18"), resolve_model("resnet18", 160))
    }
    assert len(keys) == 3


def test_bad_models_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "model.txt"
    text.write_text("no")
    conv_out = tiny_onnx(tmp_path, nn.Conv2d(3, 4, 3), "conv.onnx")  # output [N, 4, H, W]
    for argv, message in (
        (("--model", "mobilenet_v3_smal"), "did you mean"),
        (("--model", str(text)), "not a TorchScript"),
        (("--model", str(tmp_path / "missing.onnx")), "not found"),
    ):
        code, _, err = run_cli(capsys, "run", "local-cpu-compiled", *argv)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    with pytest.raises(InferenceUsageError, match=r"\[N, classes\]"):
        load_runtime("compiled", "cpu", None, resolve_model(str(conv_out), input_size=TINY_SIZE))


def test_a_server_up_with_another_model_is_refused_never_reused(tmp_path: Path) -> None:
    """Switching models never measures a stale server: deploy says what is up and what to do."""
    from rnbench.core.backends.local.backend import LocalBackend
    from rnbench.core.configs import get_configuration
    from rnbench.core.errors import DeployError
    from rnbench.core.model_choice import ModelChoice

    script = tiny_torchscript(tmp_path)
    path = str(script)
    config = get_configuration("local-cpu")
    at_64 = LocalBackend(model=ModelChoice(path, 64, resolve_model(path, 64)))
    at_96 = LocalBackend(model=ModelChoice(path, 96, resolve_model(path, 96)))
    try:
        deployment = at_64.deploy(config)
        assert deployment.details["input_size"] == "64"
        assert at_64.deploy(config).resource_id == deployment.resource_id  # the same model: reused
        with pytest.raises(DeployError, match=r"serving tiny\.pt#\w+ \(64 px\), not .*\(96 px\)"):
            at_96.deploy(config)
        assert at_64.describe(config).deployment == deployment  # left as it was
    finally:
        at_64.teardown(config)

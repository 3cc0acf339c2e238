"""`Engine.set_model` (issue 16): the TUI switches the grid's model on the engine it holds; every
backend that deploys a model takes it, and what a runtime cannot do for it shows at once."""

from __future__ import annotations

from pathlib import Path

from models_support import TINY_SIZE, tiny_onnx

from rnbench.core.backends.foreign.backend import ForeignBackend
from rnbench.core.backends.local.backend import LocalBackend
from rnbench.core.backends.sagemaker import SageMakerBackend, SageMakerSettings
from rnbench.core.configs import get_configuration
from rnbench.core.engine import Engine
from rnbench.core.model_choice import ModelChoice, choose_model
from rnbench.results.prices import PriceBook
from rnbench.results.store import RunStore


def test_set_model_reaches_the_backends_and_makes_eager_unavailable_for_an_onnx_file(
    tmp_path: Path,
) -> None:
    local = LocalBackend()
    settings = SageMakerSettings.resolve(region="eu-west-1", role=None)
    sagemaker = SageMakerBackend(settings)
    backends = {"local": local, "sagemaker": sagemaker, "foreign": ForeignBackend(settings)}
    engine = Engine(backends, RunStore(tmp_path / "runs.sqlite3"), PriceBook())
    eager = get_configuration("local-cpu")
    assert engine.model.spec.name == "resnet50"
    assert local.unavailable_reason(eager) is None

    choice = choose_model(str(tiny_onnx(tmp_path)), TINY_SIZE)
    engine.set_model(choice)

    assert engine.model is choice and local.model is choice and sagemaker.model is choice
    reason = local.unavailable_reason(eager)
    assert reason is not None and "ONNX file" in reason
    assert local.unavailable_reason(get_configuration("local-cpu-compiled")) is None
    engine.set_model(ModelChoice())  # back to the study's model
    assert local.unavailable_reason(eager) is None

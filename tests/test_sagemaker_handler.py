"""The packed model.tar.gz, opened and called the way the SageMaker containers call it."""

from __future__ import annotations

import importlib.util
import json
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from rnbench.core.errors import DeployError
from rnbench.core.sagemaker import package


def _extract(variant: package.Variant, dest: Path) -> ModuleType:
    artifact = package.build_artifact(variant, lambda m: None)
    with tarfile.open(artifact.path) as archive:
        assert sorted(archive.getnames()) == ["code/inference.py", "model.pth"]
        archive.extractall(dest, filter="data")
    spec = importlib.util.spec_from_file_location(
        f"inference_{variant}", dest / "code/inference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _expected_top5(doggo_jpeg: bytes) -> list[int]:
    import torch

    from rnbench.inference.preprocess import preprocess
    from rnbench.inference.weights import build_model

    model, _ = build_model()
    with torch.no_grad():
        logits = model(torch.from_numpy(np.asarray(preprocess(doggo_jpeg))))
    return [int(i) for i in torch.topk(logits[0], 5).indices]


def test_uncompiled_handler_serves_the_study_jpeg(tmp_path: Path, doggo_jpeg: bytes) -> None:
    handler = _extract("eager", tmp_path)
    model = handler.model_fn(str(tmp_path))
    batch = handler.input_fn(doggo_jpeg, "application/x-image")
    assert tuple(batch.shape) == (1, 3, 224, 224)
    answer = json.loads(handler.output_fn(handler.predict_fn(batch, model), "application/json"))
    top5 = answer["top5"]
    probabilities = [row["probability"] for row in top5]
    assert len(top5) == 5 and probabilities == sorted(probabilities, reverse=True)
    assert all(0 <= row["index"] < 1000 for row in top5) and 0 < sum(probabilities) <= 1.0001
    assert [row["index"] for row in top5] == _expected_top5(doggo_jpeg)
    with pytest.raises(ValueError, match="content type"):
        handler.input_fn(doggo_jpeg, "text/csv")


def test_neo_handler_supplies_only_input_and_output(tmp_path: Path, doggo_jpeg: bytes) -> None:
    import torch

    handler = _extract("neo", tmp_path)
    assert not hasattr(handler, "model_fn") and not hasattr(handler, "predict_fn")
    model = torch.jit.load(str(tmp_path / "model.pth"))  # what Neo compiles from
    batch = handler.input_fn(doggo_jpeg, "application/x-image")
    with torch.no_grad():
        answer = json.loads(handler.output_fn(model(batch), "application/json"))
    assert [row["index"] for row in answer["top5"]] == _expected_top5(doggo_jpeg)


def test_torchscript_is_loadable_by_old_containers(tmp_path: Path) -> None:
    path, _ = package.traced_model(lambda m: None)
    package.check_torchscript(path)  # format version and operators
    with zipfile.ZipFile(path) as archive:
        version = int(archive.read(f"{archive.namelist()[0].split('/')[0]}/version"))
    assert version <= package.MAX_FILE_FORMAT_VERSION
    # a newer format or an operator old torch lacks is refused before anything is uploaded
    for record, data in (("version", b"11\n"), ("code/__torch__/m.py", b"x = torch.fancy_op(y)")):
        forged = tmp_path / f"forged-{record.replace('/', '_')}.pth"
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(forged, "w") as dst:
            for item in src.namelist():
                if not item.endswith("/" + record):
                    dst.writestr(item, src.read(item))
            dst.writestr(f"archive/{record}", data)
        with pytest.raises(DeployError):
            package.check_torchscript(forged)


def test_archives_are_deterministic() -> None:
    first = package.build_artifact("eager", lambda m: None)
    first.path.unlink()
    second = package.build_artifact("eager", lambda m: None)
    assert first.sha256 == second.sha256 and first.s3_key == second.s3_key

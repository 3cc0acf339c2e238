"""The packed model.tar.gz, opened and called the way the SageMaker containers call it."""

from __future__ import annotations

import json
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from handler_support import import_handler

from rnbench.core.backends.protocol import no_progress
from rnbench.core.backends.sagemaker import loadable, package
from rnbench.core.backends.sagemaker.served_model import served_model
from rnbench.core.errors import UsageError
from rnbench.inference.models import STUDY_MODEL
from rnbench.inference.sagemaker import rnbench_io

ARCHIVE = ["code/inference.py", "code/model.json", "code/rnbench_io.py", "model.pth"]
"""model.tar.gz: the model, the handler, its input_fn/output_fn and the model's input pipeline."""


def _extract(variant: package.Variant, dest: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    artifact = package.build_artifact(variant, served_model(STUDY_MODEL, no_progress), no_progress)
    with tarfile.open(artifact.path) as archive:
        assert sorted(archive.getnames()) == ARCHIVE
        archive.extractall(dest, filter="data")
    return import_handler(dest / "code/inference.py", f"inference_{variant}", monkeypatch)


def _expected_top5(doggo_jpeg: bytes) -> list[int]:
    import torch

    from rnbench.inference.preprocess import preprocess
    from rnbench.inference.weights import build_model

    model, _ = build_model()
    with torch.no_grad():
        logits = model(torch.from_numpy(np.asarray(preprocess(doggo_jpeg))))
    return [int(i) for i in torch.topk(logits[0], 5).indices]


def test_uncompiled_handler_serves_the_study_jpeg(
    tmp_path: Path, doggo_jpeg: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = _extract("eager", tmp_path, monkeypatch)
    assert handler.INPUT == rnbench_io.STUDY_INPUT  # model.json of ResNet-50: the study's pipeline
    model = handler.model_fn(str(tmp_path))
    batch = handler.input_fn(doggo_jpeg, "application/x-image")
    assert tuple(batch.shape) == (1, 3, 224, 224)
    body, content_type = handler.output_fn(handler.predict_fn(batch, model), "application/json")
    assert content_type == "application/json"
    top5 = json.loads(body)["top5"]
    probabilities = [row["probability"] for row in top5]
    assert len(top5) == 5 and probabilities == sorted(probabilities, reverse=True)
    assert all(0 <= row["index"] < 1000 for row in top5) and 0 < sum(probabilities) <= 1.0001
    assert [row["index"] for row in top5] == _expected_top5(doggo_jpeg)
    with pytest.raises(Exception, match="content type") as refused:
        handler.input_fn(doggo_jpeg, "text/csv")
    assert getattr(refused.value, "status_code", None) == 415


def test_neo_handler_supplies_only_input_and_output(
    tmp_path: Path, doggo_jpeg: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    handler = _extract("neo", tmp_path, monkeypatch)
    assert not hasattr(handler, "model_fn") and not hasattr(handler, "predict_fn")
    model = torch.jit.load(str(tmp_path / "model.pth"))  # what Neo compiles from
    batch = handler.input_fn(doggo_jpeg, "application/x-image")
    with torch.no_grad():
        body, _ = handler.output_fn(model(batch), "application/json")
    answer = json.loads(body)
    assert [row["index"] for row in answer["top5"]] == _expected_top5(doggo_jpeg)


def test_torchscript_is_loadable_by_old_containers(tmp_path: Path) -> None:
    model = served_model(STUDY_MODEL, no_progress)
    writer = model.writer
    for framework in ("1.9", "2.0", "2.6.0"):  # format version and operators
        assert loadable.load_problem(model.path, framework, writer) is None
    with zipfile.ZipFile(model.path) as archive:
        version = int(archive.read(f"{archive.namelist()[0].split('/')[0]}/version"))
    assert version <= loadable.OLD_FORMAT_LIMIT
    # a newer format or an operator old torch lacks is refused before anything is uploaded
    for record, data, why in (
        ("version", b"11\n", "file format 11 is newer than it reads (<= 10)"),
        ("code/__torch__/m.py", b"x = torch.fancy_op(y)", "operators it may lack: fancy_op"),
    ):
        forged = tmp_path / f"forged-{record.replace('/', '_')}.pth"
        with zipfile.ZipFile(model.path) as src, zipfile.ZipFile(forged, "w") as dst:
            for item in src.namelist():
                if not item.endswith("/" + record):
                    dst.writestr(item, src.read(item))
            dst.writestr(f"archive/{record}", data)
        assert why in str(loadable.load_problem(forged, "2.0", writer))
    (tmp_path / "not.pth").write_bytes(b"not a zip")
    with pytest.raises(UsageError, match="not a TorchScript archive"):
        loadable.load_problem(tmp_path / "not.pth", "2.0", writer)


def test_archives_are_deterministic() -> None:
    model = served_model(STUDY_MODEL, no_progress)
    first = package.build_artifact("eager", model, no_progress)
    first.path.unlink()
    second = package.build_artifact("eager", model, no_progress)
    assert first.sha256 == second.sha256 and first.s3_key == second.s3_key


class _Request:
    """What TorchServe/MMS hand the toolkit for one request: its headers."""

    def __init__(self, headers: dict[str, str]) -> None:
        self._headers = headers

    def get_request_properties(self) -> dict[str, str]:
        return self._headers


class _Context:
    """The model server's per-batch context, as the toolkit's transformer uses it."""

    def __init__(self, model_dir: Path, headers: dict[str, str]) -> None:
        self.system_properties = {"model_dir": str(model_dir)}
        self.request_processor = [_Request(headers)]
        self.status: tuple[int, str] = (200, "OK")
        self.content_type = ""

    def set_response_status(self, code: int = 200, phrase: str = "", idx: int = 0) -> None:
        self.status = (code, phrase)

    def set_response_content_type(self, idx: int, value: str) -> None:
        self.content_type = value


def _served(
    variant: package.Variant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[bytes, dict[str, str]], tuple[int, str, bytes | str]]:
    """The handler script loaded by sagemaker-inference's own handler service, as a container
    does (SAGEMAKER_PROGRAM); returns `serve(body, headers) -> (status, content type, answer)`.

    The Neo script has no model_fn/predict_fn (the Neo container supplies them): a default
    handler running the TorchScript model stands in for the container's."""
    import torch
    from sagemaker_inference.default_handler_service import DefaultHandlerService
    from sagemaker_inference.default_inference_handler import DefaultInferenceHandler
    from sagemaker_inference.transformer import Transformer

    _extract(variant, tmp_path, monkeypatch)
    module = f"rnbench_handler_{variant}_{tmp_path.name}"
    (tmp_path / "code" / f"{module}.py").write_bytes((tmp_path / "code/inference.py").read_bytes())
    monkeypatch.syspath_prepend(str(tmp_path / "code"))
    monkeypatch.setenv("SAGEMAKER_PROGRAM", f"{module}.py")

    class NeoStandIn(DefaultInferenceHandler):  # type: ignore[misc]
        def default_model_fn(self, model_dir: str, context: object = None) -> object:
            return torch.jit.load(str(Path(model_dir) / "model.pth"))

        def default_predict_fn(self, data: object, model: object, context: object = None) -> object:
            with torch.no_grad():
                return model(data)  # type: ignore[operator]

    service = DefaultHandlerService(Transformer(default_inference_handler=NeoStandIn()))

    def serve(body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes | str]:
        context = _Context(tmp_path, headers)
        answer = service.handle([{"body": body}], context)[0]
        return context.status[0], context.content_type, answer

    return serve


@pytest.mark.parametrize("variant", ["eager", "neo"])
def test_toolkit_serves_content_types_with_parameters_and_refuses_with_4xx(
    variant: package.Variant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, doggo_jpeg: bytes
) -> None:
    pytest.importorskip("sagemaker_inference")
    serve = _served(variant, tmp_path, monkeypatch)
    expected = _expected_top5(doggo_jpeg)
    for content_type in ("application/x-image", "image/jpeg; charset=binary", "Image/JPEG"):
        for accept in ({}, {"Accept": "*/*"}, {"Accept": "application/json; charset=utf-8"}):
            status, answer_type, answer = serve(
                doggo_jpeg, {"Content-Type": content_type, **accept}
            )
            assert status == 200, answer
            assert answer_type == "application/json"  # what was produced, whatever was asked
            assert [row["index"] for row in json.loads(answer)["top5"]] == expected
    for content_type, body in (("text/csv", b"1,2,3"), ("application/octet-stream", doggo_jpeg)):
        status, _, answer = serve(body, {"Content-Type": content_type})
        assert status == 415 and f"unsupported content type {content_type!r}" in str(answer)
    status, _, answer = serve(b"not an image", {"Content-Type": "image/png"})
    assert status == 400 and "cannot decode the image" in str(answer)
    status, _, answer = serve(doggo_jpeg, {"Content-Type": "image/jpeg", "Accept": "text/csv"})
    assert status == 406 and "this model answers application/json" in str(answer)

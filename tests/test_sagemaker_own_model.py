"""A model other than ResNet-50 on SageMaker (moto server): packed with its own input size,
compiled by Neo at its shape, named in every record; refused in one line where the container's
PyTorch cannot load it; an ONNX file's rows unavailable with their reason."""

from __future__ import annotations

import io
import json
import tarfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fake_servers import Behaviour, FakeServer
from handler_support import import_handler
from moto_support import point_at, reset_moto, rnbench_resources, start_moto

from rnbench.core.backends.local.backend import LocalBackend
from rnbench.core.backends.protocol import State, no_progress
from rnbench.core.backends.sagemaker import SageMakerBackend, SageMakerSettings, package
from rnbench.core.backends.sagemaker.loadable import load_problem
from rnbench.core.backends.sagemaker.served_model import ONNX_REASON, served_model
from rnbench.core.configs import get_configuration
from rnbench.core.errors import BackendUnavailable, DeployError, UsageError
from rnbench.core.loadgen import LoadSpec
from rnbench.core.model_choice import ModelChoice
from rnbench.core.run.record import TestPlan
from rnbench.core.run.testrun import TestRun
from rnbench.inference.models import resolve_model
from rnbench.results.store import RunStore
from rnbench.tui.cli.main import main

SIZE = 160
"""resnet18 at an input size of its own: everything downstream must follow it."""
BUCKET = "sagemaker-us-east-1-123456789012"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    yield from start_moto()


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    reset_moto(moto_url)
    point_at(monkeypatch, moto_url, tmp_path)
    return moto_url


def _backend(choice: ModelChoice) -> SageMakerBackend:
    return SageMakerBackend(SageMakerSettings.resolve(), poll_s=0.0, model=choice)


def _choice(model: str, size: int | None = None) -> ModelChoice:
    return ModelChoice(model, size, resolve_model(model, size))


def _tiny_torchscript(path: Path, activation: Callable[[Any], Any]) -> Path:
    """A tiny classifier (10 classes) traced to TorchScript, calling `activation` once."""
    import torch

    class Tiny(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 4, 3, stride=4)
            self.fc = torch.nn.Linear(4, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(activation(self.conv(x)).mean((2, 3)))

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        traced = torch.jit.trace(Tiny().eval(), torch.zeros(1, 3, 64, 64))  # type: ignore[no-untyped-call]
        torch.jit.save(traced, str(path))  # type: ignore[no-untyped-call]
    return path


def _gelu(x: Any) -> Any:
    import torch.nn.functional as F

    return F.gelu(x)  # aten::gelu: file format 10, which torch before 1.12 cannot read


def _padded(x: Any) -> Any:
    import torch.nn.functional as F

    return F.pad(x, (1, 1, 1, 1))  # aten::pad: not in torch 1.9


def _cumulative(x: Any) -> Any:
    import torch

    return torch.logcumsumexp(x, 1)  # an operator the check does not know


def _members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return {
            m.name: archive.extractfile(m).read()  # type: ignore[union-attr]
            for m in archive.getmembers()
        }


def _s3_object(backend: SageMakerBackend, uri: str) -> bytes:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    body: bytes = backend.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def test_a_non_default_model_is_packed_at_its_input_size(
    tmp_path: Path, doggo_jpeg: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    spec = resolve_model("resnet18", SIZE)
    model = served_model(spec, no_progress)
    artifact = package.build_artifact("eager", model, no_progress)
    with tarfile.open(artifact.path) as archive:
        assert sorted(archive.getnames()) == [
            "code/inference.py",
            "code/model.json",
            "code/rnbench_io.py",
            "model.pth",
        ]
        archive.extractall(tmp_path, filter="data")
    config = json.loads((tmp_path / "code/model.json").read_text("utf-8"))
    assert (config["model"], config["crop"], config["resize"]) == (
        "resnet18",
        SIZE,
        round(SIZE / 0.875),
    )
    loaded = torch.jit.load(str(tmp_path / "model.pth"))  # type: ignore[no-untyped-call]
    assert tuple(loaded(torch.zeros(1, 3, SIZE, SIZE)).shape) == (1, 1000)
    # the handler preprocesses the study's photo to the model's input, and answers top-5
    handler = import_handler(tmp_path / "code/inference.py", "inference_resnet18", monkeypatch)
    batch = handler.input_fn(doggo_jpeg, "image/jpeg")
    assert tuple(batch.shape) == (1, 3, SIZE, SIZE)
    served = handler.model_fn(str(tmp_path))
    body, _ = handler.output_fn(handler.predict_fn(batch, served), "application/json")
    expected = torch.topk(loaded(batch)[0], 5).indices.tolist()
    assert [row["index"] for row in json.loads(body)["top5"]] == expected
    # the Neo handler (its source archive) preprocesses to the same size
    sources = _members(package.source_archive(model)[0])
    assert sorted(sources) == ["inference.py", "model.json", "rnbench_io.py"]
    assert json.loads(sources["model.json"])["crop"] == SIZE
    neo = tmp_path / "neo"
    neo.mkdir()
    for name, data in sources.items():
        (neo / name).write_bytes(data)
    neo_handler = import_handler(neo / "inference.py", "inference_resnet18_neo", monkeypatch)
    batch = neo_handler.input_fn(doggo_jpeg, "image/jpeg")
    assert tuple(batch.shape) == (1, 3, SIZE, SIZE)
    # another input size is another archive, under another S3 key
    other = package.build_artifact(
        "eager", served_model(resolve_model("resnet18"), no_progress), no_progress
    )
    assert other.sha256 != artifact.sha256 and other.s3_key != artifact.s3_key


def test_a_non_default_model_deploys_compiles_at_its_shape_and_is_recorded(
    aws: str, tmp_path: Path
) -> None:
    from torchvision.models import get_model

    params = sum(p.numel() for p in get_model("resnet18", weights=None).parameters())
    backend = _backend(_choice("resnet18", SIZE))
    sm = backend.client("sagemaker")
    eager, neo = (
        backend.deploy(get_configuration("c5")),
        backend.deploy(get_configuration("c5-neo")),
    )
    # Neo compiled it at its own shape
    (job,) = sm.list_compilation_jobs()["CompilationJobSummaries"]
    detail = sm.describe_compilation_job(CompilationJobName=job["CompilationJobName"])
    assert json.loads(detail["InputConfig"]["DataInputConfig"]) == {"input0": [1, 3, SIZE, SIZE]}
    # the archive in S3 and the Neo endpoint's source archive carry its input size
    for deployment, member in ((eager, "code/model.json"), (neo, "model.json")):
        container = sm.describe_model(ModelName=deployment.resource_id)["PrimaryContainer"]
        uri = (
            container["ModelDataUrl"]
            if member.startswith("code/")
            else (container["Environment"]["SAGEMAKER_SUBMIT_DIRECTORY"])
        )
        assert json.loads(_members(_s3_object(backend, uri))[member])["crop"] == SIZE
    # the deployment says which model it serves, and a run records it
    details = eager.details
    assert (details["model"], details["input_size"], details["model_params"]) == (
        "resnet18",
        str(SIZE),
        str(params),
    )
    assert float(details["model_gflops"]) > 0 and details["weights"] in ("random", "pretrained")
    assert backend.describe(get_configuration("c5")).deployment == eager
    with FakeServer(Behaviour(service_s=0.001)) as server:
        spec = LoadSpec(concurrency=1, duration_s=0.5, warmup_s=0.0, processes=1)
        plan = TestPlan(
            get_configuration("c5"), replace(eager, target=server.target), spec, b"x", None
        )
        record = TestRun(RunStore(tmp_path / "runs.sqlite"), LocalBackend(), plan).start().wait(60)
    assert (record.model, record.input_size, record.model_params) == ("resnet18", SIZE, params)
    assert record.model_gflops == pytest.approx(float(details["model_gflops"]))
    # an endpoint serving another model is never passed off as this one
    with pytest.raises(DeployError, match=f"serves resnet18 \\({SIZE} px\\), not resnet18 \\(224"):
        _backend(_choice("resnet18")).deploy(get_configuration("c5"))
    backend.teardown_all()


def test_onnx_rows_are_unavailable_with_their_reason(
    aws: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    onnx = tmp_path / "mine.onnx"
    onnx.write_bytes(b"\x08\x08:\x00")  # any ONNX graph (here an empty one): SageMaker has no
    # container to load it
    backend = _backend(_choice(str(onnx)))
    for key in ("c5", "c5-neo", "inf1"):
        config = get_configuration(key)
        status = backend.describe(config)
        assert (status.state, status.reason) == (State.UNAVAILABLE, ONNX_REASON)
        for step in (backend.deploy, backend.compile):
            with pytest.raises(BackendUnavailable, match=ONNX_REASON):
                step(config)
    assert main(["deploy", "c5", "--model", str(onnx)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ONNX_REASON in err
    assert not any(rnbench_resources(backend.client("sagemaker")).values())
    assert backend.client("s3").list_buckets()["Buckets"] == []


def test_what_a_container_cannot_load_is_refused_in_one_line_before_anything_is_created(
    aws: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gelu = _tiny_torchscript(tmp_path / "gelu.pt", _gelu)
    backend = _backend(_choice(str(gelu), 64))
    with pytest.raises(UsageError) as refused:
        backend.deploy(get_configuration("inf1"))
    message = str(refused.value)
    assert "\n" not in message and message.startswith("inf1: gelu.pt#")
    assert "cannot run on PyTorch 1.9" in message and "file format 10" in message
    assert main(["deploy", "inf1", "--model", str(gelu), "--input-size", "64"]) == 2
    (error,) = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert error.startswith("rnbench: error: inf1: ") and "cannot run on PyTorch 1.9" in error
    sm = backend.client("sagemaker")
    assert not any(rnbench_resources(sm).values())
    assert sm.list_compilation_jobs()["CompilationJobSummaries"] == []
    assert backend.client("s3").list_buckets()["Buckets"] == []
    # PyTorch 2.0 reads it: the user's file is served as it is
    deployment = backend.deploy(get_configuration("c5"))
    container = sm.describe_model(ModelName=deployment.resource_id)["PrimaryContainer"]
    assert (
        _members(_s3_object(backend, container["ModelDataUrl"]))["model.pth"] == gelu.read_bytes()
    )
    assert deployment.details["model"].startswith("gelu.pt#")
    assert deployment.details["weights"] == "file" and deployment.details["input_size"] == "64"
    backend.teardown_all()


def test_the_operator_check_depends_on_the_container(tmp_path: Path) -> None:
    import torch

    writer = torch.__version__
    gelu = _tiny_torchscript(tmp_path / "gelu.pt", _gelu)
    padded = _tiny_torchscript(tmp_path / "padded.pt", _padded)
    cumulative = _tiny_torchscript(tmp_path / "cumulative.pt", _cumulative)
    assert "file format 10 is newer than it reads (<= 5)" in str(load_problem(gelu, "1.9", writer))
    assert load_problem(gelu, "2.0", writer) is None
    assert "operators it may lack: pad" in str(load_problem(padded, "1.9", writer))
    assert load_problem(padded, "2.0", writer) is None
    assert "logcumsumexp" in str(load_problem(cumulative, "2.6.0", writer))
    # a container at least as new as the torch that wrote the file loads what it wrote
    assert load_problem(cumulative, writer, writer) is None

"""Today's SageMaker configurations (inf2, g5, g6, c7i, c7g, serverless) on a moto server, their
images from the installed SDK, their prices (or why there is none), and the serverless cold start.
"""

from __future__ import annotations

import json
import sys
import types
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_servers import Behaviour, FakeServer
from handler_support import import_handler
from moto_support import point_at, reset_moto, rnbench_resources, start_moto

from rnbench.core.backends.local.backend import LocalBackend
from rnbench.core.backends.protocol import Deployment, State
from rnbench.core.backends.sagemaker import SageMakerBackend, SageMakerSettings, naming
from rnbench.core.backends.sagemaker.images import describe_image, image_choice, sdk_table
from rnbench.core.configs import STUDY_CONFIGURATIONS, TODAY_CONFIGURATIONS, get_configuration
from rnbench.core.errors import UsageError
from rnbench.core.loadgen import LoadSpec
from rnbench.core.paths import data_dir
from rnbench.core.run.record import TestPlan
from rnbench.core.run.testrun import TestRun
from rnbench.results.store import RunStore
from rnbench.tui.cli.main import main

TODAY = {c.key: c for c in TODAY_CONFIGURATIONS}


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto's server, taught today's instance types: its endpoint-config check still lists
    only older ones (ml.c5, ml.g4dn, ml.inf1...), which SageMaker itself no longer limits to."""
    from moto.sagemaker.models import FakeEndpointConfig

    check = FakeEndpointConfig.validate_instance_type
    today = {c.instance_type for c in TODAY_CONFIGURATIONS if not c.serverless}

    def validate(self: FakeEndpointConfig, instance_type: str) -> None:
        if instance_type not in today:
            check(self, instance_type)

    FakeEndpointConfig.validate_instance_type = validate  # type: ignore[method-assign]
    try:
        yield from start_moto()
    finally:
        FakeEndpointConfig.validate_instance_type = check  # type: ignore[method-assign]


@pytest.fixture
def backend(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> SageMakerBackend:
    reset_moto(moto_url)
    point_at(monkeypatch, moto_url, tmp_path)
    config = data_dir() / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        "[sagemaker]\nserverless_memory_mb = 2048\nserverless_max_concurrency = 3\n", "utf-8"
    )
    return SageMakerBackend(SageMakerSettings.resolve(), poll_s=0.0)


def test_the_study_keeps_its_five_rows_and_today_adds_six() -> None:
    assert [c.key for c in STUDY_CONFIGURATIONS] == ["c5", "c5-neo", "g4dn", "g4dn-neo", "inf1"]
    assert list(TODAY) == ["inf2", "g5", "g6", "c7i", "c7g", "serverless"]
    assert all(c.study_label is None and c.neo_target is None for c in TODAY_CONFIGURATIONS)
    assert [c.key for c in TODAY_CONFIGURATIONS if c.serverless] == ["serverless"]


def test_images_are_the_newest_the_sdk_lists() -> None:
    def key(version: str) -> tuple[int, ...]:
        return tuple(int(p) for p in version.split("."))

    inference = sdk_table("pytorch")["inference"]["versions"]
    graviton = sdk_table("pytorch")["inference_graviton"]["versions"]
    for name in ("g5", "g6", "c7i", "serverless"):
        choice = image_choice(TODAY[name])
        assert choice.scope == "inference" and choice.repository == "pytorch-inference"
        assert all(key(choice.version) >= key(v) for v in inference)
    c7g = image_choice(TODAY["c7g"])
    assert c7g.scope == "inference_graviton" and c7g.repository.endswith("-arm64")
    assert all(key(c7g.version) >= key(v) for v in graviton)
    inf2 = image_choice(TODAY["inf2"])
    assert inf2.inference_tool == "neuronx" and "neuronx" in inf2.repository
    assert inf2.neuron_sdk and key(inf2.torch_version) >= (2, 0)
    assert describe_image(TODAY["inf2"]).startswith(f"PyTorch {inf2.torch_version} + Neuron SDK")
    assert describe_image(get_configuration("c5")) == "PyTorch 2.0 · pytorch-inference (py310)"
    assert describe_image(get_configuration("local-cpu")) == ""


def test_today_configurations_deploy_and_tear_down(backend: SageMakerBackend) -> None:
    sm = backend.client("sagemaker")
    deployments = {key: backend.deploy(config) for key, config in TODAY.items()}
    for key, config in TODAY.items():
        deployment = deployments[key]
        assert deployment.resource_id.startswith(f"rnbench-{key}-")
        assert backend.describe(config).state == State.IN_SERVICE
        for arn in (
            sm.describe_endpoint(EndpointName=deployment.resource_id)["EndpointArn"],
            sm.describe_model(ModelName=deployment.resource_id)["ModelArn"],
            sm.describe_endpoint_config(EndpointConfigName=deployment.resource_id)[
                "EndpointConfigArn"
            ],
        ):
            tags = naming.as_dict(sm.list_tags(ResourceArn=arn)["Tags"])
            assert tags[naming.MANAGED] == "true" and tags[naming.CONFIG] == key
        container = sm.describe_model(ModelName=deployment.resource_id)["PrimaryContainer"]
        choice = image_choice(config)
        assert f"/{choice.repository}:{choice.torch_version}" in container["Image"]
        assert "/rnbench/neo/" not in container["ModelDataUrl"]  # no Neo job for any of them
        assert container["Environment"]["SAGEMAKER_SUBMIT_DIRECTORY"] == "/opt/ml/model/code"
        body_only = container["Environment"].get("RNBENCH_ANSWER_BODY_ONLY")
        assert body_only == ("1" if key == "inf2" else None)
        variant = sm.describe_endpoint_config(EndpointConfigName=deployment.resource_id)[
            "ProductionVariants"
        ][0]
        if config.serverless:
            assert variant["ServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 3}
            assert "InstanceType" not in variant and "InitialInstanceCount" not in variant
            assert deployment.instance_type == "serverless"
            assert deployment.details["serverless"] == "2048 MB, max concurrency 3"
        else:
            assert variant["InstanceType"] == config.instance_type == deployment.instance_type
            assert "ServerlessConfig" not in variant
        assert deployment.details["framework_version"] == choice.torch_version
    images = {k: sm.describe_model(ModelName=d.resource_id)["PrimaryContainer"]["Image"]
              for k, d in deployments.items()}  # fmt: skip
    assert "pytorch-inference-arm64:" in images["c7g"] and "-cpu-" in images["c7g"]
    assert "-gpu-" in images["g5"] and "-gpu-" in images["g6"]
    assert "-cpu-" in images["c7i"] and "-cpu-" in images["serverless"]
    assert "inference-neuronx:" in images["inf2"] and "neuronx" in images["inf2"]
    cpu_env = sm.describe_model(ModelName=deployments["c7g"].resource_id)["PrimaryContainer"]
    assert cpu_env["Environment"]["SAGEMAKER_MODEL_SERVER_WORKERS"] == "4"
    assert sm.list_compilation_jobs()["CompilationJobSummaries"] == []

    assert sorted(d.config_key for d in backend.owned()) == sorted(TODAY)
    assert backend.teardown_all() == 18  # 6 endpoints, 6 endpoint configs, 6 models
    assert rnbench_resources(sm) == {"endpoints": [], "endpoint_configs": [], "models": []}


def test_bad_serverless_settings_are_refused_before_anything_is_created(
    backend: SageMakerBackend,
) -> None:
    settings = SageMakerSettings.resolve(serverless_memory_mb=1500)
    bad = SageMakerBackend(settings, poll_s=0.0)
    with pytest.raises(UsageError, match="serverless memory must be one of 1024, 2048"):
        bad.deploy(TODAY["serverless"])
    assert rnbench_resources(backend.client("sagemaker"))["models"] == []


def test_cli_flags_override_the_config_file(backend: SageMakerBackend) -> None:
    from rnbench.core.assembly import aws_options

    options = aws_options({"serverless_memory": 4096, "serverless_concurrency": 7})
    assert (options.serverless_memory_mb, options.serverless_max_concurrency) == (4096, 7)
    assert backend.settings.serverless_memory_mb == 2048  # from config.toml
    with pytest.raises(SystemExit):
        main(["configs", "--serverless-memory", "1000"])


def test_configs_lists_today_rows_with_framework_and_why_no_price(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("RNBENCH_ROLE_ARN", "arn:aws:iam::123456789012:role/x")
    from rnbench.core.backends.sagemaker.identity import clear_identity_cache

    clear_identity_cache()
    assert main(["configs"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    for key, config in TODAY.items():
        framework = describe_image(config).split(" · ")[0]
        assert key in lines and framework in lines[key] and "$" not in lines[key]
    assert "$0.230" in lines["c5"]  # the study's packaged eu-west-1 price stays
    assert "inf2, g5, g6, c7i, c7g: no price: no live price from the AWS Price List API: " in out
    assert "no AWS credentials" in out
    assert "serverless: no price: serverless inference is billed per GB-second" in out
    assert "c7g: pytorch-inference-arm64 (py312)" in out or "c7g: pytorch-inference-arm64" in out


def test_serverless_cold_start_is_timed_alone_and_kept_out_of_the_percentiles(
    tmp_path: Path,
) -> None:
    config = TODAY["serverless"]
    # the first 0.6 s after the server starts stall: the run's first request is a "cold start"
    with FakeServer(Behaviour(service_s=0.002, stall_every_s=1000.0, stall_s=0.6)) as server:
        deployment = Deployment("serverless", "sagemaker", "fake", server.target, 0.0)
        spec = LoadSpec(concurrency=2, duration_s=1.0, warmup_s=0.0, processes=1)
        plan = TestPlan(config, deployment, spec, b"jpeg", None)
        store = RunStore(tmp_path / "runs.sqlite")
        record = TestRun(store, LocalBackend(), plan).start().wait(60)
    assert record.cold_start_ms is not None and record.cold_start_ms >= 500
    assert record.requests > 0 and record.max_ms < 400  # the cold start is not in the load
    assert store.get(record.run_id).cold_start_ms == pytest.approx(record.cold_start_ms)


def test_a_neuron_container_compiles_the_model_and_never_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    from rnbench.inference.sagemaker import HANDLER

    handler = import_handler(HANDLER, "inference_neuron", monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # "jit.trace is deprecated"
        traced = torch.jit.trace(torch.nn.Flatten(), torch.zeros(1, 3, 224, 224))  # type: ignore[no-untyped-call]
        torch.jit.save(traced, str(tmp_path / "model.pth"))  # type: ignore[no-untyped-call]
    assert handler._neuron() is None  # no torch_neuronx here: the plain TorchScript model
    calls: list[tuple[int, ...]] = []

    def trace(model: object, example: torch.Tensor) -> str:
        calls.append(tuple(example.shape))
        return "neuron-compiled"

    monkeypatch.setitem(sys.modules, "torch_neuronx", types.SimpleNamespace(trace=trace))
    assert handler.model_fn(str(tmp_path)) == "neuron-compiled"
    assert calls == [(1, 3, 224, 224)]
    logits = torch.zeros(1, 1000)
    assert isinstance(handler.output_fn(logits, "application/json"), tuple)
    monkeypatch.setenv("RNBENCH_ANSWER_BODY_ONLY", "1")  # what inf2's container is given
    assert json.loads(handler.output_fn(logits, "application/json"))["top5"][0]["index"] >= 0


def test_a_price_book_says_why_it_has_no_price() -> None:
    from rnbench.results.prices import PriceBook, packaged_prices

    def refused(instance_type: str, region: str) -> None:
        raise LookupError("AWS Price List API: AccessDeniedException: not allowed")

    book = PriceBook(packaged_prices(), refused)
    assert book.lookup("ml.g5.xlarge", "eu-west-1") is None
    assert book.missing_reason("ml.g5.xlarge", "eu-west-1") == (
        "no price: AWS Price List API: AccessDeniedException: not allowed; "
        "the packaged table holds only the study's eu-west-1 prices"
    )
    assert book.missing_reason("ml.c5.xlarge", "eu-west-1") == ""  # the study's price stays
    unlisted = PriceBook(packaged_prices(), lambda i, r: None)
    assert "lists no on-demand SageMaker hosting price for ml.g6.xlarge in us-east-1" in (
        unlisted.missing_reason("ml.g6.xlarge", "us-east-1")
    )
    assert (
        PriceBook(packaged_prices())
        .missing_reason("ml.c7g.xlarge", "eu-west-1")
        .startswith("no price: no live price lookup")
    )
    assert "prices.toml" in book.missing_reason("local", "", "local-cpu")


def test_the_tui_row_details_name_the_image_and_why_there_is_no_price() -> None:
    from rnbench.tui.app.rows import RowFacts, detail_line

    facts = RowFacts(TODAY["c7g"], None, None, None, None, price_note="no price: because")
    line = detail_line(facts)
    assert "SageMaker ml.c7g.xlarge" in line and "pytorch-inference-arm64" in line
    assert describe_image(TODAY["c7g"]) in line and "no price: because" in line

"""The SageMaker control plane against moto in server mode: all five study configurations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto_support import ROLE, point_at, reset_moto, rnbench_resources, start_moto

from rnbench.core.backends.protocol import State
from rnbench.core.backends.sagemaker import (
    SageMakerBackend,
    SageMakerSettings,
    SageMakerTarget,
    naming,
)
from rnbench.core.backends.sagemaker.leftovers import leftovers
from rnbench.core.configs import STUDY_CONFIGURATIONS, get_configuration
from rnbench.results.prices import Price

FOREIGN = "rnbench-someone-elses"
"""An untagged endpoint whose name even looks like ours: it must never be touched."""


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    yield from start_moto()


@pytest.fixture
def backend(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> SageMakerBackend:
    reset_moto(moto_url)
    point_at(monkeypatch, moto_url, tmp_path)
    return SageMakerBackend(SageMakerSettings.resolve(), poll_s=0.0)


def _foreign_endpoint(sm: Any) -> None:
    sm.create_model(
        ModelName=FOREIGN,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": "example/image:1", "ModelDataUrl": "s3://x/model.tar.gz"},
    )
    sm.create_endpoint_config(
        EndpointConfigName=FOREIGN,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": FOREIGN,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.c5.xlarge",
            }
        ],
    )
    sm.create_endpoint(EndpointName=FOREIGN, EndpointConfigName=FOREIGN)


def test_settings_resolve_from_environment(backend: SageMakerBackend) -> None:
    settings = backend.settings
    assert settings.region == "us-east-1"
    assert settings.role == ROLE
    assert backend.unavailable_reason(get_configuration("c5")) is None
    assert backend.unavailable_reason(get_configuration("local-cpu")) is not None


def test_five_configurations_deploy_list_and_tear_down(backend: SageMakerBackend) -> None:
    sm = backend.client("sagemaker")
    _foreign_endpoint(sm)
    messages: list[str] = []
    deployments = {c.key: backend.deploy(c, messages.append) for c in STUDY_CONFIGURATIONS}

    for config in STUDY_CONFIGURATIONS:
        deployment = deployments[config.key]
        assert deployment.backend == "sagemaker"
        assert deployment.instance_type == config.instance_type
        assert isinstance(deployment.target, SageMakerTarget)
        assert deployment.resource_id.startswith(f"rnbench-{config.key}-")
        status = backend.describe(config)
        assert status.state == State.IN_SERVICE
        arn = sm.describe_endpoint(EndpointName=deployment.resource_id)["EndpointArn"]
        tags = naming.as_dict(sm.list_tags(ResourceArn=arn)["Tags"])
        assert tags[naming.MANAGED] == "true" and tags[naming.CONFIG] == config.key
        assert tags[naming.SESSION] == naming.SESSION_ID and tags[naming.CREATED_AT]
        assert (deployment.details["model"], deployment.details["input_size"]) == (
            "resnet50",
            "224",
        )
        model = sm.describe_model(ModelName=deployment.resource_id)
        container = model["PrimaryContainer"]
        assert container["Image"].endswith(
            {
                "c5": "pytorch-inference:2.0-cpu-py310",
                "g4dn": "pytorch-inference:2.0-gpu-py310",
                "c5-neo": "sagemaker-inference-pytorch:2.0-cpu-py3",
                "g4dn-neo": "sagemaker-inference-pytorch:2.0-gpu-py3",
                "inf1": "sagemaker-neo-pytorch:1.9-inf-py3",
            }[config.key]
        )
        env = container["Environment"]
        sizing = (env.get("SAGEMAKER_MODEL_SERVER_WORKERS"), env.get("OMP_NUM_THREADS"))
        cpu = config.key in ("c5", "c5-neo")  # ml.c5.xlarge: 4 vCPUs, 4 workers x 1 thread
        assert sizing == (("4", "1") if cpu else (None, None))
        neo_output = "/rnbench/neo/" in container["ModelDataUrl"]
        assert neo_output == config.compiled
    # compiled configurations went through a Neo job for their own target
    jobs = sm.list_compilation_jobs()["CompilationJobSummaries"]
    assert sorted(j["CompilationJobName"].split("-neo-")[0] for j in jobs) == [
        "rnbench-c5",
        "rnbench-g4dn",
        "rnbench-inf1",
    ]
    for job in jobs:
        detail = sm.describe_compilation_job(CompilationJobName=job["CompilationJobName"])
        assert detail["InputConfig"]["DataInputConfig"] == '{"input0": [1, 3, 224, 224]}'
        assert detail["InputConfig"]["FrameworkVersion"] in ("1.9", "2.0")
    # two archives (eager, neo) uploaded once each, addressed by content hash
    s3 = backend.client("s3")
    bucket = "sagemaker-us-east-1-123456789012"
    keys = [
        o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="rnbench/artifacts/")["Contents"]
    ]
    assert len(keys) == 2 and all(k.endswith("/model.tar.gz") for k in keys)
    assert any("uploading" in m for m in messages)

    # deploying again returns the endpoint in service rather than creating another
    again = backend.deploy(get_configuration("c5"))
    assert again.resource_id == deployments["c5"].resource_id

    owned = backend.owned()
    assert sorted(d.config_key for d in owned) == sorted(c.key for c in STUDY_CONFIGURATIONS)
    price = Price("ml.c5.xlarge", "us-east-1", 0.204, "test", "2025-01-01")
    found = leftovers(
        backend,
        lambda i, r: price if i == "ml.c5.xlarge" else None,
        now=max(d.created_at for d in owned) + 3600,
    )
    assert len(found) == 5 and FOREIGN not in [f.endpoint_name for f in found]
    c5_rows = [f for f in found if f.instance_type == "ml.c5.xlarge"]
    assert all(f.cost_usd is not None and f.cost_usd >= 0.204 - 1e-9 for f in c5_rows)
    assert all(f.cost_usd is None for f in found if f.instance_type != "ml.c5.xlarge")

    assert backend.teardown(get_configuration("c5")) is True
    assert backend.describe(get_configuration("c5")).state == State.NOT_DEPLOYED
    assert backend.teardown(get_configuration("c5")) is False
    assert backend.teardown_all() == 12  # 4 endpoints, 4 configs, 4 models
    assert rnbench_resources(sm) == {
        "endpoints": [FOREIGN],
        "endpoint_configs": [FOREIGN],
        "models": [FOREIGN],
    }
    assert backend.owned() == []


def test_redeploy_reuses_uploaded_artifact(backend: SageMakerBackend) -> None:
    config = get_configuration("c5")
    first: list[str] = []
    backend.deploy(config, first.append)
    backend.teardown(config)
    second: list[str] = []
    backend.deploy(config, second.append)
    assert any("uploading" in m for m in first)
    assert not any("uploading" in m for m in second)
    backend.teardown(config)


def test_unavailable_without_role(
    moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    point_at(monkeypatch, moto_url, tmp_path)
    monkeypatch.delenv("RNBENCH_ROLE_ARN")
    backend = SageMakerBackend(SageMakerSettings.resolve(), poll_s=0.0)
    reason = backend.unavailable_reason(get_configuration("inf1"))
    assert reason is not None and "RNBENCH_ROLE_ARN" in reason
    status = backend.describe(get_configuration("inf1"))
    assert status.state == State.UNAVAILABLE and status.reason == reason
    assert backend.owned() == []

"""Settings resolution and the live price parser, without any network."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnbench.core.backends.sagemaker import SageMakerSettings, unavailable_reason
from rnbench.core.backends.sagemaker.live import live_price, on_demand_usd_per_hour
from rnbench.core.paths import data_dir


@pytest.fixture(autouse=True)
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "RNBENCH_ROLE_ARN",
        "RNBENCH_BUCKET",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))


def test_sources_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    (data_dir() / "config.toml").write_text(
        '[sagemaker]\nregion = "eu-west-1"\nrole = "arn:aws:iam::1:role/file"\nbucket = "b-file"\n'
    )
    assert SageMakerSettings.resolve() == SageMakerSettings(
        None, "eu-west-1", "arn:aws:iam::1:role/file", "b-file"
    )
    monkeypatch.setenv("RNBENCH_ROLE_ARN", "arn:aws:iam::1:role/env")
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    settings = SageMakerSettings.resolve(bucket="b-arg")
    assert (settings.region, settings.role, settings.bucket) == (
        "us-west-2",
        "arn:aws:iam::1:role/env",
        "b-arg",
    )


def test_missing_pieces_give_one_line_reasons() -> None:
    assert "region" in str(unavailable_reason(SageMakerSettings.resolve()))
    assert "RNBENCH_ROLE_ARN" in str(unavailable_reason(SageMakerSettings(region="eu-west-1")))
    reason = unavailable_reason(SageMakerSettings(region="eu-west-1", role="arn:aws:iam::1:role/r"))
    assert reason is not None and "credentials" in reason and "\n" not in reason
    assert "not found" in str(
        unavailable_reason(
            SageMakerSettings(profile="nope", region="eu-west-1", role="arn:aws:iam::1:role/r")
        )
    )


def test_price_list_document_parsing() -> None:
    product = {
        "terms": {
            "OnDemand": {
                "X": {
                    "priceDimensions": {
                        "Y": {"unit": "Hrs", "pricePerUnit": {"USD": "0.2040000000"}}
                    }
                }
            }
        }
    }
    assert on_demand_usd_per_hour(product) == pytest.approx(0.204)
    assert on_demand_usd_per_hour({"terms": {}}) is None


def test_live_price_says_why_there_is_none_without_credentials() -> None:
    lookup = live_price(SageMakerSettings(region="eu-west-1"))
    with pytest.raises(LookupError, match="AWS Price List API: .*credentials"):
        lookup("ml.c5.xlarge", "eu-west-1")
    with pytest.raises(LookupError, match="billed per GB-second"):
        lookup("serverless", "eu-west-1")

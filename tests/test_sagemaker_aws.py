"""End-to-end on a real AWS account (marked `aws`, skipped by default: costs money).

Run: `.venv/bin/python -m pytest -m aws tests/test_sagemaker_aws.py` with credentials, a region
and RNBENCH_ROLE_ARN set. Deploys each configuration, sends the study JPEG, tears down.
"""

from __future__ import annotations

import json

import pytest

from rnbench.core.backends.sagemaker import SageMakerBackend, SageMakerSettings
from rnbench.core.configs import STUDY_CONFIGURATIONS


@pytest.mark.aws
@pytest.mark.parametrize("config", STUDY_CONFIGURATIONS, ids=lambda c: c.key)
def test_deploy_invoke_teardown(config: object, doggo_jpeg: bytes) -> None:
    from rnbench.core.configs import Configuration

    assert isinstance(config, Configuration)
    backend = SageMakerBackend(SageMakerSettings.resolve(), poll_s=15.0)
    reason = backend.unavailable_reason(config)
    if reason is not None:
        pytest.skip(reason)
    try:
        backend.deploy(config, print)
        reply = backend.invoke(config, doggo_jpeg)
        top5 = json.loads(reply.body)["top5"]
        assert len(top5) == 5 and all(0 <= row["index"] < 1000 for row in top5)
    finally:
        backend.teardown(config, print)
    assert all(d.config_key != config.key for d in backend.owned())

"""The backend of foreign targets (core/foreign.py): describes and invokes, never deploys.

It fits the `Backend` protocol so that a foreign target is tested by the same `TestRun` and
`SweepRun` as a configuration, but compile, deploy and tear down refuse with one line, and
`owned` is always empty: "tear everything down" can never reach an endpoint rnbench did not
create. Its `region` is empty, so the only price a foreign target has is one the user gives.
"""

from __future__ import annotations

import http.client
import time
from typing import Any

from rnbench.core.backends.foreign import targets as foreign
from rnbench.core.backends.foreign.targets import ForeignTarget
from rnbench.core.backends.protocol import (
    Deployment,
    Progress,
    ServerLatency,
    State,
    Status,
    no_progress,
)
from rnbench.core.backends.sagemaker.settings import SageMakerSettings
from rnbench.core.configs import Configuration
from rnbench.core.errors import (
    BackendUnavailable,
    ControlPlaneError,
    NotDeployedError,
    UsageError,
)
from rnbench.core.loadgen.transport import HttpTarget, Reply

PING_TIMEOUT_S = 3.0
"""How long GET /ping of a foreign URL may take before it counts as failed."""
REQUEST_TIMEOUT_S = 60.0
"""`invoke`'s timeout for one request (load tests use their own)."""
_STATES = {
    "InService": State.IN_SERVICE,
    "Failed": State.FAILED,
    "Deleting": State.TEARING_DOWN,
    "OutOfService": State.FAILED,
}
_UNKNOWN = {"runtime": "unknown", "device": "unknown", "weights": "unknown"}
"""What rnbench cannot know of a model it did not deploy, recorded as such."""


class ForeignBackend:
    """Foreign targets: load-tested, never deployed, compiled or torn down."""

    name = foreign.BACKEND

    def __init__(self, settings: SageMakerSettings) -> None:
        self.settings = settings
        """For `endpoint:` targets: the region and credentials the endpoint is looked up with."""
        self._sagemaker: Any = None

    @property
    def region(self) -> str:
        """Empty: no price is looked up for a foreign target (only a user-given one applies)."""
        return ""

    def unavailable_reason(self, config: Configuration) -> str | None:
        """None for a URL; for an endpoint, why SageMaker cannot be asked about it here (no
        or an unknown profile or region, no credentials), found without asking AWS."""
        from rnbench.core.backends.sagemaker.identity import credentials_problem, setup_problem

        target = ForeignTarget.from_key(config.key)
        if target.kind == "url":
            return None
        return setup_problem(self.settings) or credentials_problem(self.settings)

    def compile(self, config: Configuration, progress: Progress = no_progress) -> None:
        raise UsageError(f"{config.key}: {foreign.REFUSAL}")

    def deploy(self, config: Configuration, progress: Progress = no_progress) -> Deployment:
        raise UsageError(f"{config.key}: {foreign.REFUSAL}")

    def teardown(self, config: Configuration, progress: Progress = no_progress) -> bool:
        raise UsageError(f"{config.key}: {foreign.REFUSAL}")

    def owned(self) -> list[Deployment]:
        """Never anything: rnbench owns no foreign target."""
        return []

    def describe(self, config: Configuration) -> Status:
        """A URL is in service (its reason says when GET /ping failed: it is tested anyway);
        an endpoint is what DescribeEndpoint says (not deployed: no such endpoint)."""
        target = ForeignTarget.from_key(config.key)
        if target.kind == "url":
            return self._describe_url(config, target)
        reason = self.unavailable_reason(config)
        if reason is not None:
            return Status(config.key, State.UNAVAILABLE, reason)
        return self._describe_endpoint(config, target)

    def invoke(self, config: Configuration, body: bytes) -> Reply:
        status = self.describe(config)
        if status.state is not State.IN_SERVICE or status.deployment is None:
            raise NotDeployedError(f"{config.key} is not in service ({status.state.value})")
        invoker = status.deployment.target.open(REQUEST_TIMEOUT_S)
        try:
            return invoker.invoke(body)
        finally:
            invoker.close()

    def server_latency(
        self, deployment: Deployment, start: float, end: float
    ) -> ServerLatency | None:
        """An endpoint's CloudWatch ModelLatency and OverheadLatency, as for rnbench's own;
        a URL reports none apart from its replies."""
        if not deployment.config_key.startswith("endpoint:"):
            return None
        from rnbench.core.backends.sagemaker.live import endpoint_latency

        figures = endpoint_latency(self.settings, deployment.resource_id, start, end)
        if figures is None:
            return ServerLatency(None, None, "CloudWatch latency not yet available for this run")
        return ServerLatency(*figures)

    # ---- the two kinds -----------------------------------------------------------------------

    def _describe_url(self, config: Configuration, target: ForeignTarget) -> Status:
        """Its deployment sends to the URL as given; its resource id (shown) hides query values."""
        host, port, path = foreign.url_parts(target)
        http_target = HttpTarget(host, port, path)
        problem = ping(host, port, foreign.ping_path(path))
        deployment = Deployment(
            config.key,
            self.name,
            target.address,
            http_target,
            time.time(),
            "unknown",
            {**_UNKNOWN, "ping": problem or "ok"},
        )
        reason = f"GET {foreign.ping_path(path)} failed: {problem}" if problem else ""
        return Status(config.key, State.IN_SERVICE, reason, deployment)

    def _describe_endpoint(self, config: Configuration, target: ForeignTarget) -> Status:
        from rnbench.core.backends.foreign.endpoint import describe_endpoint
        from rnbench.core.backends.sagemaker.clients import control_client
        from rnbench.core.backends.sagemaker.runtime import SageMakerTarget

        region = str(self.settings.region)
        try:
            if self._sagemaker is None:
                self._sagemaker = control_client(self.settings, "sagemaker")
            facts = describe_endpoint(self._sagemaker, target.address)
        except BackendUnavailable as exc:
            return Status(config.key, State.UNAVAILABLE, str(exc))
        except ControlPlaneError as exc:
            return Status(config.key, State.UNKNOWN, str(exc))
        if facts is None:
            return Status(
                config.key,
                State.NOT_DEPLOYED,
                f"no SageMaker endpoint named {target.address} in {region}",
            )
        deployment = Deployment(
            config.key,
            self.name,
            facts.name,
            SageMakerTarget(facts.name, region, self.settings.profile),
            facts.created_at,
            facts.instance_type,
            {**_UNKNOWN, "region": region, "endpoint_status": facts.status},
        )
        state = _STATES.get(facts.status, State.DEPLOYING)
        reason = facts.failure_reason or (
            "" if state is State.IN_SERVICE else f"endpoint status {facts.status}"
        )
        return Status(config.key, state, reason, deployment)


def ping(host: str, port: int, path: str, timeout_s: float = PING_TIMEOUT_S) -> str | None:
    """None when GET `path` answers 200, else one line saying what happened."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
    except TimeoutError:
        return f"no answer within {timeout_s:g} s"
    except (OSError, http.client.HTTPException) as exc:
        return f"{type(exc).__name__}: {exc}"[:200]
    finally:
        conn.close()
    return None if response.status == 200 else f"HTTP {response.status}"


def in_service(status: Status) -> Deployment:
    """The deployment a foreign target's status names, when it can be load-tested.

    Raises:
        UsageError: no such endpoint (the name is wrong: bad input); SageMaker is not set up
            here (no or an unknown profile or region, no credentials), as for a configuration.
        ControlPlaneError: AWS could not be asked.
        NotDeployedError: the endpoint exists but is not InService.
    """
    if status.state is State.IN_SERVICE and status.deployment is not None:
        return status.deployment
    reason = status.reason or status.state.value
    if status.state in (State.NOT_DEPLOYED, State.UNAVAILABLE):
        prefix = f"{status.config_key}: " if status.state is State.UNAVAILABLE else ""
        raise UsageError(prefix + reason)
    if status.state is State.UNKNOWN:
        raise ControlPlaneError(reason)
    raise NotDeployedError(f"{status.config_key} is not InService: {reason}")

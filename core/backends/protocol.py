"""The one seam between front ends and where models run: the `Backend` protocol.

The local backend (a server process on 127.0.0.1) and the SageMaker backend (real endpoints)
implement it; the CLI, the TUI and the tests all go through it. Every method may block for a
long time (model loading, Neo compilation, endpoint creation): front ends call it from worker
threads and pass a `Progress` callback to hear what is happening.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from rnbench.core.configs import Configuration
from rnbench.core.loadgen.transport import Reply, Target

Progress = Callable[[str], None]
"""Receives one-line progress messages (`waiting for InService (2m10s)`); a `Step` among them
also says which `Phase` the work has entered."""


def no_progress(message: str) -> None:
    """A Progress that discards messages."""


class Phase(StrEnum):
    """What a backend is doing now, as a front end labels it (the grid's state column)."""

    EXPORTING = "exporting"
    QUANTIZING = "quantizing"
    COMPILING = "compiling"
    CHECKING = "checking agreement"
    PACKAGING = "packaging"
    STARTING_SERVER = "starting server"
    LOADING_MODEL = "loading model"
    CREATING_ENDPOINT = "creating endpoint"
    WARMING_UP = "warming up"
    MEASURING = "measuring"
    TEARING_DOWN = "tearing down"


class Step(str):
    """A progress line that starts (or continues) a phase: still a plain `str` for a Progress
    that only prints, while a front end reads `phase` instead of guessing from the text."""

    phase: Phase

    def __new__(cls, phase: Phase, line: str) -> Step:
        step = super().__new__(cls, line)
        step.phase = phase
        return step


def phase_of(line: str) -> Phase | None:
    """The phase a progress line announces; None for a plain line."""
    return line.phase if isinstance(line, Step) else None


class State(StrEnum):
    """Where a configuration stands."""

    NOT_DEPLOYED = "not deployed"
    UNAVAILABLE = "unavailable"
    """The backend cannot serve it here (no credentials, no CUDA); `Status.reason` says why."""
    PACKAGING = "packaging"
    COMPILING = "compiling"
    COMPILED = "compiled"
    DEPLOYING = "deploying"
    IN_SERVICE = "in service"
    TESTING = "testing"
    TEARING_DOWN = "tearing down"
    FAILED = "failed"
    UNKNOWN = "unknown"
    """The backend could not be asked (AWS unreachable, a call refused); the reason says why."""


@dataclass(frozen=True)
class Deployment:
    """A running deployment of one configuration that rnbench created."""

    config_key: str
    """The configuration it serves."""
    backend: str
    """`local` or `sagemaker`."""
    resource_id: str
    """Endpoint name, or `pid <n> on 127.0.0.1:<port>` for a local server."""
    target: Target
    """Where the load generator sends requests."""
    created_at: float
    """When it was created (seconds since the epoch)."""
    instance_type: str = "local"
    """Hardware it runs on, for prices."""
    details: Mapping[str, str] = field(default_factory=dict)
    """Facts recorded with results: runtime, device, weights, torch_version, region, ..."""


@dataclass(frozen=True)
class ServerLatency:
    """A backend's own latency figures for a test run (SageMaker: CloudWatch), in ms."""

    model_p50_ms: float | None
    """Median time the model container spent per request; None when not (yet) reported."""
    overhead_p50_ms: float | None
    """Median time the serving platform added around the container; None when not reported."""
    note: str = ""
    """Why the figures are missing, recorded with the run; empty when they are present."""


@dataclass(frozen=True)
class Status:
    """What `Backend.describe` reports for a configuration."""

    config_key: str
    state: State
    reason: str = ""
    """Why it is unavailable or failed; empty otherwise."""
    deployment: Deployment | None = None


class Backend(Protocol):
    """Deploys, invokes and tears down configurations of one kind (local or SageMaker)."""

    name: str

    @property
    def region(self) -> str:
        """The region prices are looked up for; empty for the local backend."""
        ...

    def unavailable_reason(self, config: Configuration) -> str | None:
        """None when this backend can act for `config` here, else a one-line reason."""
        ...

    def compile(self, config: Configuration, progress: Progress = no_progress) -> None:
        """Prepare a compiled artifact (Neo job, ONNX export). A no-op for eager configurations.

        Raises:
            BackendUnavailable, DeployError.
        """
        ...

    def deploy(self, config: Configuration, progress: Progress = no_progress) -> Deployment:
        """Make `config` servable and wait until it answers; returns the existing deployment
        if one is already in service. Compiles first when needed.

        Raises:
            BackendUnavailable, DeployError.
        """
        ...

    def describe(self, config: Configuration) -> Status:
        """Where `config` stands now. Never raises for a missing deployment."""
        ...

    def invoke(self, config: Configuration, body: bytes) -> Reply:
        """Send one request to the deployed configuration.

        Raises:
            NotDeployedError, InvokeError.
        """
        ...

    def teardown(self, config: Configuration, progress: Progress = no_progress) -> bool:
        """Delete what rnbench created for `config`; True when something was deleted.
        Never touches a resource rnbench did not create.

        Raises:
            TeardownError.
        """
        ...

    def owned(self) -> list[Deployment]:
        """Every deployment of this backend that rnbench created and is still up."""
        ...

    def server_latency(
        self, deployment: Deployment, start: float, end: float
    ) -> ServerLatency | None:
        """The platform's own latency figures over [start, end] (seconds since the epoch).

        None when this backend reports none apart from its replies (the local server times
        each request in a reply header, which the load generator already records).
        """
        ...

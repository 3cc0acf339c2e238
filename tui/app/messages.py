"""Messages workers post to the screens: small dataclasses, the only way work reaches the UI.

Workers never touch widgets; they post one of these and the screen that owns the widgets
updates them on the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from textual.message import Message

from rnbench.core.backends.protocol import Deployment, Status
from rnbench.core.loadgen.types import LoadSpec
from rnbench.core.model_choice import ModelChoice
from rnbench.results.prices import Price
from rnbench.results.record import RunRecord
from rnbench.tui.app.port import EnginePort, TestRunLike


@dataclass
class EngineReady(Message):
    """The engine was built (in a worker: it may import heavy modules)."""

    engine: EnginePort
    model: ModelChoice = field(default_factory=ModelChoice)
    """The model it deploys (a saved choice restored, else the front end's)."""
    warning: str | None = None
    """Why a saved model choice was not restored (one line), if it was not."""


@dataclass
class EngineFailed(Message):
    """The engine could not be built; `reason` is one line."""

    reason: str


@dataclass
class RowsRefreshed(Message):
    """Fresh status, price and last run of every configuration."""

    statuses: dict[str, Status]
    prices: dict[str, Price | None]
    last_runs: dict[str, RunRecord]
    generation: int
    """Which refresh this answers; a later one wins."""
    price_notes: dict[str, str] = field(default_factory=dict)
    """`no price: <why>` for the configurations without a price."""


@dataclass
class ActionProgress(Message):
    """A progress line from a backend while it works on `config_key` ('' for all)."""

    config_key: str
    line: str
    phase: str = ""
    """The phase the line starts (`loading model`, `tearing down`); "" for a plain line."""


@dataclass
class ActionDone(Message):
    """`action` (compile, deploy, teardown, teardown-all) finished; `summary` is one line."""

    config_key: str
    action: str
    summary: str


@dataclass
class ActionFailed(Message):
    """`action` failed; `reason` is one line, never a traceback."""

    config_key: str
    action: str
    reason: str


@dataclass
class TestStarted(Message):
    """A load test (or one point of a sweep) started; the screen samples `run` with its timer."""

    __test__ = False

    config_key: str
    run: TestRunLike
    step: int = 1
    """Which point of a sweep this is (1-based)."""
    steps: int = 1
    """Points in the sweep: 1 for a single test."""
    sweep_id: str = ""
    spec: LoadSpec | None = None
    """The load of this run."""


@dataclass
class TestFinished(Message):
    """A load test is over: `record` when it succeeded, else `error` (one line)."""

    __test__ = False

    config_key: str
    record: RunRecord | None
    error: str | None
    last: bool = True
    """False for a point of a sweep that goes on."""


@dataclass
class OwnedListed(Message):
    """What rnbench has deployed, with each one's price: for the quit prompt or the start-up
    leftovers prompt."""

    deployments: list[Deployment]
    prices: dict[str, Price | None]
    purpose: str = "quit"
    """`quit` (asked by q) or `start` (listed once the engine is ready)."""


@dataclass
class ExportWritten(Message):
    """Runs were written to `path`: as CSV, or as the HTML report."""

    path: Path
    rows: int
    what: str = "csv"
    """`csv` or `report`."""


@dataclass
class RunsLoaded(Message):
    """Every stored run, for the results screen."""

    runs: list[RunRecord]


@dataclass
class ModelsListed(Message):
    """torchvision's classification models, from its registry, for the model dialog."""

    names: list[str]


@dataclass
class ModelResolved(Message):
    """The model dialog's text resolved to a model (a name or a file, its input size)."""

    choice: ModelChoice

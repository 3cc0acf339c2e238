"""The blocking work behind every key: plain functions run in thread workers.

Each takes a `post` callable (a screen's thread-safe `post_message`) and reports only through
messages; none touches a widget. Every failure becomes a one-line reason: a RnbenchError's own
message, or the exception's type and first line for anything unexpected.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from textual.message import Message

from rnbench.core.backends.protocol import State, Status, phase_of
from rnbench.core.backends.sagemaker import images
from rnbench.core.configs import Configuration
from rnbench.core.errors import RnbenchError
from rnbench.core.loadgen.types import LoadSpec
from rnbench.core.model_choice import ModelChoice, choose_model
from rnbench.core.run.sweep import SweepPoint
from rnbench.inference.models import ModelSpec
from rnbench.results.prices import Price
from rnbench.results.record import RunRecord
from rnbench.tui.app import messages as m
from rnbench.tui.app import settings as stored
from rnbench.tui.app.model_view import is_of
from rnbench.tui.app.port import EnginePort, TestRunLike

Post = Callable[[Message], object]
FileWork = Callable[[Post, EnginePort, Path], None]
"""A worker that writes a file of the runs (`export`, `report`)."""


def one_line(exc: BaseException) -> str:
    """A one-line reason for the user."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, RnbenchError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


def build_engine(
    post: Post, factory: Callable[[], EnginePort], saved: stored.SavedModel | None = None
) -> None:
    """Build the engine; a `saved` model choice (an earlier session's `m`) is resolved and set
    on it, and one that no longer resolves gives ResNet-50 and a one-line warning."""
    try:
        engine = factory()
    except Exception as exc:  # noqa: BLE001 - shown to the user as one line
        post(m.EngineFailed(one_line(exc)))
        return
    images.sdk_table("pytorch")  # here, not on the UI thread: a first run imports the SDK (~3 s)
    warning = None
    if saved is not None:
        try:
            choice = choose_model(saved.model, saved.input_size)
        except Exception as exc:  # noqa: BLE001 - the saved choice is old news; say so, go on
            warning = f"saved model {saved.model} not restored ({one_line(exc)}): using ResNet-50"
            choice = ModelChoice()
        engine.set_model(choice)
    post(m.EngineReady(engine, engine.model, warning))


def list_models(post: Post) -> None:
    """torchvision's classifier names (importing torchvision: seconds)."""
    from rnbench.inference.models import available_models

    try:
        names = available_models()
    except Exception as exc:  # noqa: BLE001 - the dialog still takes a name or a file
        post(m.ActionFailed("", "list models", one_line(exc)))
        return
    post(m.ModelsListed(names))


def resolve_model(post: Post, text: str, input_size: int | None) -> None:
    """Resolve a model name or file (`choose_model`: it may import torchvision)."""
    try:
        choice = choose_model(text, input_size)
    except Exception as exc:  # noqa: BLE001 - one line, the dialog stays open
        post(m.ActionFailed("", "model", one_line(exc)))
        return
    post(m.ModelResolved(choice))


def _status(engine: EnginePort, config: Configuration) -> Status:
    try:
        return engine.status(config)
    except Exception as exc:  # noqa: BLE001 - a row that cannot be described says why
        return Status(config.key, State.UNAVAILABLE, reason=one_line(exc))


def _price(engine: EnginePort, config: Configuration) -> Price | None:
    try:
        return engine.price(config)
    except Exception:  # noqa: BLE001 - no price is shown as no price, never a made-up one
        return None


def _price_note(engine: EnginePort, config: Configuration) -> str:
    try:
        return engine.price_note(config)
    except Exception as exc:  # noqa: BLE001 - the reason is a nicety; the row says no price
        return f"no price: {one_line(exc)}"


def refresh(
    post: Post,
    engine: EnginePort,
    configs: Sequence[Configuration],
    generation: int,
    model: ModelSpec,
) -> None:
    """Describe every configuration, look up its price and its last successful run of `model`
    (runs of other models never count)."""
    statuses = {c.key: _status(engine, c) for c in configs}
    prices = {c.key: _price(engine, c) for c in configs}
    last: dict[str, RunRecord] = {}
    try:
        runs = engine.runs()
    except Exception as exc:  # noqa: BLE001
        post(m.ActionFailed("", "load results", one_line(exc)))
        runs = []
    for record in runs:
        if record.status != "ok" or not is_of(record, model):
            continue
        known = last.get(record.config)
        if known is None or record.started_at > known.started_at:
            last[record.config] = record
    notes = {c.key: _price_note(engine, c) for c in configs if prices[c.key] is None}
    post(m.RowsRefreshed(statuses, prices, last, generation, notes))


def act(post: Post, engine: EnginePort, action: str, config: Configuration) -> None:
    """Compile, deploy or tear down one configuration."""

    def progress(line: str) -> None:
        phase = phase_of(line)
        post(m.ActionProgress(config.key, str(line), phase.value if phase else ""))

    try:
        if action == "compile":
            engine.compile(config, progress)
            summary = f"{config.key}: compiled"
        elif action == "deploy":
            deployment = engine.deploy(config, progress)
            summary = f"{config.key}: in service ({deployment.resource_id})"
        elif action == "teardown":
            deleted = engine.teardown(config, progress)
            summary = f"{config.key}: " + ("torn down" if deleted else "nothing was deployed")
        else:
            raise ValueError(f"unknown action {action!r}")
    except Exception as exc:  # noqa: BLE001 - one line for the user
        post(m.ActionFailed(config.key, action, one_line(exc)))
        return
    post(m.ActionDone(config.key, action, summary))


def teardown_all(post: Post, engine: EnginePort) -> None:
    def progress(line: str) -> None:
        post(m.ActionProgress("", str(line)))  # every row already says "tearing down"

    try:
        keys = engine.teardown_all(progress)
    except Exception as exc:  # noqa: BLE001
        post(m.ActionFailed("", "teardown-all", one_line(exc)))
        return
    summary = "tore down " + (", ".join(keys) if keys else "nothing (nothing was deployed)")
    post(m.ActionDone("", "teardown-all", summary))


def run_tests(
    post: Post,
    engine: EnginePort,
    config: Configuration,
    specs: Sequence[LoadSpec],
    body: bytes,
    stop: threading.Event,
) -> None:
    """Start `specs` as one sweep (`Engine.start_sweep`; one spec: a single test).

    Each point is announced with TestStarted and sampled by the screen's timer, which also
    reports its end; a point that cannot start is an ActionFailed. `stop` (tear down, quit)
    ends the sweep before its next point.
    """

    def started(point: SweepPoint[TestRunLike]) -> None:
        post(
            m.TestStarted(
                config.key, point.run, point.step, point.steps, point.sweep_id, point.spec
            )
        )

    def failed(exc: BaseException) -> None:
        post(m.ActionFailed(config.key, "test", one_line(exc)))

    try:
        engine.start_sweep(config, specs, body, started, failed, stop)
    except Exception as exc:  # noqa: BLE001
        failed(exc)


def list_owned(post: Post, engine: EnginePort, purpose: str = "quit") -> None:
    """What rnbench has up (it may ask AWS), with prices; `purpose` is passed on."""
    try:
        deployments = engine.owned()
    except Exception as exc:  # noqa: BLE001
        post(m.ActionFailed("", "list deployments", one_line(exc)))
        if purpose == "start":  # unknown is not "nothing is still up"
            return
        deployments = []
    prices: dict[str, Price | None] = {}
    configs = {c.key: c for c in engine.configurations()}
    for deployment in deployments:
        config = configs.get(deployment.config_key)
        prices[deployment.config_key] = _price(engine, config) if config else None
    post(m.OwnedListed(deployments, prices, purpose))


def export(post: Post, engine: EnginePort, path: Path) -> None:
    try:
        rows = engine.export(path)
    except Exception as exc:  # noqa: BLE001
        post(m.ActionFailed("", "export", one_line(exc)))
        return
    post(m.ExportWritten(path, rows))


def report(post: Post, engine: EnginePort, path: Path) -> None:
    """Write the HTML report of every stored run (`rnbench report`)."""
    try:
        runs = engine.report(path)
    except Exception as exc:  # noqa: BLE001
        post(m.ActionFailed("", "report", one_line(exc)))
        return
    post(m.ExportWritten(path, runs, "report"))


def load_runs(post: Post, engine: EnginePort) -> None:
    try:
        runs = engine.runs()
    except Exception as exc:  # noqa: BLE001
        post(m.ActionFailed("", "load results", one_line(exc)))
        runs = []
    post(m.RunsLoaded(runs))

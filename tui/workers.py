"""The blocking work behind every key: plain functions run in thread workers.

Each takes a `post` callable (a screen's thread-safe `post_message`) and reports only through
messages; none touches a widget. Every failure becomes a one-line reason: a RnbenchError's own
message, or the exception's type and first line for anything unexpected.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from textual.message import Message

from rnbench.core.backend import State, Status
from rnbench.core.configs import Configuration
from rnbench.core.errors import RnbenchError
from rnbench.core.loadgen.types import LoadSpec
from rnbench.results.prices import Price
from rnbench.results.record import RunRecord
from rnbench.tui import messages as m
from rnbench.tui.port import EnginePort, TestRunLike

Post = Callable[[Message], object]


def one_line(exc: BaseException) -> str:
    """A one-line reason for the user."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, RnbenchError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


def build_engine(post: Post, factory: Callable[[], EnginePort]) -> None:
    try:
        engine = factory()
    except Exception as exc:  # noqa: BLE001 - shown to the user as one line
        post(m.EngineFailed(one_line(exc)))
        return
    post(m.EngineReady(engine))


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


def refresh(
    post: Post, engine: EnginePort, configs: Sequence[Configuration], generation: int
) -> None:
    """Describe every configuration, look up its price and its last successful run."""
    statuses = {c.key: _status(engine, c) for c in configs}
    prices = {c.key: _price(engine, c) for c in configs}
    last: dict[str, RunRecord] = {}
    try:
        runs = engine.runs()
    except Exception as exc:  # noqa: BLE001
        post(m.ActionFailed("", "load results", one_line(exc)))
        runs = []
    for record in runs:
        if record.status != "ok":
            continue
        known = last.get(record.config)
        if known is None or record.started_at > known.started_at:
            last[record.config] = record
    post(m.RowsRefreshed(statuses, prices, last, generation))


def act(post: Post, engine: EnginePort, action: str, config: Configuration) -> None:
    """Compile, deploy or tear down one configuration."""

    def progress(line: str) -> None:
        post(m.ActionProgress(config.key, line))

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
        post(m.ActionProgress("", line))

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
    """Run `specs` one after another (more than one: a sweep with a shared sweep id).

    Each run is announced with TestStarted and sampled by the screen's timer, which also reports
    its end; this only waits for one to finish before starting the next. A failed point, `stop`
    (tear down, quit) or a run far past its planned length ends the sweep.
    """
    sweep_id = uuid.uuid4().hex[:10] if len(specs) > 1 else ""
    for step, spec in enumerate(specs, 1):
        if stop.is_set():
            return
        try:
            run = engine.start_test(config, spec, body, sweep_id=sweep_id)
        except Exception as exc:  # noqa: BLE001
            post(m.ActionFailed(config.key, "test", one_line(exc)))
            return
        post(m.TestStarted(config.key, run, step, len(specs), sweep_id, spec))
        if step == len(specs) or not _finished(run, spec, stop):
            return
        if run.snapshot().record is None:
            return  # the point failed: the timer reports why, and the sweep stops here


def _finished(run: TestRunLike, spec: LoadSpec, stop: threading.Event) -> bool:
    """Wait until `run` is over; False when stopped or stuck (then it is cancelled)."""
    deadline = time.monotonic() + spec.warmup_s + spec.duration_s + spec.timeout_s + 60.0
    while not run.done:
        if stop.is_set() or time.monotonic() > deadline:
            run.cancel()
            return False
        stop.wait(WAIT_S)
    return True


WAIT_S = 0.2
"""How often a sweep checks whether its current point is over."""


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


def load_runs(post: Post, engine: EnginePort) -> None:
    try:
        runs = engine.runs()
    except Exception as exc:  # noqa: BLE001
        post(m.ActionFailed("", "load results", one_line(exc)))
        runs = []
    post(m.RunsLoaded(runs))

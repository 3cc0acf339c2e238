"""The main screen's state: the TUI's view of the engine and of the tests in progress.

Plain values and rules, no widgets: `screens/main.py` shows it, its handlers update it from
worker messages, and the screen's 2 Hz timer samples the tests in progress through `sample`.
"""

from __future__ import annotations

import threading

from rnbench.core.backends.protocol import Deployment, Phase, State, Status
from rnbench.core.configs import Configuration, all_configurations
from rnbench.core.model_choice import ModelChoice
from rnbench.core.run.options import TestSettings
from rnbench.results.prices import Price
from rnbench.results.record import RunRecord
from rnbench.results.seed import published_row
from rnbench.tui.app import messages as m
from rnbench.tui.app.model_view import is_of, is_study_model
from rnbench.tui.app.port import EnginePort, SnapshotLike, TestRunLike
from rnbench.tui.app.rows import RowFacts, is_deployed
from rnbench.tui.app.workers import one_line

ACTIVITY = {"compile": "compiling", "deploy": "deploying", "teardown": "tearing down"}
"""What a row says while a worker acts on it, until the backend names its phase."""
BACKEND_ACTIVITIES = {*ACTIVITY.values(), *(p.value for p in Phase)}
"""Activities that end when the engine's next description of the row lands."""
TEST_PHASES = {"starting": "starting load", "warmup": "warming up", "measuring": "measuring"}
"""A test's `phase` (core/loadgen/run.py) as the state column says it."""


class Session:
    """Configurations, what the engine said of them, and their tests."""

    def __init__(self, settings: TestSettings) -> None:
        self.settings = settings
        """How `t` loads a configuration."""
        self.engine: EnginePort | None = None
        self.engine_error: str | None = None
        """Why the engine could not be built, once it could not."""
        self.configs: tuple[Configuration, ...] = all_configurations()
        self.model = ModelChoice()
        """The model the grid deploys and measures (the engine's)."""
        self.statuses: dict[str, Status] = {}
        self.prices: dict[str, Price | None] = {}
        self.price_notes: dict[str, str] = {}
        """Why a configuration has no price (`no price: ...`), from the last refresh."""
        self.last_runs: dict[str, RunRecord] = {}
        """The latest successful run of the current model per configuration."""
        self.activity: dict[str, str] = {}
        """What a worker is doing to a configuration (`deploying`, `loading model`, `testing
        2/3`, ...): set through `set_activity`, which also notes when it began."""
        self.activity_since: dict[str, float] = {}
        """When each activity (or a test's current point) began, for the elapsed time shown."""
        self.test_totals: dict[str, float] = {}
        """Warm-up + measured seconds of the point in progress, when known (a progress bar)."""
        self.tests: dict[str, TestRunLike] = {}
        self.snapshots: dict[str, SnapshotLike] = {}
        self.test_steps: dict[str, tuple[int, int]] = {}
        """(point, points) of the test in progress per configuration: (1, 1) unless a sweep."""
        self.stops: dict[str, threading.Event] = {}
        """Set to end a configuration's test sequence (a sweep) before its next point."""
        self.leftovers: dict[str, Deployment] = {}
        """Deployments found up at start: their rows show in service until the engine's own
        status says otherwise or they are torn down."""
        self.target_prices: dict[str, float | None] = {}
        """The foreign targets added (now or in an earlier session) and the price given each."""
        self.quitting = False
        """Set when quitting waits for a teardown of everything."""
        self._generation = 0
        self._applied = 0
        self._settle: dict[str, int] = {}

    # ---- rows ----------------------------------------------------------------------------

    def set_activity(self, key: str, activity: str, now: float) -> None:
        """`key` is now doing `activity`, which began at `now` (unless it was already doing it)."""
        if self.activity.get(key) != activity or key not in self.activity_since:
            self.activity_since[key] = now
        self.activity[key] = activity

    def end_activity(self, key: str) -> None:
        self.activity.pop(key, None)
        self.activity_since.pop(key, None)

    def activity_label(self, key: str) -> str | None:
        """The row's activity, with a test's real phase (`warming up`, `measuring 2/3`)."""
        activity = self.activity.get(key)
        snapshot = self.snapshots.get(key)
        if activity is None or not activity.startswith("testing") or key not in self.tests:
            return activity
        phase = TEST_PHASES.get(snapshot.phase, "ending") if snapshot else "starting load"
        step, steps = self.test_steps.get(key, (1, 1))
        return f"{phase} {step}/{steps}" if steps > 1 else phase

    def test_total(self, key: str) -> float | None:
        """Warm-up + measured seconds of `key`'s test point, while testing is what it does
        (a teardown that cancels the test has no known length)."""
        if not self.activity.get(key, "").startswith("testing"):
            return None
        return self.test_totals.get(key)

    def facts(self, config: Configuration, now: float | None = None) -> RowFacts:
        status = self.statuses.get(config.key)
        left = self.leftovers.get(config.key)
        if left is not None and not is_deployed(status):
            status = Status(config.key, State.IN_SERVICE, deployment=left)
        return RowFacts(
            config,
            status,
            self.prices.get(config.key),
            self.last_runs.get(config.key),
            published_row(config.key) if is_study_model(self.model.spec) else None,
            self.activity_label(config.key),
            self.price_notes.get(config.key, ""),
            self._elapsed(config.key, now),
            self.model.spec,
        )

    def _elapsed(self, key: str, now: float | None) -> float | None:
        since = self.activity_since.get(key)
        if now is None or since is None or key not in self.activity:
            return None
        return max(0.0, now - since)

    def add_foreign(self, config: Configuration) -> bool:
        """Add a foreign target's row (core/foreign.py); False when it is already a row."""
        if self.config(config.key) is not None:
            return False
        self.configs = (*self.configs, config)
        return True

    def config(self, key: str | None) -> Configuration | None:
        return next((c for c in self.configs if c.key == key), None)

    def switch_model(self, choice: ModelChoice) -> None:
        """The grid measures `choice` from now on: the old model's last runs go, and refreshes
        already begun (they looked for the old model's runs) are ignored when they land."""
        self.model = choice
        self.last_runs.clear()
        self._applied = max(self._applied, self._generation + 1)

    def next_generation(self) -> int:
        """A number for a refresh of the rows: newer refreshes have larger ones."""
        self._generation += 1
        return self._generation

    def apply_rows(self, message: m.RowsRefreshed) -> bool:
        """Take a refresh's statuses, prices and last runs; False for an older one, late."""
        if message.generation < self._applied:
            return False
        self._applied = message.generation
        self.statuses.update(message.statuses)
        self.prices.update(message.prices)
        self.price_notes.update(message.price_notes)
        self.last_runs.update(message.last_runs)
        for key, status in message.statuses.items():
            if status.state in (State.IN_SERVICE, State.NOT_DEPLOYED):
                self.leftovers.pop(key, None)  # the engine's own word wins
        for key, generation in list(self._settle.items()):
            if message.generation >= generation:
                self._settle.pop(key)
                if self.activity.get(key) in BACKEND_ACTIVITIES:
                    self.end_activity(key)
        return True

    def settle_after(self, key: str, action: str, generation: int) -> None:
        """An action is over: its rows keep their activity until refresh `generation` lands."""
        if key and key in self.activity:
            self._settle[key] = generation
        if action == "teardown-all":
            for k, a in list(self.activity.items()):
                if a == "tearing down":
                    self._settle[k] = generation

    def why_busy(self, config: Configuration) -> str | None:
        """Why nothing may act on `config` now, or None."""
        status = self.statuses.get(config.key)
        if status is not None and status.state is State.UNAVAILABLE:
            return f"{config.key} is unavailable here: {status.reason}"
        if config.key in self.activity:
            return f"{config.key} is busy ({self.activity[config.key]}); wait for it"
        return None

    # ---- tests ---------------------------------------------------------------------------

    def begin_test(self, key: str, now: float) -> threading.Event:
        """A test (or sweep) of `key` is about to start; returns the event that stops it."""
        self.set_activity(key, "testing", now)
        self.snapshots.pop(key, None)
        stop = self.stops[key] = threading.Event()
        return stop

    def point_started(self, message: m.TestStarted, now: float) -> m.TestFinished | None:
        """Follow the point that started. When the sweep's previous point is still followed,
        it is sampled first and its end returned, so it is reported before the next."""
        key = message.config_key
        previous = self.tests.get(key)
        ended = None
        if previous is not None and previous is not message.run:
            ended = self.sample(key, previous)
        self.tests[key] = message.run
        self.test_steps[key] = (message.step, message.steps)
        spec = message.spec
        if spec is not None and spec.stability_pct is None:
            self.test_totals[key] = spec.warmup_s + spec.duration_s
        else:  # a stability stop ends it early: no honest total
            self.test_totals.pop(key, None)
        if self.activity.get(key, "testing").startswith("testing"):
            sweep = message.steps > 1
            activity = f"testing {message.step}/{message.steps}" if sweep else "testing"
            self.activity[key] = activity
            self.activity_since[key] = now  # each point's elapsed time starts again
        return ended

    def sample(self, key: str, run: TestRunLike) -> m.TestFinished | None:
        """Take the run's snapshot; once it is over, stop following it and return its end."""
        finished = run.done  # before the snapshot, so a finished run's has its record
        step, steps = self.test_steps.get(key, (1, 1))
        try:
            snapshot = run.snapshot()
        except Exception as exc:  # noqa: BLE001 - a broken sample must not kill the UI
            self.tests.pop(key, None)
            return m.TestFinished(key, None, one_line(exc))
        self.snapshots[key] = snapshot
        if not finished:
            return None
        self.tests.pop(key, None)
        last = step >= steps or snapshot.record is None
        return m.TestFinished(key, snapshot.record, snapshot.error, last)

    def test_finished(self, message: m.TestFinished) -> None:
        if message.last:
            if self.activity.get(message.config_key, "").startswith("testing"):
                self.end_activity(message.config_key)  # a teardown that cancelled it goes on
            self.stops.pop(message.config_key, None)
            self.test_totals.pop(message.config_key, None)
        record = message.record
        if record is not None and record.status == "ok" and is_of(record, self.model.spec):
            self.last_runs[record.config] = record  # as `refresh`: only the current model's

    def stop_tests(self, key: str | None = None) -> None:
        """End test sequences (all, or `key`'s): their runs are cancelled, no next point starts."""
        for k in [key] if key else list(self.stops):
            stop = self.stops.pop(k, None)
            if stop is not None:
                stop.set()
            run = self.tests.get(k)
            if run is not None:
                run.cancel()

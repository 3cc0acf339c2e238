"""A fake engine with fixed data and a fixed clock, for TUI snapshot and Pilot tests.

It has the methods of `rnbench.core.engine.Engine` the TUI calls, answers at once, and records
what it was asked to do. The real-backend tests use the real engine instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from rnbench.core.backends.foreign.targets import ForeignTarget
from rnbench.core.backends.local.backend import NO_CUDA
from rnbench.core.backends.protocol import Deployment, Phase, Progress, State, Status, Step
from rnbench.core.configs import Configuration, all_configurations
from rnbench.core.errors import NotDeployedError
from rnbench.core.loadgen.transport import HttpTarget
from rnbench.core.loadgen.types import LoadSpec, Window
from rnbench.core.model_choice import ModelChoice
from rnbench.core.run.sweep import SweepPoint, SweepRun
from rnbench.inference.models import STUDY_MODEL, ModelSpec, model_unavailable_reason
from rnbench.results.prices import Price
from rnbench.results.record import RunRecord

FIXED_NOW = 1_760_000_000.0
"""The fake clock: 2025-10-09 08:53:20 UTC."""

NO_AWS = "no AWS credentials found (give --profile or set AWS_PROFILE)"


def fixed_clock() -> float:
    return FIXED_NOW


def make_record(
    config: str,
    tps: float,
    p50: float,
    p99: float,
    price: float | None,
    started: str,
    run_id: str,
    **extra: object,
) -> RunRecord:
    per_hour = tps * 3600
    record = RunRecord(
        run_id=run_id,
        started_at=started,
        config=config,
        backend="local" if config.startswith("local") else "sagemaker",
        instance_type="local" if config.startswith("local") else "ml.c5.xlarge",
        runtime="compiled" if "compiled" in config or "neo" in config else "eager",
        compiled="compiled" in config,
        device="cpu",
        weights="random",
        mode="closed",
        concurrency=16,
        warmup="5s",
        duration_s=20.0,
        requests=int(tps * 20),
        errors=0,
        tps=tps,
        mean_ms=16 / tps * 1000,
        p50_ms=p50,
        p90_ms=p50 * 1.2,
        p95_ms=p50 * 1.3,
        p99_ms=p99,
        max_ms=p99 * 1.5,
        server_p50_ms=p50 * 0.8,
        littles_law_residual_pct=1.2,
        usd_per_hour=price,
        price_source="fixture" if price else "",
        tps_per_usd_hour=tps / price if price else None,
        usd_per_1m=1e6 / per_hour * price if price else None,
        inferences_per_usd=per_hour / price if price else None,
        transactions_per_hour=per_hour,
        rnbench_version="0.1.0",
        torch_version="2.x",
    )
    return replace(record, **extra)  # type: ignore[arg-type]


FIXED_RUNS = [
    make_record("local-cpu", 21.4, 742.0, 905.0, None, "2025-10-09T08:00:00+00:00", "run-a"),
    make_record(
        "local-cpu-compiled", 44.9, 352.0, 431.0, None, "2025-10-09T08:10:00+00:00", "run-b"
    ),
    make_record("c5", 50.1, 318.0, 402.0, 0.222, "2025-10-08T10:00:00+00:00", "run-c", stable=True),
]

SWEEP_RUNS = [
    make_record(
        "local-cpu-compiled",
        tps,
        p50,
        p99,
        None,
        f"2025-10-09T07:0{i}:00+00:00",
        f"run-s{i}",
        concurrency=clients,
        sweep_id="sweep-1",
        stable=i != 2,
        max_prob_deviation=3.1e-6,
    )
    for i, (clients, tps, p50, p99) in enumerate(
        [(1, 12.0, 80.0, 95.0), (4, 38.0, 104.0, 130.0), (16, 44.9, 352.0, 431.0)]
    )
]
"""A closed-loop sweep of 1, 4, 16 clients: its knee is the 4-client point."""

OPEN_RUN = make_record(
    "local-cpu",
    10.0,
    90.0,
    140.0,
    None,
    "2025-10-09T06:00:00+00:00",
    "run-o",
    mode="open",
    rate=10.0,
)


@dataclass(frozen=True)
class FakeSnapshot:
    config_key: str
    run_id: str
    phase: str
    windows: tuple[Window, ...]
    histogram: tuple[tuple[float, int], ...]
    record: RunRecord | None
    error: str | None


def fixed_windows(n: int) -> tuple[Window, ...]:
    return tuple(
        Window(
            i,
            float(i + 1),
            40 + (i % 3),
            {"timeout": 1} if i == 2 else {},
            40.0 + (i % 3),
            380.0,
            350.0 + i,
            400.0,
            420.0,
            460.0 + 5 * i,
            500.0,
        )
        for i in range(n)
    )


FIXED_HISTOGRAM = tuple(
    (300.0 + 10 * i, [0, 2, 9, 30, 55, 41, 20, 8, 3, 1, 0, 1][i % 12]) for i in range(30)
)


class FakeRun:
    """A test that measures `n_windows` windows, one per `snapshot()` call, then finishes."""

    def __init__(
        self,
        config: Configuration,
        n_windows: int = 4,
        fail: str | None = None,
        spec: LoadSpec | None = None,
        sweep_id: str = "",
        model: ModelSpec = STUDY_MODEL,
    ):
        self.config = config
        self.model = model
        """What the fake server of `config` serves: its runs measure it."""
        self.spec = spec or LoadSpec()
        self.sweep_id = sweep_id
        self.calls = 0
        self.n_windows = n_windows
        self.fail = fail
        self.cancelled = False

    def snapshot(self) -> FakeSnapshot:
        self.calls += 1
        shown = min(self.calls, self.n_windows)
        finished = self.done
        record = None
        if finished and self.fail is None:
            record = make_record(
                self.config.key,
                41.0,
                351.0,
                470.0,
                None,
                "2025-10-09T09:00:00+00:00",
                "run-new",
                concurrency=self.spec.concurrency,
                rate=self.spec.rate,
                mode=self.spec.mode,
                sweep_id=self.sweep_id,
                model=self.model.label,
                input_size=self.model.input.crop,
            )
            if self.cancelled:  # as the engine's TestRun stores a run cut short
                note = "cancelled after 1.0 s (tear down or quit during the test)"
                record = replace(record, status="interrupted", note=note, tps=99.9)
        phase = "done" if record else ("failed" if finished else "measuring")
        return FakeSnapshot(
            self.config.key,
            "run-new",
            phase,
            fixed_windows(shown),
            FIXED_HISTOGRAM,
            record,
            self.fail if finished else None,
        )

    def cancel(self) -> None:
        self.cancelled = True

    @property
    def done(self) -> bool:
        return self.cancelled or self.calls >= self.n_windows


@dataclass
class FakeEngine:
    """Fixed configurations, states, prices and runs; records every call."""

    deployed: set[str] = field(default_factory=lambda: {"local-cpu-compiled"})
    runs_: list[RunRecord] = field(default_factory=lambda: [*FIXED_RUNS, *SWEEP_RUNS, OPEN_RUN])
    calls: list[tuple[str, str]] = field(default_factory=list)
    test_windows: int = 4
    exported: list[Path] = field(default_factory=list)
    last_run: FakeRun | None = None
    specs: list[tuple[LoadSpec, str]] = field(default_factory=list)
    """(spec, sweep_id) of every test started."""
    started_runs: list[FakeRun] = field(default_factory=list)
    fail_points: list[str | None] = field(default_factory=list)
    """Failure reasons for the next tests, in order (None: that one succeeds)."""
    foreign_prices: dict[str, float] = field(default_factory=dict)
    """Prices given to foreign targets (`foreign_configuration`)."""
    teardown_gate: threading.Event | None = None
    """When set, teardown announces its phase and waits for this event before it ends."""
    model: ModelChoice = field(default_factory=ModelChoice)
    """What a deploy serves (`set_model`)."""
    served: dict[str, ModelSpec] = field(default_factory=dict)
    """What each deployment serves (the model when it was deployed; else ResNet-50)."""

    def set_model(self, choice: ModelChoice) -> None:
        self.calls.append(("set_model", choice.spec.label))
        self.model = choice

    def configurations(self) -> tuple[Configuration, ...]:
        return all_configurations()

    def _deployment(self, config: Configuration) -> Deployment:
        spec = self.served.get(config.key, STUDY_MODEL)
        if config.backend == "sagemaker":
            return Deployment(
                config.key,
                "sagemaker",
                f"rnbench-{config.key}-endpoint",
                HttpTarget("127.0.0.1", 8080),
                FIXED_NOW - 754.0,
                instance_type=config.instance_type,
            )
        return Deployment(
            config.key,
            "local",
            f"pid 4242 on 127.0.0.1:{8080}",
            HttpTarget("127.0.0.1", 8080),
            FIXED_NOW - 754.0,
            details={"model": spec.label, "input_size": str(spec.input.crop)},
        )

    def status(self, config: Configuration) -> Status:
        if config.backend == "sagemaker":
            return Status(config.key, State.UNAVAILABLE, reason=NO_AWS)
        if config.device == "cuda":  # the machine the fixtures describe has no GPU
            return Status(config.key, State.UNAVAILABLE, reason=NO_CUDA)
        reason = model_unavailable_reason(config.runtime, self.model.spec)
        if reason is not None:
            return Status(config.key, State.UNAVAILABLE, reason=reason)
        if config.key in self.deployed:
            return Status(config.key, State.IN_SERVICE, deployment=self._deployment(config))
        return Status(config.key, State.NOT_DEPLOYED)

    def price(self, config: Configuration) -> Price | None:
        prices = {"ml.c5.xlarge": 0.222, "ml.g4dn.xlarge": 0.821, "ml.inf1.xlarge": 0.297}
        if config.key in self.foreign_prices:
            return Price("foreign", "", self.foreign_prices[config.key], "given by the user", "")
        if config.instance_type in prices:
            return Price(
                config.instance_type,
                "eu-west-1",
                prices[config.instance_type],
                "reference study",
                "2021-01-01",
            )
        return None

    def foreign_configuration(
        self, target: ForeignTarget, usd_per_hour: float | None = None
    ) -> Configuration:
        self.calls.append(("foreign", target.key))
        if usd_per_hour is not None:
            self.foreign_prices[target.key] = usd_per_hour
        return target.configuration()

    def price_note(self, config: Configuration) -> str:
        return "" if self.price(config) else "no price: none in the fake's table"

    def compile(self, config: Configuration, progress: Progress) -> None:
        self.calls.append(("compile", config.key))
        progress(f"{config.key}: compiled (fake)")

    def deploy(self, config: Configuration, progress: Progress) -> Deployment:
        self.calls.append(("deploy", config.key))
        progress(Step(Phase.STARTING_SERVER, f"{config.key}: starting (fake)"))
        progress(Step(Phase.LOADING_MODEL, f"{config.key}: loading the model (fake)"))
        self.deployed.add(config.key)
        self.served[config.key] = self.model.spec
        return self._deployment(config)

    def teardown(self, config: Configuration, progress: Progress) -> bool:
        self.calls.append(("teardown", config.key))
        progress(Step(Phase.TEARING_DOWN, f"{config.key}: stopping (fake)"))
        if self.teardown_gate is not None:
            self.teardown_gate.wait(10)
        was = config.key in self.deployed
        self.deployed.discard(config.key)
        return was

    def owned(self) -> list[Deployment]:
        configs = {c.key: c for c in self.configurations()}
        return [self._deployment(configs[k]) for k in sorted(self.deployed)]

    def teardown_all(self, progress: Progress) -> list[str]:
        self.calls.append(("teardown_all", ""))
        keys = sorted(self.deployed)
        self.deployed.clear()
        return keys

    def start_test(
        self, config: Configuration, spec: LoadSpec, body: bytes, sweep_id: str = ""
    ) -> FakeRun:
        self.calls.append(("test", config.key))
        if config.key not in self.deployed:
            raise NotDeployedError(f"{config.key} is not in service (not deployed)")
        self.specs.append((spec, sweep_id))
        fail = self.fail_points.pop(0) if self.fail_points else None
        served = self.served.get(config.key, STUDY_MODEL)
        self.last_run = FakeRun(config, self.test_windows, fail, spec, sweep_id, served)
        self.started_runs.append(self.last_run)
        return self.last_run

    def start_sweep(
        self,
        config: Configuration,
        specs: Sequence[LoadSpec],
        body: bytes,
        on_point: Callable[[SweepPoint[FakeRun]], object] | None = None,
        on_error: Callable[[BaseException], object] | None = None,
        stop: threading.Event | None = None,
    ) -> SweepRun[FakeRun]:
        """The engine's own sweep driver, over the fake tests."""

        def start_point(spec: LoadSpec, sweep_id: str) -> FakeRun:
            return self.start_test(config, spec, body, sweep_id)

        return SweepRun(start_point, specs, on_point, on_error, stop).start()

    def runs(self, limit: int | None = None) -> list[RunRecord]:
        return list(self.runs_)

    def export(self, path: Path) -> int:
        self.exported.append(path)
        path.write_text("run_id\n" + "".join(f"{r.run_id}\n" for r in self.runs_))
        return len(self.runs_)

    def report(self, path: Path) -> int:
        from rnbench.results.report import write_report

        self.exported.append(path)
        write_report(sorted(self.runs_, key=lambda r: r.started_at), path)
        return len(self.runs_)


def fresh(record: RunRecord, **changes: object) -> RunRecord:
    return replace(record, **changes)  # type: ignore[arg-type]

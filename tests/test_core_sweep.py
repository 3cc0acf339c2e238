"""Sweeps: the plan of load points, and the driver both front ends use (`Engine.start_sweep`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest
from records import make_record

from rnbench.core.errors import NotDeployedError, RnbenchError
from rnbench.core.loadgen.types import LoadSpec
from rnbench.core.run.sweep import SweepPoint, SweepRun, plan
from rnbench.results.record import RunRecord

BASE = LoadSpec(duration_s=2.0, warmup_s=0.0, timeout_s=1.0, stability_pct=5.0)


def test_a_concurrency_list_plans_closed_loop_points() -> None:
    specs = plan((1, 4, 16), (), BASE)
    assert [s.concurrency for s in specs] == [1, 4, 16]
    assert {s.rate for s in specs} == {None}
    assert {s.stability_pct for s in specs} == {5.0} and {s.duration_s for s in specs} == {2.0}


def test_a_rate_list_plans_open_loop_points_with_the_largest_pool() -> None:
    specs = plan((8, 32), (5.0, 10.0), BASE)
    assert [(s.concurrency, s.rate) for s in specs] == [(32, 5.0), (32, 10.0)]


@dataclass
class _Snapshot:
    record: RunRecord | None
    error: str | None


@dataclass
class _Run:
    """A test that is over once `finish` is set; fails when `fails`."""

    spec: LoadSpec
    sweep_id: str
    fails: bool = False
    finish: threading.Event = field(default_factory=threading.Event)
    cancelled: bool = False

    def snapshot(self) -> _Snapshot:
        if not self.finish.is_set() or self.fails:
            return _Snapshot(None, "the target went away" if self.fails else None)
        clients = self.spec.concurrency
        return _Snapshot(make_record(f"r{clients}", concurrency=clients), None)

    def cancel(self) -> None:
        self.cancelled = True
        self.finish.set()

    @property
    def done(self) -> bool:
        return self.finish.is_set()


class _Starter:
    def __init__(self, fail_at: int | None = None, refuse_at: int | None = None) -> None:
        self.runs: list[_Run] = []
        self._fail_at, self._refuse_at = fail_at, refuse_at

    def __call__(self, spec: LoadSpec, sweep_id: str) -> _Run:
        if len(self.runs) + 1 == self._refuse_at:
            raise NotDeployedError("local-cpu is not in service (not deployed)")
        run = _Run(spec, sweep_id, fails=len(self.runs) + 1 == self._fail_at)
        run.finish.set()  # over at once
        self.runs.append(run)
        return run


def test_points_run_in_order_with_one_sweep_id() -> None:
    starter = _Starter()
    seen: list[SweepPoint[_Run]] = []
    sweep = SweepRun(starter, plan((1, 2, 3), (), BASE), seen.append).start()
    assert sweep.join(10)
    assert [(p.step, p.steps) for p in seen] == [(1, 3), (2, 3), (3, 3)]
    assert len({p.sweep_id for p in seen}) == 1 and seen[0].sweep_id == sweep.sweep_id != ""
    assert [r.concurrency for r in sweep.records()] == [1, 2, 3]


def test_a_single_point_has_no_sweep_id() -> None:
    starter = _Starter()
    sweep = SweepRun(starter, plan((4,), (), BASE)).start()
    assert sweep.join(10)
    assert starter.runs[0].sweep_id == "" and len(sweep.records()) == 1


def test_a_failed_point_ends_the_sweep_and_says_why() -> None:
    starter = _Starter(fail_at=2)
    sweep = SweepRun(starter, plan((1, 2, 3), (), BASE)).start()
    assert sweep.join(10)
    assert len(starter.runs) == 2
    with pytest.raises(RnbenchError, match="the target went away"):
        sweep.records()


def test_a_point_that_cannot_start_is_reported_once() -> None:
    starter = _Starter(refuse_at=2)
    errors: list[BaseException] = []
    sweep = SweepRun(starter, plan((1, 2, 3), (), BASE), on_error=errors.append).start()
    assert sweep.join(10)
    assert len(starter.runs) == 1 and len(errors) == 1 and sweep.error is errors[0]
    with pytest.raises(NotDeployedError, match="not in service"):
        sweep.records()


def test_cancel_stops_the_current_point_and_starts_no_next() -> None:
    runs: list[_Run] = []

    def start(spec: LoadSpec, sweep_id: str) -> _Run:
        runs.append(_Run(spec, sweep_id))  # never finishes on its own
        return runs[-1]

    sweep = SweepRun(start, plan((1, 2), (), BASE)).start()
    while not runs:
        threading.Event().wait(0.01)
    sweep.cancel()
    assert sweep.join(10)
    assert len(runs) == 1 and runs[0].cancelled


def test_an_empty_plan_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        SweepRun(_Starter(), [])

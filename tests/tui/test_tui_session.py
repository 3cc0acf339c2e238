"""The main screen's state without a screen: following a sweep's points and sampling them."""

from __future__ import annotations

from tui_fakes import FakeRun

from rnbench.core.configs import get_configuration
from rnbench.core.loadgen.types import LoadSpec
from rnbench.core.run.options import TestSettings
from rnbench.tui.app import messages as m
from rnbench.tui.app.session import Session


def started(run: FakeRun, step: int, steps: int) -> m.TestStarted:
    return m.TestStarted("local-cpu", run, step, steps, "s1", run.spec)


def test_a_sweep_point_ends_before_the_next_is_followed() -> None:
    session = Session(TestSettings())
    config = get_configuration("local-cpu")
    stop = session.begin_test("local-cpu", 0.0)
    assert session.activity["local-cpu"] == "testing" and not stop.is_set()
    first = FakeRun(config, 4, None, LoadSpec(concurrency=1), "s1")
    assert session.point_started(started(first, 1, 2), 0.0) is None
    assert session.activity["local-cpu"] == "testing 1/2"
    first.cancel()  # over, but not sampled yet by the timer
    second = FakeRun(config, 4, None, LoadSpec(concurrency=2), "s1")
    ended = session.point_started(started(second, 2, 2), 0.0)
    assert ended is not None and ended.last is False
    assert session.tests["local-cpu"] is second
    assert session.activity["local-cpu"] == "testing 2/2"


def test_stop_tests_sets_the_stop_and_cancels_the_run() -> None:
    session = Session(TestSettings())
    config = get_configuration("local-cpu")
    stop = session.begin_test("local-cpu", 0.0)
    run = FakeRun(config, 4, None, LoadSpec(), "")
    session.point_started(m.TestStarted("local-cpu", run, 1, 1, "", run.spec), 0.0)
    session.stop_tests()
    assert stop.is_set() and run.cancelled and "local-cpu" not in session.stops

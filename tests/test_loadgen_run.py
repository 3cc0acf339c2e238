"""The load generator's behaviour as a run: errors, streaming, phases, cancel, crashes, stability.

Every test ends with no load process left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from fake_servers import Behaviour, FakeServer, FlakyTarget, load_processes

from rnbench.core.errors import UsageError
from rnbench.core.loadgen import LoadError, LoadRun, LoadSpec, Window, run_load
from rnbench.core.loadgen.transport import HttpTarget

BODY = b"\xff\xd8" + b"j" * 2_000


def test_errors_are_counted_by_kind_and_never_stop_the_run() -> None:
    behaviour = Behaviour(service_s=0.02, error_every=10, drop_every=7)
    with FakeServer(behaviour) as server:
        target = FlakyTarget(server.target, bug_every=13)
        run = LoadRun(target, BODY, LoadSpec(concurrency=4, duration_s=2.0, warmup_s=0.3))
        with run:
            run.start()
            summary = run.result(timeout=60)
    errors = dict(summary.errors)
    assert set(errors) == {"http_503", "connection", "client_error"}, errors
    total = summary.requests + summary.error_count
    # Every 10th request the server sees is a 503, every 7th is dropped (1/70 both: a drop).
    assert 0.05 * total <= errors["http_503"] <= 0.15 * total
    assert 0.07 * total <= errors["client_error"] <= 0.09 * total  # 1 call in 13, per worker
    assert summary.tps == pytest.approx(summary.requests / summary.duration_s)
    assert summary.duration_s == pytest.approx(2.0)
    assert len(summary.windows) == 2 and all(w.requests > 0 for w in summary.windows)
    assert sum(sum(w.errors.values()) for w in summary.windows) == summary.error_count
    assert any("ValueError: bug in the client" in note for note in run.notes)
    assert run.phase == "done"
    assert load_processes() == []


def test_windows_stream_while_running_and_cancel_leaves_no_process() -> None:
    phases: list[str] = []
    windows: list[Window] = []
    with FakeServer(Behaviour(service_s=0.02)) as server:
        spec = LoadSpec(concurrency=4, duration_s=60.0, warmup_s=0.5)
        with LoadRun(server.target, BODY, spec) as run:
            run.start()
            started = time.monotonic()
            while len(windows) < 2 and time.monotonic() - started < 30:
                phases.append(run.phase)
                windows.extend(run.poll())
                time.sleep(0.02)
            assert len(windows) == 2 and not run.done
            assert len(load_processes()) == min(os.cpu_count() or 1, 4)
            run.cancel()
            summary = run.result(timeout=30)
            windows.extend(run.poll())
            assert run.phase == "cancelled"
    seen = [p for i, p in enumerate(phases) if i == 0 or phases[i - 1] != p]
    assert seen[-2:] == ["warmup", "measuring"], seen
    assert [w.index for w in windows] == list(range(len(windows)))
    assert summary.windows == tuple(windows)
    assert 2.0 <= summary.duration_s < 10.0
    assert summary.requests == sum(w.requests for w in windows)
    assert load_processes() == []


def test_cancel_before_measuring_is_an_error_and_stops_everything() -> None:
    with FakeServer(Behaviour(service_s=0.02)) as server:
        with LoadRun(server.target, BODY, LoadSpec(concurrency=2, warmup_s=30.0)) as run:
            run.start()
            time.sleep(0.5)
            run.cancel()
            with pytest.raises(LoadError, match="before measuring"):
                run.result(timeout=30)
            assert run.phase == "cancelled"
    assert load_processes() == []


def test_a_crashed_load_process_is_a_one_line_load_error() -> None:
    with FakeServer(Behaviour(service_s=0.01)) as server:
        target = FlakyTarget(server.target, exit_after=20)
        spec = LoadSpec(concurrency=2, duration_s=30.0, warmup_s=0.2, processes=1)
        started = time.monotonic()
        with pytest.raises(LoadError, match=r"load process 0 .*status 3") as caught:
            run_load(target, BODY, spec)
    assert "\n" not in str(caught.value)
    assert time.monotonic() - started < 15
    assert load_processes() == []


def test_every_request_failing_is_a_load_error_naming_the_errors() -> None:
    with FakeServer(Behaviour(service_s=0.01, error_every=1)) as server:
        spec = LoadSpec(concurrency=2, duration_s=1.0, warmup_s=0.2)
        with pytest.raises(LoadError, match=r"no request succeeded .*http_503"):
            run_load(server.target, BODY, spec)


def test_warmup_requests_are_sent_before_measuring() -> None:
    with FakeServer(Behaviour(service_s=0.01)) as server:
        spec = LoadSpec(concurrency=2, duration_s=1.0, warmup_s=0.0, warmup_requests=60)
        summary = run_load(server.target, BODY, spec)
    assert summary.warmup_requests >= 60
    assert summary.requests > 0


def test_a_steady_run_stops_once_stable_and_an_unsteady_one_does_not() -> None:
    steady = LoadSpec(
        concurrency=4,
        duration_s=20.0,
        warmup_s=0.3,
        window_s=0.5,
        stability_pct=20.0,
        stability_window_s=0.5,
        min_duration_s=1.5,
    )
    with FakeServer(Behaviour(service_s=0.02)) as server:
        summary = run_load(server.target, BODY, steady)
    assert summary.stable is True
    assert 1.5 <= summary.duration_s < 10.0
    assert summary.duration_s == pytest.approx(len(summary.windows) * 0.5)

    # Stalls 1 s in every 2 s: throughput swings between 1 s windows, so never within 10 %.
    unsteady = LoadSpec(
        concurrency=4, duration_s=4.0, warmup_s=0.3, stability_pct=10.0, stability_window_s=1.0
    )
    stalling = Behaviour(service_s=0.02, stall_every_s=2.0, stall_s=1.0)
    with FakeServer(stalling) as server:
        summary = run_load(server.target, BODY, unsteady)
    assert summary.stable is False
    assert summary.duration_s == pytest.approx(4.0)

    with FakeServer(Behaviour(service_s=0.02)) as server:
        plain = run_load(server.target, BODY, LoadSpec(concurrency=2, duration_s=1.0, warmup_s=0))
    assert plain.stable is None


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (LoadSpec(concurrency=0), "concurrency"),
        (LoadSpec(duration_s=0), "duration"),
        (LoadSpec(rate=-1.0), "rate"),
        (LoadSpec(window_s=0), "window"),
        (LoadSpec(stability_pct=0.0), "stability"),
    ],
)
def test_impossible_specs_are_usage_errors(spec: LoadSpec, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        LoadRun(HttpTarget("127.0.0.1", 9), b"", spec)


_CALLER = """
import sys, time
from fake_servers import Behaviour, FakeServer, load_processes
from rnbench.core.loadgen import LoadSpec, run_load
with FakeServer(Behaviour(service_s=0.02)) as server:
    seen = []
    def report(window):
        if not seen:
            seen.append(window)
            print(" ".join(str(p.pid) for p in load_processes()), flush=True)
    try:
        run_load(server.target, b"x", LoadSpec(concurrency=4, duration_s=60, warmup_s=0.2), report)
    except KeyboardInterrupt:
        print("interrupted", len(load_processes()), flush=True)
"""


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGKILL"])
def test_an_interrupted_or_killed_caller_leaves_no_load_process(signal_name: str) -> None:
    """Ctrl-C: the run is cancelled and joined; a killed caller: its load processes exit."""
    caller = subprocess.Popen(
        [sys.executable, "-c", _CALLER],
        cwd=Path(__file__).parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert caller.stdout is not None
        loaders = [psutil.Process(int(pid)) for pid in caller.stdout.readline().split()]
        assert loaders, "the caller reported no load process"
        caller.send_signal(getattr(signal, signal_name))
        out, _ = caller.communicate(timeout=30)
        if signal_name == "SIGINT":
            assert out.strip() == "interrupted 0" and caller.returncode == 0
        _, alive = psutil.wait_procs(loaders, timeout=10)
        assert alive == []
    finally:
        caller.kill()
        caller.wait(10)


def test_load_processes_do_not_rerun_the_callers_main_script(tmp_path: Path) -> None:
    """A console script (the TUI) must not be re-imported, with all it imports, per process."""
    script = tmp_path / "caller.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "print('main module ran', file=sys.stderr)\n"
        "from fake_servers import Behaviour, FakeServer\n"
        "from rnbench.core.loadgen import LoadSpec, run_load\n"
        "if __name__ == '__main__':\n"
        "    with FakeServer(Behaviour(service_s=0.01)) as server:\n"
        "        spec = LoadSpec(concurrency=2, duration_s=0.5, warmup_s=0, processes=2)\n"
        "        print(run_load(server.target, b'x', spec).requests)\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True
    )
    assert int(done.stdout) > 0
    assert done.stderr.count("main module ran") == 1, done.stderr

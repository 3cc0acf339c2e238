"""The explorer's own cost (issue 19): time to its first frame, and its CPU while a test streams.

Runs the real `rnbench-tui` (local backend) in a detached tmux session of 160x45 with a private
RNBENCH_HOME, so nothing of the user's is touched:

1. first frame: seconds from starting the process to the grid's header on screen (tmux
   capture-pane polled every 20 ms), median of `--starts` starts;
2. CPU while streaming: deploys `local-cpu-compiled` (d), starts a test (t) of `--seconds`, and
   samples the TUI process's own CPU time (psutil) over the measured part; the inference server
   and load generator are other processes and are not counted. Quits with q and tears down.

Take its figures on a quiet machine. Nothing here is a test: it prints what it measured.

    .venv/bin/python tests/benchmarks/bench_tui.py [--starts 3] [--seconds 20 (0: no streaming)]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

SESSION = "rnbench-bench-tui"


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def _screen() -> str:
    return _tmux("capture-pane", "-p", "-t", SESSION)


def _start(home: Path, settings: Path) -> float:
    """Start the TUI; returns the time it was started at (time.monotonic)."""
    _tmux("kill-session", "-t", SESSION)
    tui = Path(sys.executable).with_name("rnbench-tui")
    env = f"RNBENCH_HOME={home}"
    started = time.monotonic()
    _tmux("new-session", "-d", "-s", SESSION, "-x", "160", "-y", "45", f"env {env} {tui}")
    return started


def _wait_for(text: str, timeout_s: float, poll_s: float = 0.02) -> float:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if text in _screen():
            return time.monotonic()
        time.sleep(poll_s)
    raise SystemExit(f"{text!r} did not appear within {timeout_s:g} s:\n{_screen()}")


def _tui_process() -> psutil.Process:
    pane_pid = int(_tmux("list-panes", "-t", SESSION, "-F", "#{pane_pid}").split()[0])
    for process in [psutil.Process(pane_pid), *psutil.Process(pane_pid).children(recursive=True)]:
        if "rnbench-tui" in " ".join(process.cmdline()):
            return process
    raise SystemExit("the rnbench-tui process was not found")


def _keys(*keys: str) -> None:
    for key in keys:
        _tmux("send-keys", "-t", SESSION, key)
        time.sleep(0.3)


def first_frame(starts: int, home: Path, settings: Path) -> list[float]:
    seconds = []
    for _ in range(starts):
        started = _start(home, settings)
        seconds.append(_wait_for("configuration", 30.0) - started)
        _wait_for("engine ready", 60.0)
        _keys("Escape", "q")
        time.sleep(1.5)
        _tmux("kill-session", "-t", SESSION)
    return seconds


def streaming_cpu(seconds: float, home: Path, settings: Path) -> tuple[float, float]:
    """(percent of one core over the measured part, seconds sampled)."""
    _start(home, settings)
    _wait_for("engine ready", 60.0)
    _keys("Escape")  # the start-up leftovers prompt, if any
    for _ in range(30):  # down the grid until the details line is local-cpu-compiled's
        if "local CPU compiled · this machine" in _screen():
            break
        _keys("Down")
    _keys("d")
    _wait_for("in service (pid", 300.0)
    _keys("t")
    _wait_for("measuring", 60.0)
    process = _tui_process()
    time.sleep(1.0)
    before, t0 = process.cpu_times(), time.monotonic()
    time.sleep(seconds)
    after, t1 = process.cpu_times(), time.monotonic()
    used = (after.user - before.user) + (after.system - before.system)
    _keys("q")
    time.sleep(1.0)
    _keys("t")  # the quit dialog: tear down and quit
    time.sleep(10.0)
    _tmux("kill-session", "-t", SESSION)
    return 100.0 * used / (t1 - t0), t1 - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="streaming test length (0: first frame only)"
    )
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        raise SystemExit("bench_tui needs tmux (apt-get install tmux)")
    home = Path(tempfile.mkdtemp(prefix="rnbench-bench-tui-"))
    os.environ["RNBENCH_HOME"] = str(home)
    from rnbench.tui.app.settings import default_path

    settings = default_path()
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(
        '{"concurrency": [16], "duration_s": %g, "warmup_s": 2}' % (args.seconds + 10)
    )
    frames = first_frame(args.starts, home, settings)
    print(f"first frame: median {statistics.median(frames):.2f} s of {len(frames)} starts "
          f"({', '.join(f'{s:.2f}' for s in frames)})")  # fmt: skip
    if args.seconds > 0:
        cpu, sampled = streaming_cpu(args.seconds, home, settings)
        print(f"TUI CPU while a test streams: {cpu:.1f} % of one core over {sampled:.1f} s")
    print(f"cpu: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

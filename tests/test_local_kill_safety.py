"""A CLI killed mid-command never leaves a local server that rnbench cannot find.

Each trial spawns the real `rnbench deploy local-cpu` or `rnbench run local-cpu` with its own
RNBENCH_HOME, kills it (SIGKILL) or terminates it (SIGTERM) while the model loads or while the
test measures, then runs `rnbench teardown --all --yes` and counts the inference server processes
of that home that are still alive: there must be none. SIGTERM must be handled like Ctrl-C: the
command cleans up what it started itself (exit 130, no traceback). After a SIGKILL the server
must be listed by `rnbench leftovers`, and a redeploy must not start a second one.

The default suite runs one trial of each kind; `-m slow` runs three of each (twelve in all).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from rnbench.core.backends.local import processes
from rnbench.core.backends.local.processes import SERVER_MODULE
from rnbench.core.signals import interrupt_on_termination
from rnbench.inference import orphan_watch

RNBENCH = str(Path(sys.executable).parent / "rnbench")
CONFIG = "local-cpu"
PHASE_TIMEOUT_S = 240.0


@dataclass(frozen=True)
class Trial:
    """What one kill trial saw."""

    exit_code: int
    """The killed CLI's exit status (negative: killed by that signal)."""
    stderr: str
    servers_after_exit: int
    """Server processes of the trial's home alive once the CLI has exited."""
    listed: bool
    """`rnbench leftovers` listed the configuration after the CLI exited."""
    servers_after_redeploy: int | None
    """Server processes after a second `rnbench deploy` (when the trial redeploys)."""
    servers_after_teardown: int
    """Server processes still alive after `rnbench teardown --all --yes` (must be 0)."""


def server_processes(home: Path) -> list[psutil.Process]:
    """Live inference servers whose command line names a file under `home`."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        cmdline = process.info["cmdline"] or []
        if process.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if SERVER_MODULE in cmdline and any(str(home) in arg for arg in cmdline):
            found.append(process)
    return found


def settled_count(home: Path, wait_s: float = 10.0) -> int:
    """How many servers of `home` are alive, allowing exiting ones `wait_s` to go."""
    deadline = time.monotonic() + wait_s
    while True:
        count = len(server_processes(home))
        if count == 0 or time.monotonic() > deadline:
            return count
        time.sleep(0.2)


def rnbench(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [RNBENCH, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _wait_for(cli: subprocess.Popen[bytes], what: str, ready: Callable[[], object]) -> None:
    deadline = time.monotonic() + PHASE_TIMEOUT_S
    while time.monotonic() < deadline:
        if ready():
            return
        if cli.poll() is not None:
            raise AssertionError(f"the CLI exited ({cli.returncode}) before {what}")
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def kill_trial(
    home: Path, command: str, signum: signal.Signals, phase: str, redeploy: bool = False
) -> Trial:
    """Run one trial; always leaves no server of `home` behind (killed at the end if need be)."""
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RNBENCH_HOME": str(home)}
    env.pop("RNBENCH_WEIGHTS", None)
    args = [RNBENCH, command, CONFIG]
    if command == "run":
        args += ["--concurrency", "1", "--duration", "120", "--warmup", "1"]
    stderr_path = home / "cli.stderr"
    try:
        with open(stderr_path, "wb") as stderr:
            cli = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        if phase == "load":  # the server exists and is loading ResNet-50 (that takes seconds)
            _wait_for(cli, "the server to start", lambda: server_processes(home))
            time.sleep(1.0)
        else:  # measuring: past the 1 s warm-up
            _wait_for(cli, "the measurement", lambda: b"testing with" in stderr_path.read_bytes())
            time.sleep(2.5)
        assert cli.poll() is None, "the CLI ended before it could be killed"
        cli.send_signal(signum)
        exit_code = cli.wait(timeout=120)
        after_exit = settled_count(home, wait_s=2.0)
        listed = CONFIG in rnbench(env, "leftovers").stdout
        after_redeploy = None
        if redeploy:
            again = rnbench(env, "deploy", CONFIG)
            assert again.returncode == 0, again.stderr
            after_redeploy = len(server_processes(home))
        gone = rnbench(env, "teardown", "--all", "--yes")
        assert gone.returncode == 0, gone.stderr
        return Trial(
            exit_code,
            stderr_path.read_text(errors="replace"),
            after_exit,
            listed,
            after_redeploy,
            settled_count(home),
        )
    finally:
        for process in server_processes(home):  # never leave a trial's server behind
            process.kill()


def check(trial: Trial, signum: signal.Signals) -> None:
    assert "Traceback" not in trial.stderr, trial.stderr
    if signum == signal.SIGTERM:  # handled like Ctrl-C: the command cleans up after itself
        assert trial.exit_code == 130, trial
        assert trial.servers_after_exit == 0, trial
        assert "interrupted" in trial.stderr.splitlines()[-1]
    elif trial.servers_after_exit:  # killed outright: what it left is found
        assert trial.listed, trial
    if trial.servers_after_redeploy is not None:
        assert trial.servers_after_redeploy == 1, trial
    assert trial.servers_after_teardown == 0, trial


KINDS = [
    ("deploy", signal.SIGKILL, "load"),
    ("deploy", signal.SIGTERM, "load"),
    ("run", signal.SIGKILL, "measure"),
    ("run", signal.SIGTERM, "measure"),
]


@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    ("command", "signum", "phase"), KINDS, ids=[f"{c}-{s.name}-{p}" for c, s, p in KINDS]
)
def test_one_kill_trial_leaves_nothing_after_teardown(
    tmp_path: Path, command: str, signum: signal.Signals, phase: str
) -> None:
    redeploy = command == "deploy" and signum == signal.SIGKILL
    check(kill_trial(tmp_path / "home", command, signum, phase, redeploy), signum)


SLOW_TRIALS = [
    (command, signum, phase, number)
    for command in ("deploy", "run")
    for signum in (signal.SIGKILL, signal.SIGTERM)
    for number, phase in enumerate(
        ("load", "load", "load") if command == "deploy" else ("load", "measure", "measure"), 1
    )
]


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    ("command", "signum", "phase", "number"),
    SLOW_TRIALS,
    ids=[f"{c}-{s.name}-{p}-{n}" for c, s, p, n in SLOW_TRIALS],
)
def test_kill_trials(
    tmp_path: Path, command: str, signum: signal.Signals, phase: str, number: int
) -> None:
    trial = kill_trial(tmp_path / "home", command, signum, phase)
    print(
        f"\nTRIAL {command} {signum.name} during {phase} #{number}: exit {trial.exit_code}, "
        f"servers after exit {trial.servers_after_exit}, listed by leftovers {trial.listed}, "
        f"servers after teardown --all {trial.servers_after_teardown}"
    )
    check(trial, signum)


def test_termination_signals_interrupt_once_and_are_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        with interrupt_on_termination():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # interrupted at once
    assert signal.getsignal(signal.SIGTERM) is before
    with interrupt_on_termination():
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGHUP)
            time.sleep(5)
        os.kill(os.getpid(), signal.SIGTERM)  # the clean-up after the first is not cut short
        time.sleep(0.2)


@pytest.mark.parametrize("change", ["removed", "replaced"])
def test_a_server_whose_record_is_gone_stops_itself(tmp_path: Path, change: str) -> None:
    record = tmp_path / "local-cpu.json"
    command = [sys.executable, "-m", SERVER_MODULE, "--port", "0", "--record", str(record)]
    command += ["--ready-file", str(tmp_path / "ready.json")]
    env = {**os.environ, "RNBENCH_HOME": str(tmp_path)}
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        record.write_text(json.dumps({"pid": server.pid}))
        time.sleep(3 * orphan_watch.CHECK_EVERY_S)
        assert server.poll() is None  # its record names it: it keeps loading
        if change == "removed":
            record.unlink()
        else:
            record.write_text(json.dumps({"pid": server.pid + 1}))
        # within a check once the watch has seen its record; a server still importing when the
        # record went never saw it, and gives up after the grace its deployer is allowed
        server.wait(timeout=orphan_watch.FIRST_RECORD_GRACE_S + 30)
    finally:
        server.kill()
        server.wait()
        if server.stderr is not None:
            server.stderr.close()


def test_listing_records_leaves_ready_files_alone() -> None:
    ready = processes.records_dir() / "local-cpu-0123456789ab.ready.json"
    ready.write_text(json.dumps({"host": "127.0.0.1", "port": 1, "pid": 1}))
    assert processes.all_records() == []
    assert ready.exists()  # a starting record is completed from it later


@pytest.mark.timeout(600)
def test_a_server_that_became_ready_after_its_deployer_was_killed_is_in_service(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "RNBENCH_HOME": str(home)}
    env.pop("RNBENCH_WEIGHTS", None)
    cli = subprocess.Popen([RNBENCH, "deploy", CONFIG], env=env, stderr=subprocess.DEVNULL)
    try:
        _wait_for(cli, "the server to start", lambda: server_processes(home))
        cli.kill()
        cli.wait()
        ready_files = home / "state" / "local"
        deadline = time.monotonic() + PHASE_TIMEOUT_S
        while not list(ready_files.glob("*.ready.json")):
            assert time.monotonic() < deadline and server_processes(home)
            time.sleep(0.2)
        listed = rnbench(env, "leftovers").stdout
        assert f"{CONFIG}  pid " in listed and "127.0.0.1:" in listed, listed
        again = rnbench(env, "deploy", CONFIG)
        assert again.returncode == 0, again.stderr
        assert "already in service" in again.stderr
        assert len(server_processes(home)) == 1
        assert rnbench(env, "teardown", "--all", "--yes").returncode == 0
        assert settled_count(home) == 0
    finally:
        for process in server_processes(home):
            process.kill()


@pytest.mark.timeout(600)
def test_a_starting_server_is_deploying_and_can_be_torn_down_by_name(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "RNBENCH_HOME": str(home)}
    cli = subprocess.Popen([RNBENCH, "deploy", CONFIG], env=env, stderr=subprocess.DEVNULL)
    try:
        _wait_for(cli, "the server to start", lambda: server_processes(home))
        cli.kill()
        cli.wait()
        configs = rnbench(env, "configs").stdout
        tested = rnbench(env, "test", CONFIG, "--duration", "1")
        if not list((home / "state" / "local").glob("*.ready.json")):  # still loading
            assert "deploying: server pid" in configs, configs
            assert tested.returncode == 1 and "not in service (deploying" in tested.stderr
        gone = rnbench(env, "teardown", CONFIG, "--yes")
        assert gone.returncode == 0 and f"{CONFIG} torn down" in gone.stdout, gone
        assert settled_count(home) == 0
    finally:
        for process in server_processes(home):
            process.kill()

"""Stopping a server: an exited process counts as gone at once, even before it is reaped.

A server outlives the CLI that started it, so whoever stops it later is not its parent: it stays
a zombie until init reaps it, and waiting for it to vanish cost a second or more per teardown.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import psutil

from rnbench.core.backends.local.processes import _exited

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
STUBBORN = [
    sys.executable,
    "-c",
    "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
    " print('ready', flush=True); time.sleep(60)",
]


def test_a_process_that_exited_but_is_not_reaped_has_exited() -> None:
    child = subprocess.Popen(SLEEPER)
    try:
        process = psutil.Process(child.pid)
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert _exited(process, timeout_s=10.0)
        assert time.monotonic() - started < 5.0
        assert process.status() == psutil.STATUS_ZOMBIE  # not reaped: still counted as exited
    finally:
        child.kill()
        child.wait()


def test_a_process_that_ignores_sigterm_has_not_exited() -> None:
    child = subprocess.Popen(STUBBORN, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        process = psutil.Process(child.pid)
        process.send_signal(signal.SIGTERM)
        assert not _exited(process, timeout_s=0.5)
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()

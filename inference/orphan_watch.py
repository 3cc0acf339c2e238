"""Run inside a local server: end it once rnbench's record of it is gone.

A leaf like the rest of `inference`: it reads the record as plain JSON (only its `pid`).

rnbench finds its servers only through their records (`processes`). A server whose record was
never written (its deployer was killed between starting it and writing the record), was removed,
or now names another process (a newer deploy of the same configuration) can never be found or
stopped by rnbench again, so it stops itself rather than hold its memory forever.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from pathlib import Path

log = logging.getLogger("rnbench.server")

CHECK_EVERY_S = 1.0
FIRST_RECORD_GRACE_S = 30.0
"""How long a new server waits for its deployer to write the record before giving up on it."""
KILL_AFTER_S = 15.0
"""How long a graceful shutdown may take before the server kills itself."""


def names_this_process(record: Path) -> bool | None:
    """True if the record names this process, False if it is gone or names another one,
    None when it cannot be read right now (it is replaced atomically, so rarely)."""
    try:
        data = json.loads(record.read_text())
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return None
    return isinstance(data, dict) and data.get("pid") == os.getpid()


def watch(record: Path) -> threading.Thread:
    """Start a daemon thread that SIGTERMs this process once `record` no longer names it
    (SIGKILL if it is still running `KILL_AFTER_S` later)."""

    def loop() -> None:
        started = time.monotonic()
        seen = False
        while True:
            time.sleep(CHECK_EVERY_S)
            named = names_this_process(record)
            seen = seen or named is True
            if named is False and (seen or time.monotonic() - started > FIRST_RECORD_GRACE_S):
                break
        log.warning("rnbench's record of this server (%s) is gone: shutting down", record)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(KILL_AFTER_S)
        os.kill(os.getpid(), signal.SIGKILL)

    thread = threading.Thread(target=loop, name="rnbench-orphan-watch", daemon=True)
    thread.start()
    return thread

"""Records of local server processes, kept on disk so they outlive the process that started them.

A crashed CLI or TUI leaves its servers running; the next one finds them here, checks they are
still rnbench's (the command line must name the inference server and this record's ready file,
so a recycled pid is never signalled), and can stop them. A record is written as soon as the
server process exists (state `starting`, while it loads the model) and completed once it is
ready, so a deployer killed at any moment leaves a server that can still be found; the server
itself watches its record (`rnbench.inference.orphan_watch`) and stops once it is gone.
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from rnbench.core.paths import state_dir

SERVER_MODULE = "rnbench.inference.server"
STARTING = "starting"
READY = "ready"


@dataclass(frozen=True)
class ServerRecord:
    """A local inference server rnbench started."""

    config_key: str
    pid: int
    host: str
    port: int
    ready_file: str
    """The file the server wrote when it was ready; also its ownership mark on its command line."""
    log_file: str
    created_at: float
    info: dict[str, str]
    """What the server reported when ready: runtime, device, weights, torch_version, ..."""
    state: str = READY
    """`starting` from the moment the process exists (port still 0), `ready` once it serves."""


def records_dir() -> Path:
    path = state_dir() / "local"
    path.mkdir(parents=True, exist_ok=True)
    return path


def record_path(config_key: str) -> Path:
    return records_dir() / f"{config_key}.json"


def save(record: ServerRecord) -> None:
    path = record_path(record.config_key)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(record), indent=2))
    os.replace(tmp, path)


def load(config_key: str) -> ServerRecord | None:
    """The record for `config_key`, or None when there is none or it is unreadable."""
    path = record_path(config_key)
    try:
        data = json.loads(path.read_text())
        return ServerRecord(**data)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):
        path.unlink(missing_ok=True)
        return None


def forget(config_key: str) -> None:
    record_path(config_key).unlink(missing_ok=True)


def all_records() -> list[ServerRecord]:
    found = []
    for path in sorted(records_dir().glob("*.json")):
        if "." in path.stem:  # a server's `<key>-<token>.ready.json`, not a record
            continue
        record = load(path.stem)
        if record is not None:
            found.append(record)
    return found


def owned_process(pid: int, ready_file: str) -> psutil.Process | None:
    """The process `pid` if it is still the rnbench server that owns `ready_file`."""
    try:
        process = psutil.Process(pid)
        cmdline = process.cmdline()
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    if SERVER_MODULE in cmdline and ready_file in cmdline:
        return process
    return None


def is_alive(record: ServerRecord) -> bool:
    return owned_process(record.pid, record.ready_file) is not None


def stop(record: ServerRecord, grace_s: float = 10.0) -> bool:
    """Stop the server (SIGTERM, then SIGKILL after `grace_s`); True if it was running."""
    process = owned_process(record.pid, record.ready_file)
    if process is None:
        return False
    try:
        process.send_signal(signal.SIGTERM)
        if not _exited(process, grace_s):
            process.kill()
            _exited(process, 5.0)
    except psutil.NoSuchProcess:
        pass
    return True


def _exited(process: psutil.Process, timeout_s: float) -> bool:
    """Wait until `process` has exited; True if it did within `timeout_s`.

    A server outlives the CLI that started it, so it is not our child: once it exits it stays a
    zombie until init reaps it, which psutil's wait() waits for (a second or more here). A
    zombie has exited, and counts as such.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)

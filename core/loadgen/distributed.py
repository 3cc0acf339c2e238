"""Load from several processes or machines through Locust's master/worker runners.

`LocustLoadRun` has `LoadRun`'s interface (start, phase, poll, result, cancel), so a test run
uses either. It starts a Locust master (`locust_master`) and `spec.workers` local Locust workers
(`locust_worker`) as separate processes: locust monkey-patches the standard library for gevent
on import, so it is never imported here. Workers on other machines join with
`rnbench worker --master HOST[:PORT]` when `spec.remote_workers` asks the master to wait for them.
Results are rnbench's own: every worker records exact HDR histograms per window and the master
merges them like local load processes' parts; Locust's rounded percentiles are not used.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from rnbench.core.errors import UsageError
from rnbench.core.loadgen.capacity import saturation_note
from rnbench.core.loadgen.plan import check_spec
from rnbench.core.loadgen.transport import Target
from rnbench.core.loadgen.types import LoadError, LoadSpec, LoadSummary, Window

DEFAULT_MASTER_PORT = 5557
"""Locust's own default master port."""
_JOIN_S = 10.0
_WORKER_QUIT_S = 5.0
"""How long a local worker may take to quit once its master has exited."""


@dataclass(frozen=True)
class DistributedJob:
    """What the master process needs; pickled to a file it reads."""

    target: Target
    body: bytes
    spec: LoadSpec
    workers: int
    """Workers to wait for (local and remote)."""
    bind_host: str
    """Where the master listens: 127.0.0.1 for local workers only, "*" for remote ones."""
    port: int
    """Master port; 0 picks a free one (local workers only)."""


def worker_command(master_host: str, master_port: int) -> list[str]:
    """The command line of one Locust worker process."""
    module = "rnbench.core.loadgen.locust_worker"
    return [sys.executable, "-m", module, master_host, str(master_port)]


def _free_port() -> int:
    """A port free on 127.0.0.1 now (the master binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


_MASTER_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)$")
"""A host name, an IPv4 address or a bracketed IPv6 address: what a worker can connect to."""


def parse_master(text: str) -> tuple[str, int]:
    """HOST or HOST:PORT (HOST a name, an IPv4 address or a bracketed IPv6 one). Raises
    UsageError with one line for anything else."""
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    if not _MASTER_HOST.match(host):
        raise UsageError(f"not a master address (HOST or HOST:PORT): {text!r}")
    if not port:
        return host, DEFAULT_MASTER_PORT
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"not a port number: {port!r} in {text!r}")
    return host, int(port)


def check_distributed(spec: LoadSpec) -> None:
    """Raises UsageError for a spec Locust workers cannot run: an open loop, no worker, fewer
    clients than workers. Front ends call it before anything is deployed."""
    if spec.rate is not None:
        raise UsageError("Locust workers run closed loop only (drop --rate or --workers)")
    workers = spec.workers + spec.remote_workers
    if workers < 1:
        raise UsageError("a Locust run needs at least one worker")
    if spec.concurrency < workers:
        raise UsageError(f"concurrency {spec.concurrency} is less than {workers} workers")


class LocustLoadRun:
    """One load test run by a Locust master and its workers; see `LoadRun` for the interface.

    Raises UsageError at construction for an impossible spec (open loop is not supported here).
    """

    def __init__(self, target: Target, body: bytes, spec: LoadSpec) -> None:
        check_spec(spec)
        check_distributed(spec)
        workers = spec.workers + spec.remote_workers
        remote = spec.remote_workers > 0
        self._job = DistributedJob(
            target,
            body,
            spec,
            workers,
            "*" if remote else "127.0.0.1",
            spec.master_port if remote else 0,
        )
        self._spec = spec
        self._master: subprocess.Popen[bytes] | None = None
        self._workers: list[subprocess.Popen[bytes]] = []
        self._log: IO[bytes] | None = None
        self._lock = threading.Lock()
        self._fresh: list[Window] = []
        self._state = "starting"
        self._summary: LoadSummary | None = None
        self._error: str | None = None
        self._cancelled = False
        self._finished = threading.Event()
        self._reader: threading.Thread | None = None
        self.measured_by_worker: dict[int, int] = {}
        """Measured successful requests each worker counted itself (filled at the end)."""
        self.notes: list[str] = []

    @property
    def processes(self) -> int:
        return self._job.workers

    def start(self) -> None:
        if self._reader is not None:
            raise LoadError("this load run was already started")
        handle, path = tempfile.mkstemp(prefix="rnbench-locust-", suffix=".job")
        self._log = tempfile.TemporaryFile(prefix="rnbench-locust-log-")
        if self._job.port == 0:  # local workers only: start them while the master starts too
            self._job = replace(self._job, port=_free_port())
            self._start_local_workers(self._job.port)
        with os.fdopen(handle, "wb") as file:
            pickle.dump(self._job, file)
        module = "rnbench.core.loadgen.locust_master"
        self._master = subprocess.Popen(
            [sys.executable, "-m", module, path],
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
        )
        self._reader = threading.Thread(
            target=self._read, args=(Path(path),), name="rnbench-locust", daemon=True
        )
        self._reader.start()

    @property
    def phase(self) -> str:
        if self._state == "running":
            return "measuring" if self._fresh or self._any_window else "warmup"
        return self._state

    _any_window = False

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    def poll(self) -> list[Window]:
        with self._lock:
            fresh, self._fresh = self._fresh, []
        return fresh

    def result(self, timeout: float | None = None) -> LoadSummary:
        if self._reader is None:
            raise LoadError("this load run was never started")
        if not self._finished.wait(timeout):
            raise LoadError(f"the load run did not finish within {timeout} s")
        if self._summary is None:
            raise LoadError(self._error or "the Locust run failed")
        return self._summary

    def cancel(self) -> None:
        self._cancelled = True
        if self._master is not None and self._master.poll() is None:
            self._master.send_signal(signal.SIGTERM)

    def __enter__(self) -> LocustLoadRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._reader is not None and not self._finished.is_set():
            self.cancel()
            self._finished.wait(_JOIN_S * 2)
        self._reap()

    def _read(self, job_path: Path) -> None:
        try:
            self._read_messages()
        except Exception as exc:  # noqa: BLE001 - a bug here must still end the run
            self._error = f"Locust supervisor failed: {type(exc).__name__}: {exc}"
        finally:
            job_path.unlink(missing_ok=True)
            self._reap()
            if self._summary is None:
                last = self._last_log_line()
                if self._error is None:
                    self._error = (
                        f"the Locust master failed: {last}" if last else "the Locust master exited"
                    )
                elif last:
                    self._error += f" (last Locust log line: {last})"
                self._state = "cancelled" if self._cancelled else "failed"
            else:
                self._state = "cancelled" if self._cancelled else "done"
            self._close_files()
            self._finished.set()

    def _read_messages(self) -> None:
        assert self._master is not None and self._master.stdout is not None
        stream = self._master.stdout
        handlers: dict[str, Callable[..., None]] = {
            "listening": self._on_listening,
            "started": self._on_started,
            "window": self._on_window,
            "summary": self._on_summary,
            "error": self._on_error,
            "note": self.notes.append,
        }
        while True:
            try:
                message: tuple[Any, ...] = pickle.load(stream)
            except EOFError:
                return
            handlers[message[0]](*message[1:])

    def _on_listening(self, port: int) -> None:
        if self._spec.remote_workers:
            self._start_local_workers(port)
            logging.getLogger(__name__).warning(
                "Locust master waiting for %d remote worker(s) on port %d",
                self._spec.remote_workers,
                port,
            )

    def _start_local_workers(self, port: int) -> None:
        for _ in range(self._spec.workers):
            self._workers.append(
                subprocess.Popen(
                    worker_command("127.0.0.1", port),
                    stdout=subprocess.DEVNULL,
                    stderr=self._log,
                    stdin=subprocess.DEVNULL,
                )
            )

    def _on_started(self) -> None:
        self._state = "running"

    def _on_window(self, window: Window) -> None:
        self._any_window = True
        with self._lock:
            self._fresh.append(window)

    def _on_summary(self, summary: LoadSummary, measured: dict[int, int]) -> None:
        self.measured_by_worker = measured
        note = saturation_note(summary)
        if note:
            self.notes.append(note)
        self._summary = summary

    def _on_error(self, text: str) -> None:
        self._error = text

    def _last_log_line(self) -> str:
        """The last line the master and local workers wrote to stderr ("" if none)."""
        if self._log is None:
            return ""
        self._log.seek(0)
        lines = [line for line in self._log.read().decode("utf-8", "replace").splitlines() if line]
        return lines[-1].strip() if lines else ""

    def _close_files(self) -> None:
        if self._master is not None and self._master.stdout is not None:
            self._master.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def _reap(self) -> None:
        """Wait for the master, then the workers (which quit when it tells them or when it is
        gone); kill what does not exit in time."""
        waits = [(self._master, _JOIN_S)] + [(worker, _WORKER_QUIT_S) for worker in self._workers]
        for proc, wait_s in waits:
            if proc is None:
                continue
            try:
                proc.wait(wait_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(_JOIN_S)

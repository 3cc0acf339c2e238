"""The local backend: each configuration is an inference server process on 127.0.0.1.

Deploying starts `python -m rnbench.inference.server` in its own session (it outlives the caller,
and is found again through its record), waits for its ready file and `/ping`. The server loads
ResNet-50 and, for the compiled runtime, builds or reuses the ONNX export in the user cache.

The record is written the moment the process exists (state `starting`), before the model loads:
a deployer killed while waiting leaves a server that `owned()` and `teardown` still find, and a
later deploy waits for that server instead of starting a second one. A deployer that is
interrupted (Ctrl-C, or SIGTERM turned into KeyboardInterrupt) stops the server it started.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rnbench.core.backend import (
    Deployment,
    Progress,
    ServerLatency,
    State,
    Status,
    no_progress,
)
from rnbench.core.configs import Configuration
from rnbench.core.errors import BackendUnavailable, DeployError, NotDeployedError
from rnbench.core.local import processes
from rnbench.core.local.processes import READY, STARTING, ServerRecord
from rnbench.core.paths import cache_dir
from rnbench.core.targets import HttpTarget, Reply
from rnbench.inference.cache import CACHE_DIR_ENV
from rnbench.inference.contract import PING_PATH

HOST = "127.0.0.1"

_STARTED: dict[int, subprocess.Popen[bytes]] = {}
"""Servers this process started, by pid: kept so that a running child is not garbage-collected
(Python warns about that) and so that teardown reaps it instead of leaving a zombie."""


class LocalBackend:
    """Serves configurations whose backend is `local` from server processes on this machine."""

    name = "local"
    region = ""

    def __init__(
        self,
        cuda: bool = False,
        weights: Path | None = None,
        start_timeout_s: float = 600.0,
    ) -> None:
        self._cuda = cuda
        self._weights = weights
        self._start_timeout_s = start_timeout_s

    def unavailable_reason(self, config: Configuration) -> str | None:
        if config.backend != "local":
            return f"{config.key} is not a local configuration"
        if config.device == "cuda" and not self._cuda:
            return "needs CUDA, and this machine has no CUDA device"
        return None

    def _check(self, config: Configuration) -> None:
        reason = self.unavailable_reason(config)
        if reason is not None:
            raise BackendUnavailable(f"{config.key}: {reason}")

    def compile(self, config: Configuration, progress: Progress = no_progress) -> None:
        """Build the ONNX export the compiled runtime serves (cached; quick when present)."""
        self._check(config)
        if not config.compiled:
            progress(f"{config.key} runs eager PyTorch: nothing to compile")
            return
        progress(f"{config.key}: exporting ResNet-50 to ONNX (cached after the first time)")
        command = [sys.executable, "-m", "rnbench.inference.compile", "--device", config.device]
        if self._weights is not None:
            command += ["--weights", str(self._weights)]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=900, env=_server_env()
        )
        if result.returncode != 0:
            raise DeployError(f"{config.key}: compile failed: {_last_line(result.stderr)}")
        progress(f"{config.key}: {_last_line(result.stdout) or 'compiled'}")

    def deploy(self, config: Configuration, progress: Progress = no_progress) -> Deployment:
        self._check(config)
        existing = self.describe(config)
        if existing.state is State.IN_SERVICE and existing.deployment is not None:
            progress(f"{config.key} is already in service")
            return existing.deployment
        starting = processes.load(config.key)
        if starting is not None and starting.state == STARTING:  # alive: describe checked
            progress(f"{config.key}: server pid {starting.pid} is already starting; waiting for it")
            ready = self._wait_until_ready(
                config, starting, lambda: processes.is_alive(starting), progress
            )
            return self._in_service(config, ready, progress)
        token = uuid.uuid4().hex[:12]
        run_dir = processes.records_dir()
        ready_file = run_dir / f"{config.key}-{token}.ready.json"
        log_file = run_dir / f"{config.key}-{token}.log"
        command = [
            sys.executable,
            "-m",
            processes.SERVER_MODULE,
            "--runtime",
            config.runtime,
            "--device",
            config.device,
            "--host",
            HOST,
            "--port",
            "0",
            "--ready-file",
            str(ready_file),
            "--record",
            str(processes.record_path(config.key)),
        ]
        if self._weights is not None:
            command += ["--weights", str(self._weights)]
        progress(f"{config.key}: starting the inference server ({config.runtime}, {config.device})")
        with open(log_file, "wb") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=_server_env(),
            )
        record = ServerRecord(
            config_key=config.key,
            pid=process.pid,
            host=HOST,
            port=0,
            ready_file=str(ready_file),
            log_file=str(log_file),
            created_at=time.time(),
            info={},
            state=STARTING,
        )
        try:
            processes.save(record)  # before the model loads: findable whatever happens next
            record = self._wait_until_ready(
                config, record, lambda: process.poll() is None, progress
            )
        except BaseException:  # a failed start or an interrupted caller leaves no server behind
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
            _forget_if_names(record)
            ready_file.unlink(missing_ok=True)
            raise
        _STARTED[process.pid] = process
        return self._in_service(config, record, progress)

    def _in_service(
        self, config: Configuration, record: ServerRecord, progress: Progress
    ) -> Deployment:
        """Check a ready server answers /ping; stop it and raise DeployError if it does not."""
        if not _ping(record.host, record.port):
            processes.stop(record)
            started_here = _STARTED.pop(record.pid, None)
            if started_here is not None:
                started_here.wait(timeout=10)
            _forget_if_names(record)
            raise DeployError(f"{config.key}: the server started but does not answer {PING_PATH}")
        progress(
            f"{config.key} is in service on {record.host}:{record.port} "
            f"(weights: {record.info.get('weights', '?')})"
        )
        return _deployment(record)

    def _wait_until_ready(
        self,
        config: Configuration,
        record: ServerRecord,
        running: Callable[[], bool],
        progress: Progress,
    ) -> ServerRecord:
        """Wait for the server's ready file, reporting progress every 2 s; returns its record,
        completed from the ready file and saved.

        Raises:
            DeployError: the server exited, or did not start in time.
        """
        ready_file = Path(record.ready_file)
        started = last_report = time.monotonic()
        while not ready_file.exists():
            if not running():
                log = Path(record.log_file)
                text = log.read_text(errors="replace") if log.exists() else ""
                _forget_if_names(record)
                reason = _last_line(text) or "no output"
                raise DeployError(f"{config.key}: the server exited while starting: {reason}")
            now = time.monotonic()
            if now - started > self._start_timeout_s:
                raise DeployError(
                    f"{config.key}: the server did not start within "
                    f"{self._start_timeout_s:.0f} s (log: {record.log_file})"
                )
            if now - last_report >= 2.0:
                last_report = now
                progress(f"{config.key}: loading the model ({now - started:.0f} s)")
            time.sleep(0.1)
        ready = _completed(record)
        if ready is None:
            raise DeployError(f"{config.key}: unreadable ready file {record.ready_file}")
        processes.save(ready)
        return ready

    def describe(self, config: Configuration) -> Status:
        reason = self.unavailable_reason(config)
        if reason is not None:
            return Status(config.key, State.UNAVAILABLE, reason)
        record = processes.load(config.key)
        if record is None:
            return Status(config.key, State.NOT_DEPLOYED)
        if not processes.is_alive(record):
            _forget_if_names(record)
            return Status(config.key, State.NOT_DEPLOYED, "the server process had exited")
        record = _promoted(record)
        if record.state == STARTING:  # a deployment, as a SageMaker endpoint being created is
            reason = f"server pid {record.pid} is loading the model"
            return Status(config.key, State.DEPLOYING, reason, deployment=_deployment(record))
        return Status(config.key, State.IN_SERVICE, deployment=_deployment(record))

    def invoke(self, config: Configuration, body: bytes) -> Reply:
        status = self.describe(config)
        if status.state is not State.IN_SERVICE or status.deployment is None:
            raise NotDeployedError(f"{config.key} is not in service ({status.state.value})")
        invoker = status.deployment.target.open(timeout_s=60.0)
        try:
            return invoker.invoke(body)
        finally:
            invoker.close()

    def teardown(self, config: Configuration, progress: Progress = no_progress) -> bool:
        record = processes.load(config.key)
        if record is None:
            return False
        progress(f"{config.key}: stopping server pid {record.pid}")
        stopped = processes.stop(record)
        started_here = _STARTED.pop(record.pid, None)
        if started_here is not None:
            started_here.wait(timeout=10)
        _forget_if_names(record)
        Path(record.ready_file).unlink(missing_ok=True)
        if stopped:
            progress(f"{config.key} torn down")
        return stopped

    def owned(self) -> list[Deployment]:
        alive = []
        for record in processes.all_records():
            if processes.is_alive(record):
                alive.append(_deployment(_promoted(record)))
            else:
                _forget_if_names(record)
        return alive

    def server_latency(
        self, deployment: Deployment, start: float, end: float
    ) -> ServerLatency | None:
        """None: the local server reports its time in each reply, which the load run records."""
        return None


def _server_env() -> dict[str, str]:
    """The environment of the processes this backend starts: ours, unbuffered, with our cache."""
    return {**os.environ, "PYTHONUNBUFFERED": "1", CACHE_DIR_ENV: str(cache_dir())}


def _forget_if_names(record: ServerRecord) -> None:
    """Remove the configuration's record if it is still this server's (not a newer one's)."""
    current = processes.load(record.config_key)
    if current is not None and current.pid == record.pid:
        processes.forget(record.config_key)


def _completed(record: ServerRecord) -> ServerRecord | None:
    """A starting record completed from the server's ready file; None if that is unreadable."""
    try:
        info = json.loads(Path(record.ready_file).read_text())
        return replace(
            record,
            host=str(info.get("host", HOST)),
            port=int(info["port"]),
            info=_details(info),
            state=READY,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _promoted(record: ServerRecord) -> ServerRecord:
    """A starting record whose server has since become ready (its deployer may be gone),
    completed and saved; otherwise the record unchanged."""
    if record.state != STARTING or not Path(record.ready_file).exists():
        return record
    ready = _completed(record)
    if ready is None:
        return record
    processes.save(ready)
    return ready


def _deployment(record: ServerRecord) -> Deployment:
    where = f"{record.host}:{record.port}" if record.state == READY else "(starting)"
    return Deployment(
        config_key=record.config_key,
        backend="local",
        resource_id=f"pid {record.pid} on {where}",
        target=HttpTarget(record.host, record.port),
        created_at=record.created_at,
        instance_type="local",
        details=dict(record.info),
    )


def _details(ready: dict[str, object]) -> dict[str, str]:
    """What the server reported when ready, flattened to strings for `Deployment.details`.

    The compiled runtime's agreement with eager (top-1 equal, largest probability deviation on
    fixed inputs) becomes `top1_equal` and `max_prob_deviation`, stored with every result.
    """
    details = {
        key: str(value)
        for key, value in ready.items()
        if key not in ("host", "port", "agreement") and value is not None
    }
    agreement = ready.get("agreement")
    if isinstance(agreement, dict):
        details["top1_equal"] = str(agreement.get("top1_equal"))
        details["max_prob_deviation"] = repr(float(agreement.get("max_prob_deviation", 0.0)))
    return details


def _ping(host: str, port: int, timeout_s: float = 5.0) -> bool:
    try:
        conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
        conn.request("GET", PING_PATH)
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""

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
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rnbench.core.backends.local import processes
from rnbench.core.backends.local.processes import READY, STARTING, ServerRecord
from rnbench.core.backends.protocol import (
    Deployment,
    Phase,
    Progress,
    ServerLatency,
    State,
    Status,
    Step,
    no_progress,
)
from rnbench.core.configs import Configuration
from rnbench.core.errors import BackendUnavailable, DeployError, NotDeployedError
from rnbench.core.loadgen.transport import HttpTarget, Reply
from rnbench.core.model_choice import ModelChoice
from rnbench.core.paths import cache_dir
from rnbench.inference.cache import CACHE_DIR_ENV
from rnbench.inference.compile import PHASE_PREFIX
from rnbench.inference.contract import PING_PATH
from rnbench.inference.models import model_unavailable_reason

HOST = "127.0.0.1"
AGREEMENT_FIGURES = (
    "top1_agreement",
    "top5_agreement",
    "max_logit_deviation",
    "mean_logit_deviation",
    "max_prob_deviation",
)
"""The agreement figures a server reports when ready (see rnbench.inference.agreement)."""
NO_CUDA = "needs CUDA (an NVIDIA GPU and its driver); this machine has none"
"""Why a local GPU configuration is unavailable without CUDA (in the grid, `configs`, deploy)."""

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
        max_batch: int | None = None,
        max_delay_ms: float | None = None,
        model: ModelChoice | None = None,
    ) -> None:
        """`max_batch` and `max_delay_ms` set the servers' dynamic batching (None: defaults);
        `model` is the model every server loads (None: ResNet-50)."""
        self.model = model or ModelChoice()
        self._cuda = cuda
        self._weights = weights
        self._start_timeout_s = start_timeout_s
        self._max_batch = max_batch
        self._max_delay_ms = max_delay_ms

    def unavailable_reason(self, config: Configuration) -> str | None:
        if config.backend != "local":
            return f"{config.key} is not a local configuration"
        if config.device == "cuda" and not self._cuda:
            return NO_CUDA
        reason = model_unavailable_reason(config.runtime, self.model.spec)
        if reason is not None:
            return reason
        if config.runtime == "bf16":
            from rnbench.inference.openvino_runtime import bf16_unavailable_reason

            return bf16_unavailable_reason()
        return None

    def _check(self, config: Configuration) -> None:
        reason = self.unavailable_reason(config)
        if reason is not None:
            raise BackendUnavailable(f"{config.key}: {reason}")

    def compile(self, config: Configuration, progress: Progress = no_progress) -> None:
        """Build what the runtime serves: the ONNX export, and for int8 its quantized graph
        (both cached; quick when present), then measure agreement with fp32 eager."""
        self._check(config)
        if not config.compiled:
            progress(f"{config.key} runs eager PyTorch: nothing to compile")
            return
        progress(
            Step(
                Phase.COMPILING,
                f"{config.key}: building the {config.runtime} runtime (cached after the first "
                "time)",
            )
        )
        command = [sys.executable, "-m", "rnbench.inference.compile", "--device", config.device]
        command += ["--runtime", config.runtime]
        if self._weights is not None:
            command += ["--weights", str(self._weights)]
        command += self.model.server_args
        lines: list[str] = []
        with (
            tempfile.TemporaryFile("w+") as stderr,
            subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=_server_env()
            ) as process,
        ):
            assert process.stdout is not None
            for line in process.stdout:  # one progress line per step, as the child prints it
                text = line.strip()
                if text.startswith(PHASE_PREFIX):  # the child says which step starts
                    phase = _child_phase(text.removeprefix(PHASE_PREFIX))
                    progress(Step(phase, f"{config.key}: {phase.value}…"))
                elif text:
                    lines.append(text)
                    progress(f"{config.key}: {text}")
            process.wait()
            stderr.seek(0)
            errors = stderr.read()
        if process.returncode != 0:
            raise DeployError(f"{config.key}: compile failed: {_last_line(errors) or 'no output'}")
        if not lines:
            progress(f"{config.key}: compiled")

    def deploy(self, config: Configuration, progress: Progress = no_progress) -> Deployment:
        self._check(config)
        existing = self.describe(config)
        if existing.state is State.IN_SERVICE and existing.deployment is not None:
            self._check_model(config, existing.deployment)
            progress(f"{config.key} is already in service")
            return existing.deployment
        starting = processes.load(config.key)
        if starting is not None and starting.state == STARTING:  # alive: describe checked
            progress(
                Step(
                    Phase.LOADING_MODEL,
                    f"{config.key}: server pid {starting.pid} is already starting; waiting for it",
                )
            )
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
        command += self.model.server_args
        if self._max_batch is not None:
            command += ["--max-batch", str(self._max_batch)]
        if self._max_delay_ms is not None:
            command += ["--max-delay-ms", repr(self._max_delay_ms)]
        progress(
            Step(
                Phase.STARTING_SERVER,
                f"{config.key}: starting the inference server ({config.runtime}, {config.device})",
            )
        )
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

    def _check_model(self, config: Configuration, deployment: Deployment) -> None:
        """A server already up serves the model asked for, else DeployError: never a stale one.

        Raises:
            DeployError: it serves another model or input size (tear it down first).
        """
        details = deployment.details
        served = (details.get("model"), details.get("input_size"))
        spec = self.model.spec
        wanted = (spec.label, str(spec.input.crop))
        if served[0] is not None and served != wanted:
            raise DeployError(
                f"{config.key} is up serving {served[0]} ({served[1]} px), not {wanted[0]} "
                f"({wanted[1]} px): tear it down first (rnbench teardown {config.key}, or x)"
            )

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
        loading = False
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
            if not loading:  # the process is up: what remains is loading the model
                loading = True
                progress(Step(Phase.LOADING_MODEL, f"{config.key}: loading the model"))
            elif now - last_report >= 2.0:
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
        progress(Step(Phase.TEARING_DOWN, f"{config.key}: stopping server pid {record.pid}"))
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


def _child_phase(name: str) -> Phase:
    """The phase `python -m rnbench.inference.compile` announced; compiling when unknown."""
    try:
        return Phase(name)
    except ValueError:
        return Phase.COMPILING


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

    The runtime's agreement with fp32 eager on real photographs (top-1 and top-5 agreement, the
    largest and mean logit deviation, the largest probability deviation) becomes details of the
    same names, stored with every result.
    """
    details = {
        key: str(value)
        for key, value in ready.items()
        if key not in ("host", "port", "agreement") and value is not None
    }
    agreement = ready.get("agreement")
    if isinstance(agreement, dict):
        for key in AGREEMENT_FIGURES:
            if isinstance(agreement.get(key), int | float):
                details[key] = repr(float(agreement[key]))
        if "top1_agreement" in details:
            details["top1_equal"] = str(float(details["top1_agreement"]) == 1.0)
        if isinstance(agreement.get("inputs"), int):
            details["agreement_inputs"] = str(agreement["inputs"])
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

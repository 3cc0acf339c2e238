"""`LoadRun`: drive load processes from a caller that keeps its own thread free.

The caller (CLI, TUI, engine) starts a run, polls windows at its own pace and takes the summary
at the end. Load runs in separate `spawn` processes (the caller may hold threads, a UI loop or
torch, which `fork` would copy badly), each with worker threads and one connection per worker.
A supervisor thread in the caller's process merges the processes' parts into windows.

Processes never outlive a run: they are daemons, they ignore Ctrl-C (the parent stops them),
they exit when their parent disappears, and `cancel`/`__exit__` join them and terminate
stragglers.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import TracebackType

from rnbench.core.loadgen.capacity import saturation_note
from rnbench.core.loadgen.child import FLUSH_DELAY_NS, child_main
from rnbench.core.loadgen.merge import Merger
from rnbench.core.loadgen.plan import check_spec, highest_us, plan_processes
from rnbench.core.loadgen.recorder import CONTROL_SIZE, MEASURE, START, STOP, Part
from rnbench.core.loadgen.transport import Target
from rnbench.core.loadgen.types import LoadError, LoadJob, LoadSpec, LoadSummary, Window

_READY_TIMEOUT_S = 120.0
_START_MARGIN_NS = 20_000_000
_JOIN_S = 5.0


class _Crash(LoadError):
    """A load process died or reported a failure of its own."""


@contextmanager
def _bare_main() -> Iterator[None]:
    """Hide the caller's `__main__` while processes are spawned.

    `spawn` re-runs the parent's main module in every child (for a console script, the script:
    the TUI would import Textual, and whatever it imports, into every load process). Load
    processes need nothing from it: targets live in importable modules, not in `__main__`.

    It also restores the process's own stderr meanwhile: a host that captures `sys.stderr` with
    an object whose fileno() is -1 (Textual does) would make multiprocessing hand -1 to the
    resource tracker it starts ("bad value(s) in fds_to_keep").
    """
    main = sys.modules.get("__main__")
    stderr = sys.stderr
    sys.modules["__main__"] = types.ModuleType("__main__")
    if not _valid_fileno(stderr) and sys.__stderr__ is not None:
        sys.stderr = sys.__stderr__
    try:
        yield
    finally:
        sys.stderr = stderr
        if main is not None:
            sys.modules["__main__"] = main


def _valid_fileno(stream: object) -> bool:
    try:
        return int(stream.fileno()) >= 0  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False


class LoadRun:
    """One load test against `target`, sending `body` per request as `spec` says.

    Raises UsageError at construction for an impossible spec.
    """

    def __init__(self, target: Target, body: bytes, spec: LoadSpec) -> None:
        check_spec(spec)
        self._target = target
        self._body = body
        self._spec = spec
        self._plan = plan_processes(spec)
        self._highest_us = highest_us(spec)
        self._ctx = multiprocessing.get_context("spawn")
        self._control = self._ctx.RawArray("q", CONTROL_SIZE)
        self._warm = self._ctx.RawArray("q", len(self._plan))
        self._merger = Merger(spec, len(self._plan), self._highest_us)
        self._procs: list[BaseProcess] = []
        self._conns: list[Connection] = []
        self._lock = threading.Lock()
        self._fresh: list[Window] = []
        self._state = "starting"
        self._error: str | None = None
        self._failure: LoadError | None = None
        """Why nothing could be summarised, with the errors counted (raised by `result`)."""
        self._summary: LoadSummary | None = None
        self._cancelled = False
        self._finished = threading.Event()
        self._supervisor: threading.Thread | None = None
        self.notes: list[str] = []
        """Distinct client-side failures reported by the load processes (logged once each)."""

    @property
    def processes(self) -> int:
        return len(self._plan)

    def start(self) -> None:
        """Spawn the load processes and return at once. Raises LoadError when already started."""
        if self._supervisor is not None:
            raise LoadError("this load run was already started")
        for index, workers in enumerate(self._plan):
            receiver, sender = self._ctx.Pipe(duplex=False)
            job = LoadJob(self._target, self._body, self._spec, index, workers, self._highest_us)
            proc = self._ctx.Process(
                target=child_main,
                args=(job, self._control, self._warm, sender),
                name=f"rnbench-load-{index}",
                daemon=True,
            )
            with _bare_main():
                proc.start()
            sender.close()
            self._procs.append(proc)
            self._conns.append(receiver)
        self._supervisor = threading.Thread(
            target=self._supervise, name="rnbench-load", daemon=True
        )
        self._supervisor.start()

    @property
    def phase(self) -> str:
        """ "starting", "warmup", "measuring", "done", "failed" or "cancelled"."""
        if self._state != "running":
            return self._state
        measure = self._control[MEASURE]
        if measure == 0 or time.perf_counter_ns() < measure:
            return "warmup"
        return "measuring"

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    def poll(self) -> list[Window]:
        """Windows completed since the last poll (merged across processes); never blocks."""
        with self._lock:
            fresh, self._fresh = self._fresh, []
        return fresh

    def result(self, timeout: float | None = None) -> LoadSummary:
        """Wait for the end and return the summary.

        Raises LoadError when the run failed (a load process crashed, nothing succeeded, it was
        cancelled before measuring) or did not end within `timeout` seconds.
        """
        if self._supervisor is None:
            raise LoadError("this load run was never started")
        if not self._finished.wait(timeout):
            raise LoadError(f"the load run did not finish within {timeout} s")
        if self._summary is None:
            if self._failure is not None:
                raise self._failure
            raise LoadError(self._error or "the load run failed")
        return self._summary

    def cancel(self) -> None:
        """Stop early; `result()` then summarises what was measured so far."""
        self._cancelled = True
        if self._control[STOP] == 0:
            self._control[STOP] = time.perf_counter_ns()

    def __enter__(self) -> LoadRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._finished.is_set():
            self.cancel()
            self._finished.wait(_JOIN_S * 2)
        self._reap()

    def _supervise(self) -> None:
        try:
            self._drive()
        except _Crash as exc:
            self._fail(str(exc), crashed=True)
        except LoadError as exc:
            self._failure = exc  # result() raises it again, with the errors it counted
            self._fail(str(exc), crashed=False)
        except Exception as exc:  # a bug here must still end the run cleanly
            self._fail(f"load supervisor failed: {type(exc).__name__}: {exc}", crashed=True)
        finally:
            self._reap()
            self._finished.set()

    def _drive(self) -> None:
        spec, control = self._spec, self._control
        ready, done = set[int](), set[int]()
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while len(done) < len(self._conns):
            if len(ready) == len(self._conns) and control[START] == 0:
                start = time.perf_counter_ns() + _START_MARGIN_NS
                if spec.warmup_requests == 0:
                    control[MEASURE] = start + int(spec.warmup_s * 1e9)
                control[START] = start
                self._state = "running"
            elif control[START] == 0 and (self._cancelled or time.monotonic() > deadline):
                control[STOP] = control[STOP] or time.perf_counter_ns()
                if not self._cancelled:
                    raise LoadError("the load processes did not start in time")
            if control[START] and control[MEASURE] == 0 and sum(self._warm) >= spec.warmup_requests:
                earliest = control[START] + int(spec.warmup_s * 1e9)
                control[MEASURE] = max(time.perf_counter_ns(), earliest)
            self._check_alive(done)
            pending = [c for i, c in enumerate(self._conns) if i not in done]
            for conn in wait(pending, timeout=0.02):
                self._receive(self._conns.index(conn), conn, ready, done)  # type: ignore[arg-type]
        self._finish(sum(self._warm))

    def _receive(self, index: int, conn: Connection, ready: set[int], done: set[int]) -> None:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            done.add(index)
            status = self._exit_status(index)
            message = f"load process {index} ended without reporting (status {status})"
            raise _Crash(message) from None
        kind = message[0]
        if kind == "ready":
            ready.add(index)
        elif kind == "part":
            self._on_part(message[1])
        elif kind == "note":
            if message[1] not in self.notes:
                self.notes.append(message[1])
                logging.getLogger(__name__).warning("%s", message[1])
        elif kind == "done":
            done.add(index)
        elif kind == "crash":
            raise _Crash(message[1])

    def _on_part(self, part: Part) -> None:
        windows = self._merger.add(part)
        if windows:
            with self._lock:
                self._fresh.extend(windows)
        if self._merger.stable and self._control[STOP] == 0:
            last = self._merger.windows[-1].index
            window_ns = int(self._spec.window_s * 1e9)
            self._control[STOP] = self._control[MEASURE] + (last + 1) * window_ns

    def _check_alive(self, done: set[int]) -> None:
        for index, proc in enumerate(self._procs):
            if index not in done and proc.exitcode is not None and not self._conns[index].poll():
                raise _Crash(f"load process {index} exited (status {proc.exitcode})")

    def _exit_status(self, index: int) -> int | None:
        self._procs[index].join(0.5)
        return self._procs[index].exitcode

    def _finish(self, warmup_requests: int) -> None:
        summary = self._merger.summary(self._spec.concurrency, warmup_requests)
        note = saturation_note(summary)
        if note:
            self.notes.append(note)
            logging.getLogger(__name__).warning("%s", note)
        self._summary = summary
        self._state = "cancelled" if self._cancelled else "done"

    def _fail(self, reason: str, crashed: bool) -> None:
        self._error = reason
        self._state = "cancelled" if self._cancelled and not crashed else "failed"
        if self._control[STOP] == 0:
            self._control[STOP] = time.perf_counter_ns()

    def _reap(self) -> None:
        """Join every load process; terminate, then kill, any that does not end."""
        deadline = time.monotonic() + _JOIN_S + FLUSH_DELAY_NS / 1e9
        for proc in self._procs:
            proc.join(max(0.0, deadline - time.monotonic()))
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()
                proc.join(1.0)
            if proc.is_alive():
                proc.kill()
                proc.join(1.0)


def run_load(
    target: Target,
    body: bytes,
    spec: LoadSpec,
    on_window: Callable[[Window], None] | None = None,
) -> LoadSummary:
    """Run a load test to its end, calling `on_window` (in this thread) for each window.

    Raises UsageError for an impossible spec and LoadError when the run fails. Ctrl-C cancels
    the run, stops its processes and is re-raised.
    """
    with LoadRun(target, body, spec) as run:
        run.start()
        while not run.done:
            for window in run.poll():
                if on_window is not None:
                    on_window(window)
            time.sleep(0.05)
        for window in run.poll():
            if on_window is not None:
                on_window(window)
        return run.result()

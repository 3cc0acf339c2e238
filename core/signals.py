"""Termination signals handled like Ctrl-C, so that a terminated command cleans up after itself.

`kill PID` (SIGTERM) or a closed terminal (SIGHUP) would otherwise end the CLI at once, skipping
the `finally` blocks that stop the server it was starting or tear down what `run` deployed.
Inside `interrupt_on_termination()` both raise KeyboardInterrupt in the main thread instead, as
SIGINT does, so they take the same clean-up path as Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

TERMINATION_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


@contextmanager
def interrupt_on_termination() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise KeyboardInterrupt; restored afterwards.

    Only the first termination signal interrupts: later ones are ignored, so they cannot cut
    short the clean-up the first one started (SIGKILL still ends the process). A signal that is
    already ignored (`nohup`) stays ignored. Outside the main thread this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in TERMINATION_SIGNALS}
    interrupted = False

    def interrupt(signum: int, frame: FrameType | None) -> None:
        nonlocal interrupted
        if interrupted:
            return
        interrupted = True
        if signum == signal.SIGHUP:
            _detach_from_terminal()
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for signum, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(signum, interrupt)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            if handler is not None:
                signal.signal(signum, handler)


def _detach_from_terminal() -> None:
    """Point stdout and stderr that were a terminal at /dev/null: after a hang-up, writing to
    the terminal fails, and the clean-up's progress messages must not stop the clean-up."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None and stream.isatty():
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, stream.fileno())
                os.close(devnull)
                stream.flush()
        except (OSError, ValueError):
            pass

"""Ending a child process that has imported torch without waiting for the interpreter's teardown.

Unloading torch and torchvision module by module at interpreter exit takes 1.3 s here, and the
CLI that stopped the inference server, or waits for a compile step, waits for it. Once a child
has closed what it opened, `exit_now` flushes logging and the standard streams and ends it.
"""

from __future__ import annotations

import logging
import os
import sys


def exit_now(code: int) -> None:
    """Flush logs and stdio, then end the process with `code` at once (no atexit, no teardown)."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed or gone (a hung-up terminal): nothing to keep
            pass
    os._exit(code)

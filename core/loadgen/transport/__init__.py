"""How load reaches a target: the `Target`/`Invoker` protocols and the HTTP transports.

SageMaker endpoints have their own target (`core/backends/sagemaker/runtime.py`); every target
is picklable and opens one invoker per load worker. Names are loaded on first use (PEP 562):
the TUI imports the protocols at start-up and must not pay for `http.client` before its first
frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rnbench.core.lazy_names import loader

if TYPE_CHECKING:
    from rnbench.core.loadgen.transport.base import (
        CONNECTION,
        MODEL_ERROR,
        TIMEOUT,
        HttpAddress,
        InvokeError,
        Invoker,
        Reply,
        Target,
    )
    from rnbench.core.loadgen.transport.http import HttpInvoker, HttpTarget
    from rnbench.core.loadgen.transport.rawhttp import RawHttpInvoker

_HOMES = {
    "CONNECTION": "base",
    "MODEL_ERROR": "base",
    "TIMEOUT": "base",
    "HttpAddress": "base",
    "InvokeError": "base",
    "Invoker": "base",
    "Reply": "base",
    "Target": "base",
    "HttpInvoker": "http",
    "HttpTarget": "http",
    "RawHttpInvoker": "rawhttp",
}
"""Each exported name and the module of this package that defines it."""

__getattr__ = loader(__name__, _HOMES)

__all__ = [
    "CONNECTION",
    "MODEL_ERROR",
    "TIMEOUT",
    "HttpAddress",
    "HttpInvoker",
    "HttpTarget",
    "InvokeError",
    "Invoker",
    "RawHttpInvoker",
    "Reply",
    "Target",
]

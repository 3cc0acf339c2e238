"""How load reaches a target: the `Target`/`Invoker` protocols and the HTTP transports.

SageMaker endpoints have their own target (`core/backends/sagemaker/runtime.py`); every target
is picklable and opens one invoker per load worker.
"""

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

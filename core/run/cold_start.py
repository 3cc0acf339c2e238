"""The cold start of a serverless endpoint, measured apart from the load's percentiles.

Rule: before the load starts on a serverless configuration, rnbench sends ONE request alone and
times it (client side, like every other latency). That request is the run's cold start: on an
endpoint just deployed, or idle long enough for SageMaker to reclaim its capacity, it includes
provisioning a container and loading the model. It is reported on its own (`cold_start_ms`) and
is never part of the load, so the percentiles are the steady state's (after the warm-up, too).

What this does not see: SageMaker does not say whether a request was cold (no response header
tells), so when the endpoint was still warm from an earlier run the figure is simply the first
request's latency; and when the load asks for more concurrency than is warm, the extra
containers' cold starts fall in the warm-up or, past it, in the measured run.
"""

from __future__ import annotations

import time

from rnbench.core.loadgen.transport import Target

COLD_START_TIMEOUT_S = 120.0
"""How long the first request may take: a serverless cold start can take tens of seconds."""


def first_request_ms(target: Target, body: bytes) -> float:
    """The latency in ms of one request sent alone to `target`.

    Raises:
        InvokeError: the request failed (its `kind` says how).
    """
    invoker = target.open(COLD_START_TIMEOUT_S)
    try:
        start = time.perf_counter()
        invoker.invoke(body)
        return (time.perf_counter() - start) * 1000.0
    finally:
        invoker.close()

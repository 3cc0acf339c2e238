"""A server that dies mid-run: workers back off instead of spinning on refused connections."""

from __future__ import annotations

import threading
import time

from fake_servers import Behaviour, FakeServer

from rnbench.core.loadgen import LoadRun, LoadSpec
from rnbench.core.loadgen.transport import CONNECTION
from rnbench.core.loadgen.workers import BACKOFF_FIRST_S, BACKOFF_MAX_S, Backoff

BODY = b"\xff\xd8fake-jpeg"


def test_backoff_doubles_to_its_cap_and_resets_on_any_answer() -> None:
    stop = threading.Event()
    backoff = Backoff(stop)
    waits = []
    for _ in range(12):
        started = time.perf_counter()
        backoff.after(CONNECTION)
        waits.append(time.perf_counter() - started)
    assert waits[0] >= BACKOFF_FIRST_S and waits[0] < 0.05
    assert waits[-1] >= BACKOFF_MAX_S and waits[-1] < BACKOFF_MAX_S + 0.1
    backoff.after(None)  # a success: no wait, and the next failure starts small again
    started = time.perf_counter()
    backoff.after(CONNECTION)
    assert time.perf_counter() - started < 0.05
    stop.set()  # a stop ends a long wait at once
    for _ in range(10):
        backoff.after(CONNECTION)
    started = time.perf_counter()
    backoff.after(CONNECTION)
    assert time.perf_counter() - started < 0.05


def test_a_server_dying_mid_run_gives_few_connection_errors() -> None:
    with FakeServer(Behaviour(service_s=0.002)) as server:
        spec = LoadSpec(concurrency=4, duration_s=3.0, warmup_s=0.2, processes=1)
        run = LoadRun(server.target, BODY, spec)
        run.start()
        while not run.poll() and not run.done:  # the first measured window: the server is up
            time.sleep(0.05)
        server.die()
        summary = run.result(30)
    assert summary.requests > 0
    refused = summary.errors.get(CONNECTION, 0)
    assert 0 < refused < 2_000, summary.errors  # spinning workers make tens of thousands

"""`make bench`: in-process vs over-HTTP throughput of eager and compiled ResNet-50, in one run.

Figures are ratios against references measured in the same run on the same machine: absolute
numbers on a shared 2-core machine drift by tens of percent from minute to minute, so each
runtime is measured in alternating rounds (in-process, then over HTTP, repeated) and the medians
are compared. Targets from the issue: HTTP >= 0.9x in-process for compiled, and compiled >= 1.9x
eager. Nothing here is a test: it prints what it measured.

    .venv/bin/python tests/benchmarks/bench_local.py [--seconds 15] [--rounds 3] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

from rnbench.core.configs import get_configuration
from rnbench.core.images import default_image
from rnbench.core.loadgen import run_load
from rnbench.core.loadgen.types import LoadSpec, LoadSummary
from rnbench.core.local.backend import LocalBackend

CONFIG_KEYS = {"eager": "local-cpu", "compiled": "local-cpu-compiled"}


@dataclass(frozen=True)
class Figures:
    """Medians over the rounds of one runtime."""

    runtime: str
    in_process: float
    http: float
    http_p50_ms: float
    http_p99_ms: float
    server_p50_ms: float
    littles_residual_pct: float
    client_cpu_ms: float
    rounds_in_process: tuple[float, ...]
    rounds_http: tuple[float, ...]


def in_process(runtime: str, seconds: float) -> float:
    """img/s of decode + preprocess + predict in a fresh process (as the server runs it)."""
    code = (
        "from rnbench.core.images import default_image\n"
        "from rnbench.inference.bench import in_process_throughput\n"
        f"print(in_process_throughput({runtime!r}, default_image(), {seconds}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return float(out.strip().splitlines()[-1])


def measure(runtime: str, seconds: float, rounds: int, concurrency: int) -> Figures:
    config = get_configuration(CONFIG_KEYS[runtime])
    backend = LocalBackend()
    deployment = backend.deploy(config, lambda m: print(f"  {m}", file=sys.stderr))
    local: list[float] = []
    http: list[LoadSummary] = []
    try:
        spec = LoadSpec(concurrency=concurrency, duration_s=seconds, warmup_s=5.0)
        for round_ in range(rounds):
            local.append(in_process(runtime, seconds))
            http.append(run_load(deployment.target, default_image(), spec))
            # The server still holds up to `concurrency` queued requests: let it drain before
            # the next in-process round, or that round competes with it for the cores.
            time.sleep(min(30.0, concurrency * (http[-1].server_p50_ms or 0.0) / 1e3 + 1.0))
            print(
                f"  {runtime} round {round_ + 1}: in-process {local[-1]:.2f}/s, "
                f"HTTP {http[-1].tps:.2f}/s",
                file=sys.stderr,
            )
    finally:
        backend.teardown(config)

    def median(values: list[float]) -> float:
        return statistics.median(values)

    return Figures(
        runtime,
        median(local),
        median([s.tps for s in http]),
        median([s.p50_ms for s in http]),
        median([s.p99_ms for s in http]),
        median([s.server_p50_ms or 0.0 for s in http]),
        median([s.littles_law_residual_pct or 0.0 for s in http]),
        median([s.client_cpu_ms_per_request for s in http]),
        tuple(local),
        tuple(s.tps for s in http),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    os.environ.setdefault("RNBENCH_HOME", os.path.join(os.getcwd(), ".bench-home"))
    rows = [measure(r, args.seconds, args.rounds, args.concurrency) for r in ("eager", "compiled")]
    print(
        f"\nResNet-50, batch 1, the study's JPEG, {os.cpu_count()} cores; medians of "
        f"{args.rounds} alternating rounds of {args.seconds:g} s; HTTP with "
        f"{args.concurrency} closed-loop clients"
    )
    print(
        f"{'runtime':9} {'in-process':>11} {'HTTP':>8} {'HTTP/in-proc':>13} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'server p50':>11} {'Little %':>9} {'client ms/req':>14}"
    )
    for f in rows:
        print(
            f"{f.runtime:9} {f.in_process:9.2f}/s {f.http:6.2f}/s {f.http / f.in_process:12.2f}x "
            f"{f.http_p50_ms:8.1f} {f.http_p99_ms:8.1f} {f.server_p50_ms:11.1f} "
            f"{f.littles_residual_pct:9.2f} {f.client_cpu_ms:14.3f}"
        )
    eager, compiled = rows
    print(
        f"\ncompiled / eager in-process: {compiled.in_process / eager.in_process:.2f}x "
        "(target >= 1.9x)"
    )
    print(f"compiled / eager over HTTP:  {compiled.http / eager.http:.2f}x")
    print(
        f"compiled HTTP / in-process:  {compiled.http / compiled.in_process:.2f}x (target >= 0.9x)"
    )
    for f in rows:
        rounds = ", ".join(
            f"{a:.2f}/{b:.2f}" for a, b in zip(f.rounds_in_process, f.rounds_http, strict=True)
        )
        print(f"{f.runtime} rounds (in-process/HTTP img/s): {rounds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

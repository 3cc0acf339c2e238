"""`make bench`: in-process vs over-HTTP throughput of eager and compiled ResNet-50, in one run.

Figures are ratios against references measured in the same run on the same machine (absolute
numbers on a shared 2-core machine are noise). Targets from the issue: HTTP >= 0.9x in-process
for compiled, and compiled >= 1.9x eager. Nothing here is a test: it prints what it measured.

    .venv/bin/python tests/benchmarks/bench_local.py [--seconds 20] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass

from rnbench.core.configs import get_configuration
from rnbench.core.images import default_image
from rnbench.core.loadgen import run_load
from rnbench.core.loadgen.types import LoadSpec
from rnbench.core.local.backend import LocalBackend


@dataclass(frozen=True)
class Figures:
    runtime: str
    in_process: float
    http: float
    http_p50_ms: float
    http_p99_ms: float
    server_p50_ms: float | None
    littles_residual_pct: float | None
    client_cpu_ms: float


def in_process(runtime: str, seconds: float) -> float:
    """img/s of decode + preprocess + predict in a fresh process (as the server would run it)."""
    code = (
        "import sys\n"
        "from rnbench.core.images import default_image\n"
        "from rnbench.inference.bench import in_process_throughput\n"
        f"print(in_process_throughput({runtime!r}, default_image(), {seconds}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return float(out.strip().splitlines()[-1])


def over_http(runtime: str, seconds: float, concurrency: int) -> tuple[float, Figures]:
    key = "local-cpu" if runtime == "eager" else "local-cpu-compiled"
    config = get_configuration(key)
    backend = LocalBackend()
    deployment = backend.deploy(config, lambda m: print(f"  {m}", file=sys.stderr))
    try:
        spec = LoadSpec(concurrency=concurrency, duration_s=seconds, warmup_s=5.0)
        summary = run_load(deployment.target, default_image(), spec)
    finally:
        backend.teardown(config)
    return summary.tps, Figures(
        runtime,
        0.0,
        summary.tps,
        summary.p50_ms,
        summary.p99_ms,
        summary.server_p50_ms,
        summary.littles_law_residual_pct,
        summary.client_cpu_ms_per_request,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    os.environ.setdefault("RNBENCH_HOME", os.path.join(os.getcwd(), ".bench-home"))
    rows: list[Figures] = []
    for runtime in ("eager", "compiled"):
        print(f"{runtime}: in-process ...", file=sys.stderr)
        local = in_process(runtime, args.seconds)
        print(f"{runtime}: over HTTP with {args.concurrency} clients ...", file=sys.stderr)
        _, figures = over_http(runtime, args.seconds, args.concurrency)
        rows.append(Figures(**{**figures.__dict__, "in_process": local}))
    print(f"\nResNet-50, batch 1, the study's JPEG, {os.cpu_count()} cores, weights as reported")
    print(
        f"{'runtime':9} {'in-process':>11} {'HTTP':>8} {'HTTP/in-proc':>13} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'server p50':>11} {'Little %':>9} {'client ms/req':>14}"
    )
    for f in rows:
        print(
            f"{f.runtime:9} {f.in_process:9.1f}/s {f.http:6.1f}/s {f.http / f.in_process:12.2f}x "
            f"{f.http_p50_ms:8.1f} {f.http_p99_ms:8.1f} {f.server_p50_ms or 0:11.1f} "
            f"{f.littles_residual_pct or 0:9.2f} {f.client_cpu_ms:14.3f}"
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
    return 0


if __name__ == "__main__":
    sys.exit(main())

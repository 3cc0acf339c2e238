"""`make bench`: the local optimization ladder, in-process and over HTTP, in one run.

eager, compiled (ONNX Runtime fp32), bf16 (OpenVINO, or why this CPU cannot) and int8 (static
quantization), each without batching (one request per forward pass) and with the server's
dynamic batching; in-process (decode + preprocess + predict + top-5 in one thread, batch 1 or
`max_batch` images per pass) and over HTTP with closed-loop clients. Ratios are against eager
without batching, measured in the same run: absolute numbers on a shared 2-core machine drift by
tens of percent from minute to minute, so each row alternates in-process and HTTP rounds and the
medians are compared. Nothing here is a test: it prints what it measured.

Targets from the issue (on a 2-core CPU with AVX-512 VNNI or AMX): over HTTP, compiled >= 1.9x
eager; int8 with batching >= 150 img/s and >= 6x eager; HTTP >= 0.9x in-process for each runtime.

    .venv/bin/python tests/benchmarks/bench_local.py [--seconds 15] [--rounds 3] ...

Every option also reads an environment variable (RNBENCH_BENCH_SECONDS, _ROUNDS, _CONCURRENCY,
_RUNTIMES, _MAX_BATCH, _MAX_DELAY_MS), so `RNBENCH_BENCH_SECONDS=3 RNBENCH_BENCH_ROUNDS=1 make
bench` runs a short ladder while developing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

from rnbench.core.backends.local.backend import LocalBackend
from rnbench.core.configs import get_configuration
from rnbench.core.images import default_image
from rnbench.core.loadgen import run_load
from rnbench.core.loadgen.types import LoadSpec, LoadSummary
from rnbench.inference.contract import DEFAULT_MAX_BATCH, DEFAULT_MAX_DELAY_MS

CONFIG_KEYS = {
    "eager": "local-cpu",
    "compiled": "local-cpu-compiled",
    "bf16": "local-cpu-bf16",
    "int8": "local-cpu-int8",
}


@dataclass(frozen=True)
class Figures:
    """Medians over the rounds of one runtime at one batching setting."""

    runtime: str
    max_batch: int
    in_process: float
    http: float
    http_p50_ms: float
    http_p99_ms: float
    server_p50_ms: float
    mean_batch: float
    agreement: str
    rounds_in_process: tuple[float, ...]
    rounds_http: tuple[float, ...]


def in_process(runtime: str, seconds: float, batch: int) -> float:
    """img/s of decode + preprocess + predict in a fresh process, `batch` images per pass."""
    code = (
        "from rnbench.core.images import default_image\n"
        "from rnbench.inference.bench import in_process_throughput\n"
        f"print(in_process_throughput({runtime!r}, default_image(), {seconds}, batch={batch}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return float(out.strip().splitlines()[-1])


def _agreement(details: dict[str, str]) -> str:
    try:
        top1 = float(details["top1_agreement"])
        top5 = float(details["top5_agreement"])
        worst = float(details["max_logit_deviation"])
    except (KeyError, ValueError):
        return ""
    return f"top-1 {top1:.0%} top-5 {top5:.0%} max dlogit {worst:.2g}"


def measure(
    runtime: str, seconds: float, rounds: int, concurrency: int, max_batch: int, delay_ms: float
) -> Figures:
    config = get_configuration(CONFIG_KEYS[runtime])
    backend = LocalBackend(max_batch=max_batch, max_delay_ms=delay_ms)
    deployment = backend.deploy(config, _say)
    local: list[float] = []
    http: list[LoadSummary] = []
    try:
        spec = LoadSpec(concurrency=concurrency, duration_s=seconds, warmup_s=min(5.0, seconds))
        for round_ in range(rounds):
            local.append(in_process(runtime, seconds, max_batch))
            http.append(run_load(deployment.target, default_image(), spec))
            # The server still holds up to `concurrency` queued requests: let it drain before
            # the next in-process round, or that round competes with it for the cores.
            time.sleep(min(30.0, concurrency * (http[-1].server_p50_ms or 0.0) / 1e3 + 1.0))
            print(
                f"  {runtime} max-batch {max_batch} round {round_ + 1}: in-process "
                f"{local[-1]:.2f}/s, HTTP {http[-1].tps:.2f}/s "
                f"(mean batch {http[-1].mean_batch_size or 0:.1f})",
                file=sys.stderr,
            )
    finally:
        backend.teardown(config)

    def median(values: list[float]) -> float:
        return statistics.median(values)

    return Figures(
        runtime,
        max_batch,
        median(local),
        median([s.tps for s in http]),
        median([s.p50_ms for s in http]),
        median([s.p99_ms for s in http]),
        median([s.server_p50_ms or 0.0 for s in http]),
        median([s.mean_batch_size or 0.0 for s in http]),
        _agreement(deployment.details),
        tuple(local),
        tuple(s.tps for s in http),
    )


def _say(message: str) -> None:
    print(f"  {message}", file=sys.stderr)


def _env(name: str, default: str) -> str:
    return os.environ.get(f"RNBENCH_BENCH_{name}", default)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=float(_env("SECONDS", "15")))
    parser.add_argument("--rounds", type=int, default=int(_env("ROUNDS", "3")))
    parser.add_argument("--concurrency", type=int, default=int(_env("CONCURRENCY", "16")))
    parser.add_argument(
        "--runtimes", default=_env("RUNTIMES", ",".join(CONFIG_KEYS)), help="comma-separated"
    )
    parser.add_argument(
        "--max-batch", type=int, default=int(_env("MAX_BATCH", str(DEFAULT_MAX_BATCH)))
    )
    parser.add_argument(
        "--max-delay-ms", type=float, default=float(_env("MAX_DELAY_MS", str(DEFAULT_MAX_DELAY_MS)))
    )
    return parser


def main() -> int:
    args = _parser().parse_args()
    os.environ.setdefault("RNBENCH_HOME", os.path.join(os.getcwd(), ".bench-home"))
    rows: list[Figures] = []
    unavailable: dict[str, str] = {}
    for runtime in [r.strip() for r in args.runtimes.split(",") if r.strip()]:
        reason = LocalBackend().unavailable_reason(get_configuration(CONFIG_KEYS[runtime]))
        if reason is not None:
            unavailable[runtime] = reason
            continue
        LocalBackend().compile(get_configuration(CONFIG_KEYS[runtime]), _say)
        for max_batch in (1, args.max_batch):
            rows.append(
                measure(
                    runtime, args.seconds, args.rounds, args.concurrency, max_batch,
                    args.max_delay_ms,
                )
            )  # fmt: skip
    print(
        f"\nResNet-50, the study's JPEG, {os.cpu_count()} cores; medians of {args.rounds} "
        f"alternating rounds of {args.seconds:g} s; HTTP with {args.concurrency} closed-loop "
        f"clients; batching: max batch {args.max_batch}, max delay {args.max_delay_ms:g} ms"
    )
    eager = next((f for f in rows if f.runtime == "eager" and f.max_batch == 1), None)
    print(
        f"{'runtime':9} {'batch':>5} {'in-process':>11} {'HTTP':>9} {'HTTP/in':>8} "
        f"{'x eager in':>10} {'x eager HTTP':>12} {'mean batch':>10} {'p50 ms':>7} "
        f"{'p99 ms':>7}  agreement vs fp32 eager"
    )
    for f in rows:
        ratio_in = f"{f.in_process / eager.in_process:9.2f}x" if eager else f"{'':10}"
        ratio_http = f"{f.http / eager.http:11.2f}x" if eager and eager.http else f"{'':12}"
        print(
            f"{f.runtime:9} {f.max_batch:5d} {f.in_process:9.2f}/s {f.http:7.2f}/s "
            f"{f.http / f.in_process:7.2f}x {ratio_in} {ratio_http} {f.mean_batch:10.2f} "
            f"{f.http_p50_ms:7.1f} {f.http_p99_ms:7.1f}  {f.agreement}"
        )
    for runtime, reason in unavailable.items():
        print(f"{runtime:9} unavailable: {reason}")
    print()
    for f in rows:
        rounds = ", ".join(
            f"{a:.2f}/{b:.2f}" for a, b in zip(f.rounds_in_process, f.rounds_http, strict=True)
        )
        print(f"{f.runtime} batch {f.max_batch} rounds (in-process/HTTP img/s): {rounds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

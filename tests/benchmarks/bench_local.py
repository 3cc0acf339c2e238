"""`make bench`: the local optimization ladder, in-process and over HTTP, in one run.

eager, compiled (ONNX Runtime fp32), bf16 (OpenVINO, or why this CPU cannot) and int8 (static
quantization), each without batching (one request per forward pass) and with the server's
dynamic batching; in-process (decode + preprocess + predict + top-5 in one thread, batch 1 or
`max_batch` images per pass) and over HTTP with closed-loop clients. Ratios are against eager
without batching, measured in the same run: absolute numbers on a shared 2-core machine drift by
tens of percent from minute to minute, so each row alternates in-process and HTTP rounds and the
medians are compared. Nothing here is a test: it prints what it measured.

The same run measures each graph runtime's ceiling with OpenVINO's own `benchmark_app` on the
very ONNX file the server loads (see ceiling.py): its best setting is chosen once per runtime,
then measured right before and right after every served (HTTP) round; a round's ceiling is the
mean of the two and served/ceiling is the median of the rounds' own ratios, so that the
machine's drift from minute to minute falls on both sides alike. It also measures the
preprocessing's CPU time per image and per step (decode, resize + crop, normalise;
time.thread_time over 300 repetitions on the study's JPEG); the OpenVINO runtimes skip the numpy
normalisation (their graphs do it).
Targets (issue 15): served >= 0.9x the ceiling for bf16 and int8, >= 0.95x for fp32;
preprocessing <= 2 ms of one core per image.
By default only eager runs without batching too (the baseline of the "x eager" columns); `--all-
batch1` runs every runtime both ways. Defaults take about 20 minutes.

    .venv/bin/python tests/benchmarks/bench_local.py [--seconds 15] [--rounds 3] ...

Every option also reads an environment variable (RNBENCH_BENCH_SECONDS, _ROUNDS, _CONCURRENCY,
_RUNTIMES, _MAX_BATCH, _MAX_DELAY_MS, _APP_SECONDS, _ALL_BATCH1), so `RNBENCH_BENCH_SECONDS=3
RNBENCH_BENCH_ROUNDS=1 make bench` runs a short ladder while developing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

from ceiling import CeilingProbe

from rnbench.core.backends.local.backend import LocalBackend
from rnbench.core.configs import get_configuration
from rnbench.core.images import default_image
from rnbench.core.loadgen import run_load
from rnbench.core.loadgen.types import LoadSpec, LoadSummary
from rnbench.inference.contract import DEFAULT_MAX_BATCH, DEFAULT_MAX_DELAY_MS
from rnbench.inference.machine import cpu_facts
from rnbench.inference.preprocess_cost import PreprocessCost, preprocess_cost

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
    rounds_ceiling: tuple[float, ...] = ()
    """benchmark_app at the chosen setting, the mean of right before and right after each HTTP
    round."""
    ceiling_how: str = ""
    """The setting chosen (the best of the hints and batch sizes, measured once)."""
    settings: str = ""
    """An OpenVINO server's streams and batch limit, and how they were chosen."""


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


PIXELS_RUNTIMES = ("bf16", "int8")
"""Runtimes fed the uint8 crop (OpenVINO normalises in the graph); the others get float."""


def preprocess_ms(cost: PreprocessCost, runtime: str) -> float:
    """CPU ms per image of the preprocessing `runtime`'s requests go through."""
    return cost.pixels_ms if runtime in PIXELS_RUNTIMES else cost.float_ms


def _agreement(details: dict[str, str]) -> str:
    try:
        top1 = float(details["top1_agreement"])
        top5 = float(details["top5_agreement"])
        worst = float(details["max_logit_deviation"])
    except (KeyError, ValueError):
        return ""
    return f"top-1 {top1:.0%} top-5 {top5:.0%} max dlogit {worst:.2g}"


def measure(
    runtime: str,
    seconds: float,
    rounds: int,
    concurrency: int,
    max_batch: int,
    delay_ms: float,
    probe: CeilingProbe | None = None,
) -> Figures:
    config = get_configuration(CONFIG_KEYS[runtime])
    backend = LocalBackend(max_batch=max_batch, max_delay_ms=delay_ms)
    deployment = backend.deploy(config, _say)
    local: list[float] = []
    http: list[LoadSummary] = []
    tops: list[float] = []
    chosen = probe.choose() if probe is not None else None
    try:
        spec = LoadSpec(concurrency=concurrency, duration_s=seconds, warmup_s=min(5.0, seconds))
        for round_ in range(rounds):
            local.append(in_process(runtime, seconds, max_batch))
            before = probe.again() if probe is not None and chosen is not None else None
            http.append(run_load(deployment.target, default_image(), spec))
            # The server still holds up to `concurrency` queued requests: let it drain before
            # the next benchmark_app or in-process run, or that run competes with it.
            time.sleep(min(30.0, concurrency * (http[-1].server_p50_ms or 0.0) / 1e3 + 1.0))
            after = probe.again() if probe is not None and chosen is not None else None
            sides = [f for f in (before, after) if f is not None]
            if sides:
                tops.append(statistics.fmean(sides))
            print(
                f"  {runtime} max-batch {max_batch} round {round_ + 1}: in-process "
                f"{local[-1]:.2f}/s, ceiling {_sides(before, after)}, HTTP "
                f"{http[-1].tps:.2f}/s "
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
        rounds_ceiling=tuple(tops),
        ceiling_how=chosen.how if chosen is not None and tops else "",
        settings=_settings(deployment.details),
    )


def _sides(before: float | None, after: float | None) -> str:
    """`152.3/s before, 160.1/s after` (or `-/s` without a ceiling)."""
    if before is None and after is None:
        return "-/s"
    shown = ["-" if f is None else f"{f:.1f}" for f in (before, after)]
    return f"{shown[0]}/s before, {shown[1]}/s after"


def _settings(details: dict[str, str]) -> str:
    if "openvino_streams" not in details:
        return ""
    return (
        f"; OpenVINO streams {details['openvino_streams']}, batch limit "
        f"{details.get('max_batch', '?')}, {details.get('openvino_choice', '?')}"
    )


def _say(message: str) -> None:
    print(f"  {message}", file=sys.stderr)


def _env(name: str, default: str) -> str:
    return os.environ.get(f"RNBENCH_BENCH_{name}", default)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=float(_env("SECONDS", "15")))
    parser.add_argument("--rounds", type=int, default=int(_env("ROUNDS", "3")))
    parser.add_argument(
        "--app-seconds", type=float, default=float(_env("APP_SECONDS", "8")),
        help="seconds of each benchmark_app run (3 to choose the setting, then 2 per round)",
    )  # fmt: skip
    parser.add_argument(
        "--all-batch1", action="store_true", default=_env("ALL_BATCH1", "") not in ("", "0"),
        help="every runtime also without batching (default: only eager)",
    )  # fmt: skip
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
    cost = preprocess_cost(default_image())
    rows: list[Figures] = []
    unavailable: dict[str, str] = {}
    for runtime in [r.strip() for r in args.runtimes.split(",") if r.strip()]:
        reason = LocalBackend().unavailable_reason(get_configuration(CONFIG_KEYS[runtime]))
        if reason is not None:
            unavailable[runtime] = reason
            continue
        LocalBackend().compile(get_configuration(CONFIG_KEYS[runtime]), _say)
        batches = [1, args.max_batch] if args.all_batch1 or runtime == "eager" else [args.max_batch]
        for max_batch in dict.fromkeys(batches):
            rows.append(
                measure(
                    runtime, args.seconds, args.rounds, args.concurrency, max_batch,
                    args.max_delay_ms, CeilingProbe(runtime, args.max_batch, args.app_seconds),
                )
            )  # fmt: skip
    _print_table(args, rows, unavailable, cost)
    return 0


def _print_table(
    args: argparse.Namespace,
    rows: list[Figures],
    unavailable: dict[str, str],
    cost: PreprocessCost,
) -> None:
    cpu = cpu_facts()
    print(
        f"\nResNet-50, the study's JPEG, on {cpu.model} ({cpu.cores} cores; ISA flags: "
        f"{cpu.flags or 'none of avx2, avx512f, avx512_vnni, avx512_bf16, amx'}); medians of {args.rounds} alternating rounds of {args.seconds:g} s; "
        f"HTTP with {args.concurrency} closed-loop clients; batching: max batch "
        f"{args.max_batch}, max delay {args.max_delay_ms:g} ms; ceiling: benchmark_app "
        f"{args.app_seconds:g} s per run, at the best of latency/throughput hint and batch "
        "sizes (chosen once per runtime), measured before and after every HTTP round (a round's "
        "ceiling: their mean; ceiling: median of the rounds; served/ceil: median of each round's "
        "served/ceiling)"
    )
    eager = next((f for f in rows if f.runtime == "eager" and f.max_batch == 1), None)
    print(
        f"{'runtime':9} {'batch':>5} {'in-process':>11} {'ceiling':>9} {'served':>9} "
        f"{'served/ceil':>11} {'x eager':>8} {'p50 ms':>7} {'p99 ms':>7} {'prep ms':>7} "
        f"{'mean batch':>10}  agreement vs fp32 eager; ceiling reached with"
    )
    for f in rows:
        paired = _paired_ratio(f)
        ceil = f"{statistics.median(f.rounds_ceiling):7.2f}/s" if f.rounds_ceiling else f"{'-':>9}"
        ratio = f"{paired:10.2f}x" if paired is not None else f"{'-':>11}"
        x_eager = f"{f.http / eager.http:7.2f}x" if eager and eager.http else f"{'':8}"
        print(
            f"{f.runtime:9} {f.max_batch:5d} {f.in_process:9.2f}/s {ceil} {f.http:7.2f}/s "
            f"{ratio} {x_eager} {f.http_p50_ms:7.1f} {f.http_p99_ms:7.1f} "
            f"{preprocess_ms(cost, f.runtime):7.2f} "
            f"{f.mean_batch:10.2f}  {f.agreement}{'; ' + f.ceiling_how if f.ceiling_how else ''}"
        )
    for runtime, reason in unavailable.items():
        print(f"{runtime:9} unavailable: {reason}")
    print(
        f"\npreprocessing, ms of one core per image (thread CPU time, mean of {cost.iterations}; "
        f"target <= 2 ms): decode {cost.decode_ms:.2f}, resize+crop {cost.resize_crop_ms:.2f}, "
        f"normalise {cost.normalise_ms:.2f}; uint8 path (OpenVINO: {', '.join(PIXELS_RUNTIMES)}, "
        f"normalised in the graph) {cost.pixels_ms:.2f}, float path (eager, compiled) "
        f"{cost.float_ms:.2f}\nin-process: rnbench's decode + preprocess + predict in one thread"
    )
    for f in rows:
        ceilings_ = [f"{c:.2f}" for c in f.rounds_ceiling] or ["-"] * len(f.rounds_http)
        rounds = ", ".join(
            f"{a:.2f}/{c}/{b:.2f}"
            for a, c, b in zip(f.rounds_in_process, ceilings_, f.rounds_http, strict=False)
        )
        print(
            f"{f.runtime} batch {f.max_batch} rounds (in-process/ceiling/HTTP img/s): "
            f"{rounds}{f.settings}"
        )


def _paired_ratio(f: Figures) -> float | None:
    """The median of each round's served/ceiling (None without a ceiling in every round)."""
    if not f.rounds_ceiling or len(f.rounds_ceiling) != len(f.rounds_http):
        return None
    return statistics.median(b / c for b, c in zip(f.rounds_http, f.rounds_ceiling, strict=True))


if __name__ == "__main__":
    sys.exit(main())

"""OpenVINO's own `benchmark_app` on the very graphs rnbench serves: the in-process ceiling.

benchmark_app feeds random tensors (no JPEG decode, no HTTP) to the compiled graph. The ceiling of
a runtime is the best of the latency hint at batch 1 and the throughput hint at batch 1 and at
the server's batch limit. `make bench` measures it again in every round, right before the served
run: this VM's speed drifts by tens of percent within minutes (benchmark_app's int8 figure at
batch 8 read 226, 171, 204, 127 and 143 img/s within one hour). OpenVINO picks bf16 by itself
on a CPU that has it, so the precision is always named: f32 for the ONNX Runtime rung
(`compiled`) and for `int8` (its int8 ops run as int8 whatever the hint), bf16 for `bf16`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PRECISION = {"compiled": "f32", "bf16": "bf16", "int8": "f32"}
"""benchmark_app's -infer_precision per rnbench runtime (eager has no graph)."""
THROUGHPUT = re.compile(r"Throughput:\s+([0-9.]+)\s+FPS")


@dataclass(frozen=True)
class Ceiling:
    """The best benchmark_app figure of one graph, and how it was reached."""

    images_per_s: float
    how: str
    """`throughput hint, batch 8`, say."""


def benchmark_app() -> str | None:
    """The benchmark_app next to this Python (the openvino wheel ships it), or on PATH."""
    local = Path(sys.executable).with_name("benchmark_app")
    return str(local) if local.exists() else shutil.which("benchmark_app")


def graph_path(runtime: str) -> Path:
    """The cached ONNX graph `runtime` serves (built when missing), in a fresh process."""
    code = (
        "from rnbench.inference.runtimes import load_runtime\n"
        f"print(load_runtime({runtime!r}).runtime.path)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip().splitlines()[-1])


def run_once(
    app: str, graph: Path, precision: str, hint: str, batch: int, seconds: float
) -> float | None:
    """benchmark_app's throughput in img/s (None when it failed or printed no figure)."""
    command = [
        app, "-m", str(graph), "-d", "CPU", "-hint", hint, "-t", f"{seconds:g}",
        "-infer_precision", precision, "-shape", f"[{batch},3,224,224]",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = THROUGHPUT.search(done.stdout)
    if done.returncode != 0 or found is None:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        print(f"  benchmark_app {hint} batch {batch} failed: {tail[0]}", file=sys.stderr)
        return None
    return float(found.group(1))


def ceiling(runtime: str, max_batch: int, seconds: float) -> Ceiling | None:
    """The best of latency/batch 1, throughput/batch 1 and throughput/`max_batch`."""
    app = benchmark_app()
    if app is None or runtime not in PRECISION:
        return None
    graph = graph_path(runtime)
    tries = [("latency", 1), ("throughput", 1)]
    if max_batch > 1:
        tries.append(("throughput", max_batch))
    best: Ceiling | None = None
    for hint, batch in tries:
        figure = run_once(app, graph, PRECISION[runtime], hint, batch, seconds)
        print(
            f"  benchmark_app {runtime} ({PRECISION[runtime]}) {hint} batch {batch}: "
            f"{figure if figure is not None else 'failed'} img/s",
            file=sys.stderr,
        )
        if figure is not None and (best is None or figure > best.images_per_s):
            best = Ceiling(figure, f"{hint} hint, batch {batch}")
    return best

"""OpenVINO's own `benchmark_app` on the very graphs rnbench serves: the in-process ceiling.

benchmark_app feeds random tensors (no JPEG decode, no HTTP) to the compiled graph. The ceiling of
a runtime is benchmark_app at the best of the latency hint at batch 1 and the throughput hint at
batch 1 and at the server's batch limit. `make bench` chooses that setting once per runtime
(`choose`), then measures it again right before and right after every served round (`again`):
this VM's speed drifts by tens of percent within minutes (benchmark_app's int8 figure at batch 8
read 226, 171, 204, 127 and 143 img/s within one hour), so a round's ceiling is the mean of the
two, taken on both sides of its served run. Taking the best of the three settings in every round
instead would compare each served run with the luckiest of three noisy figures (bf16 at batch 1
and batch 8 read 67 and 106 img/s one minute apart). OpenVINO picks bf16 by itself
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


class CeilingProbe:
    """benchmark_app on one runtime's graph: the best setting chosen once, then measured again."""

    def __init__(self, runtime: str, max_batch: int, seconds: float) -> None:
        self.runtime = runtime
        self.max_batch = max_batch
        self.seconds = seconds
        self._app = benchmark_app() if runtime in PRECISION else None
        self._graph: Path | None = None
        self._chosen: tuple[str, int] | None = None

    def choose(self) -> Ceiling | None:
        """The best of latency/batch 1, throughput/batch 1 and throughput/`max_batch`, which
        `again` measures from now on (None without benchmark_app or a graph runtime)."""
        if self._app is None:
            return None
        self._graph = graph_path(self.runtime)
        tries = [("latency", 1), ("throughput", 1)]
        if self.max_batch > 1:
            tries.append(("throughput", self.max_batch))
        best: Ceiling | None = None
        for hint, batch in tries:
            figure = self._run(hint, batch)
            if figure is not None and (best is None or figure > best.images_per_s):
                best, self._chosen = Ceiling(figure, f"{hint} hint, batch {batch}"), (hint, batch)
        return best

    def again(self) -> float | None:
        """The chosen setting measured now (None before `choose`, or when it failed)."""
        if self._chosen is None:
            return None
        return self._run(*self._chosen)

    def _run(self, hint: str, batch: int) -> float | None:
        assert self._app is not None and self._graph is not None
        precision = PRECISION[self.runtime]
        figure = run_once(self._app, self._graph, precision, hint, batch, self.seconds)
        shown = f"{figure}" if figure is not None else "failed"
        print(
            f"  benchmark_app {self.runtime} ({precision}) {hint} batch {batch}: {shown} img/s",
            file=sys.stderr,
        )
        return figure

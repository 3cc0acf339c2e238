"""`make bench-loadgen`: the load generator's own capacity against a null endpoint, beside wrk.

A tiny node HTTP server on 127.0.0.1 answers every POST at once; wrk and rnbench (with full HDR
recording, 1 process, 2 processes and auto mode) load it with the same connections and body in
alternating rounds, and the medians are compared as ratios to wrk (absolute figures on a shared
machine drift from minute to minute; ratios measured back to back drift much less). The target
from issue 11: rnbench >= 0.4x wrk from one machine. Nothing here is a test: it prints what it
measured, with rnbench's client CPU per request and per process.

    .venv/bin/python tests/benchmarks/bench_loadgen.py [--seconds 5] [--rounds 3] [--connections 16]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from rnbench.core.loadgen import LocustLoadRun, run_load
from rnbench.core.loadgen.transport import HttpTarget
from rnbench.core.loadgen.types import LoadSpec

NULL_SERVER_JS = """
const http = require('http');
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, {'Content-Type': 'application/json', 'X-Rnbench-Inference-Ms': '0.01'});
    res.end('{"top5": []}');
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
"""


def start_null_server() -> tuple[subprocess.Popen[str], int]:
    node = shutil.which("node")
    if node is None:
        sys.exit("node is needed for the null endpoint")
    proc = subprocess.Popen([node, "-e", NULL_SERVER_JS], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def wrk_rps(port: int, body: bytes, connections: int, seconds: float, threads: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "body.bin").write_bytes(body)
        script = Path(tmp) / "post.lua"
        script.write_text(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/x-image"\n'
            f'local f = io.open("{tmp}/body.bin", "rb"); wrk.body = f:read("*a"); f:close()\n'
        )
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s", "-s", str(script)]
            + [f"http://127.0.0.1:{port}/invocations"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        sys.exit(f"could not read wrk's output:\n{out}")
    return float(match.group(1))


def rnbench_run(
    port: int, body: bytes, connections: int, seconds: float, processes: int, workers: int = 0
) -> tuple[float, float, int]:
    """(requests per second, client CPU ms per request, processes used); `workers` > 0 runs
    Locust workers instead of local load processes."""
    spec = LoadSpec(
        concurrency=connections,
        duration_s=seconds,
        warmup_s=1.0,
        processes=processes,
        workers=workers,
    )
    if workers:
        with LocustLoadRun(HttpTarget("127.0.0.1", port), body, spec) as run:
            run.start()
            summary = run.result(timeout=seconds + 180)
    else:
        summary = run_load(HttpTarget("127.0.0.1", port), body, spec)
    return summary.tps, summary.client_cpu_ms_per_request, summary.client_processes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--body-bytes", type=int, default=1024)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--locust", action="store_true", help="also Locust with 1 and 2 workers")
    parser.add_argument("--only-locust", action="store_true", help="wrk and Locust only")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (apt-get install wrk)")
    body = bytes(range(256)) * (args.body_bytes // 256 + 1)
    body = body[: args.body_bytes]
    server, port = start_null_server()
    results: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    try:
        for round_ in range(args.rounds):
            rps = wrk_rps(port, body, args.connections, args.seconds, args.wrk_threads)
            results.setdefault("wrk", []).append(rps)
            print(f"round {round_ + 1}: wrk {rps:,.0f} req/s", flush=True)
            runs = (
                []
                if args.only_locust
                else [
                    ("rnbench 1 process", 1, 0),
                    ("rnbench 2 processes", 2, 0),
                    ("rnbench auto", 0, 0),
                ]
            )
            if args.locust or args.only_locust:
                runs += [("locust 1 worker", 0, 1), ("locust 2 workers", 0, 2)]
            for label, processes, workers in runs:
                tps, cpu_ms, used = rnbench_run(
                    port, body, args.connections, args.seconds, processes, workers
                )
                results.setdefault(label, []).append(tps)
                cpu.setdefault(label, []).append(cpu_ms)
                print(
                    f"round {round_ + 1}: {label} ({used}) {tps:,.0f} req/s, "
                    f"{cpu_ms * 1000:.0f} us CPU/request",
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait(5)
    reference = statistics.median(results["wrk"])
    print(f"\nmedians over {args.rounds} rounds, {args.connections} connections:")
    for label, values in results.items():
        median = statistics.median(values)
        extra = (
            f", {statistics.median(cpu[label]) * 1000:.0f} us CPU/request" if label in cpu else ""
        )
        print(f"  {label:22} {median:10,.0f} req/s  {median / reference:5.2f}x wrk{extra}")


if __name__ == "__main__":
    main()

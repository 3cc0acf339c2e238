"""`python -m rnbench.inference.compile`: build the compiled runtime's ONNX export ahead of deploy.

The local backend's `compile` step runs this in a child process (torch stays out of the caller),
so that deploying `local-cpu-compiled` afterwards only loads the cached export. It prints one line
saying where the export is; errors are one line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import time

from rnbench.inference.errors import InferenceError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnbench.inference.compile",
        description="Export ResNet-50 to ONNX for the compiled runtime (cached).",
    )
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--weights", default=None, help="ResNet-50 state-dict file (.pth)")
    parser.add_argument("--rebuild", action="store_true", help="export again even if cached")
    args = parser.parse_args(argv)
    try:
        from rnbench.inference.runtimes import export_key, export_onnx
        from rnbench.inference.weights import build_model

        model, weights = build_model(args.weights)
        started = time.perf_counter()
        path = export_onnx(model, weights, rebuild=args.rebuild)
        seconds = time.perf_counter() - started
    except InferenceError as exc:
        print(f"compile: error: {exc}", file=sys.stderr)
        return 2
    print(f"ONNX export {export_key(weights)} ({weights.kind} weights) at {path} ({seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

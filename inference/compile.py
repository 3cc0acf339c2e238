"""`python -m rnbench.inference.compile`: build a runtime's graph ahead of deploy.

The local backend's `compile` step runs this in a child process (torch stays out of the caller),
so that deploying afterwards only loads cached files: the ONNX export (`compiled`, `bf16`), and
for `int8` the statically quantized graph, calibrated on real photographs. It prints one line per
step (the caller shows them as progress), ending with the runtime's agreement with fp32 eager.
Errors are one line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import time

from rnbench.inference.errors import InferenceError
from rnbench.inference.models import STUDY_MODEL, ModelSpec, build_torch_model, resolve_model

PHASE_PREFIX = "@phase "
"""A line `@phase <name>` says the next step starts (exporting, quantizing, checking agreement);
the caller labels its progress with it instead of showing the line."""


def _say(line: str) -> None:
    print(line, flush=True)


def _phase(name: str) -> None:
    print(f"{PHASE_PREFIX}{name}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnbench.inference.compile",
        description="Build a runtime's graph (ONNX export, int8 quantization), cached.",
    )
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--runtime", choices=("compiled", "bf16", "int8"), default="compiled")
    parser.add_argument("--weights", default=None, help="ResNet-50 state-dict file (.pth)")
    parser.add_argument("--rebuild", action="store_true", help="build again even if cached")
    parser.add_argument("--model", default=None, help="torchvision name or .pt/.pth/.onnx file")
    parser.add_argument("--input-size", type=int, default=None, help="input side in pixels")
    args = parser.parse_args(argv)
    try:
        spec = resolve_model(args.model, args.input_size)
        build(args.runtime, args.device, args.weights, args.rebuild, spec)
    except InferenceError as exc:
        print(f"compile: error: {exc}", file=sys.stderr)
        return 2
    return 0


def build(
    runtime: str,
    device: str,
    weights_path: str | None,
    rebuild: bool,
    spec: ModelSpec = STUDY_MODEL,
) -> None:
    """Export (and quantize), then load the runtime and measure its agreement; prints progress.

    Raises InferenceUsageError, DeviceUnavailable.
    """
    from rnbench.inference.agreement import describe, served_agreement
    from rnbench.inference.onnx_export import export_key, export_onnx
    from rnbench.inference.runtimes import load_runtime

    if runtime == "bf16":
        from rnbench.inference.errors import DeviceUnavailable
        from rnbench.inference.openvino_runtime import bf16_unavailable_reason

        reason = bf16_unavailable_reason()
        if reason is not None:
            raise DeviceUnavailable(f"bf16: {reason}")
    _phase("exporting")
    if spec.kind != "onnx":  # an ONNX file is its own graph: loading it below prepares it
        model, weights = build_torch_model(spec, weights_path)
        started = time.perf_counter()
        path = export_onnx(
            model, weights, rebuild=rebuild, model_key=spec.key, shape=spec.input.shape
        )
        seconds = time.perf_counter() - started
        key = export_key(weights, spec.key)
        _say(f"{spec.label} ONNX export {key} ({weights.kind} weights) at {path} ({seconds:.1f} s)")
        if runtime == "int8":
            from rnbench.inference.quantize import quantize_int8

            _phase("quantizing")
            started = time.perf_counter()
            path = quantize_int8(model, weights, rebuild=rebuild, spec=spec, progress=_say)
            _say(f"int8 graph at {path} ({time.perf_counter() - started:.1f} s)")
    _phase("checking agreement")
    loaded = load_runtime(runtime, device, weights_path, spec)
    agreement = served_agreement(loaded.runtime, loaded.reference, loaded.weights.kind, spec.input)
    _say(f"{runtime} {describe(agreement)}")


if __name__ == "__main__":
    from rnbench.inference.process_exit import exit_now

    exit_now(main())  # the export is written: skip the interpreter's slow teardown

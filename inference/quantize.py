"""The `int8` runtime's graph: static post-training quantization of the fp32 ONNX export.

ONNX Runtime's `quantize_static` writes a QDQ graph with per-channel int8 weights and uint8
activations whose ranges come from calibration on real photographs (`natural_images`). The result
is cached beside the fp32 export, under a key that changes with the export, the calibration set
and this recipe, and written atomically.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rnbench.core.paths import cache_dir
from rnbench.inference.natural_images import calibration_batches, calibration_identity
from rnbench.inference.runtimes import INPUT_NAME, export_key, export_onnx
from rnbench.inference.weights import WeightsInfo

if TYPE_CHECKING:
    from torch import nn

INT8_ENGINE = "openvino"
"""Which engine runs the int8 graph (see the module docstring for the measurement)."""
RECIPE = "ort-qdq|per-channel|w=s8|a=u8|minmax|v1"
"""What the quantizer does; part of the cache key."""


def int8_key(weights: WeightsInfo, calibration: str | None = None) -> str:
    """Cache key of the quantized graph."""
    parts = f"{export_key(weights)}|{RECIPE}|{calibration or calibration_identity()}"
    return hashlib.sha256(parts.encode()).hexdigest()[:20]


def quantize_int8(
    model: nn.Module,
    weights: WeightsInfo,
    *,
    rebuild: bool = False,
    calibration_images: int | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> Path:
    """The cached int8 QDQ graph of `model`, built (export, calibrate, quantize) when missing.

    `calibration_images` limits the photographs used (tests use a few; None means all).
    """
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    identity = calibration_identity() + (f"[:{calibration_images}]" if calibration_images else "")
    folder = cache_dir() / "onnx"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{int8_key(weights, identity)}.int8.onnx"
    if target.is_file() and not rebuild:
        return target
    source = export_onnx(model, weights)
    batches = calibration_batches(calibration_images)
    progress(f"int8: calibrating on {len(batches)} inputs from real photographs")

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._feeds = iter([{INPUT_NAME: batch} for batch in batches])

        def get_next(self) -> dict[str, object] | None:
            return next(self._feeds, None)

    handle, tmp_name = tempfile.mkstemp(dir=folder, prefix=".int8-", suffix=".onnx")
    os.close(handle)
    prepared = tmp_name + ".pre.onnx"
    try:
        quant_pre_process(str(source), prepared)
        quantize_static(
            prepared,
            tmp_name,
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
        )
        os.replace(tmp_name, target)
    finally:
        for leftover in (tmp_name, prepared):
            if os.path.exists(leftover):
                os.unlink(leftover)
    return target

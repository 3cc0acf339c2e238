"""The `int8` runtime's graph: static post-training quantization of the fp32 ONNX export.

ONNX Runtime's `quantize_static` writes a QDQ graph with per-channel int8 weights and uint8
activations whose ranges come from calibration on real photographs (`natural_images`). The result
is cached beside the fp32 export, under a key that changes with the export, the calibration set
and this recipe, and written atomically.

Why ONNX Runtime's quantizer and OpenVINO to run its graph: measured here (2-core AMD EPYC, AVX2
without VNNI, random weights, a machine shared with other jobs so only the ordering counts), ORT
`quantize_static` built the graph in 20-25 s against NNCF's 33-49 s, with a smaller logit
deviation from eager (max 2.2 against 6.7-8.9 for NNCF's ONNX and OpenVINO paths), and needs no
further dependency; OpenVINO ran that QDQ graph faster than ONNX Runtime in every alternating
round at batch 8 (medians 5.3 vs 4.8 img/s under that load) and in two of three at batch 1.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rnbench.inference.cache import cache_dir
from rnbench.inference.graph import INPUT_NAME
from rnbench.inference.models import STUDY_MODEL, ModelSpec
from rnbench.inference.natural_images import calibration_batches, calibration_identity
from rnbench.inference.onnx_export import export_key, export_onnx
from rnbench.inference.weights import WeightsInfo

if TYPE_CHECKING:
    from torch import nn

INT8_ENGINE = "openvino"
"""Which engine runs the int8 graph, `openvino` or `onnxruntime` (see the module docstring)."""
RECIPE = "ort-qdq|per-channel|w=s8|a=u8|minmax|v1"
"""What the quantizer does; part of the cache key."""


def int8_key(
    weights: WeightsInfo, calibration: str | None = None, model_key: str = "resnet50"
) -> str:
    """Cache key of the quantized graph."""
    parts = f"{export_key(weights, model_key)}|{RECIPE}|{calibration or calibration_identity()}"
    return hashlib.sha256(parts.encode()).hexdigest()[:20]


def quantize_int8(
    model: nn.Module | None,
    weights: WeightsInfo,
    *,
    rebuild: bool = False,
    spec: ModelSpec = STUDY_MODEL,
    source: Path | None = None,
    calibration_images: int | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> Path:
    """The cached int8 QDQ graph of `model`, built (export, calibrate, quantize) when missing.

    `calibration_images` limits the photographs used (tests use a few; None means all). The
    photographs go through `spec`'s own preprocessing; `source` is the fp32 graph when the model is
    an ONNX file (`model` is then None), else the cached export of `model`.
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
    target = folder / f"{int8_key(weights, identity, spec.key)}.int8.onnx"
    if target.is_file() and not rebuild:
        return target
    if source is None:
        assert model is not None, "a torch model or an ONNX source is needed"
        source = export_onnx(model, weights, model_key=spec.key, shape=spec.input.shape)
    batches = calibration_batches(calibration_images, spec.input)
    progress(f"int8: calibrating on {len(batches)} inputs from real photographs")

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._feeds: Iterator[dict[str, np.ndarray]] = iter(
                [{INPUT_NAME: batch} for batch in batches]
            )

        def get_next(self) -> dict[str, np.ndarray] | None:
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

"""The model a SageMaker endpoint serves: the chosen model as a TorchScript file, and what it is.

A torchvision model (ResNet-50 by default) is traced to TorchScript at its input size and cached
per model, input size, weights and torch version; the user's own TorchScript file is served as
it is. Either way it is run once on a zero image here, which refuses a model whose output is not
[N, classes] and counts its parameters and GFLOPs (kept beside it in the cache). An ONNX file has
no SageMaker container to load it: its rows are unavailable (`ONNX_REASON`).

The handler reads the model's input pipeline from `code/model.json` (`handler_config`); the
endpoint's tags carry the model's identity (`model_tags`), read back into every deployment's
details (`model_details`) so SageMaker runs record the model they measured, as local ones do.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rnbench.core.backends.sagemaker.loadable import load_problem
from rnbench.core.errors import UsageError, speaks_engine_errors
from rnbench.core.paths import cache_dir
from rnbench.inference.models import DEFAULT_MODEL, STUDY_MODEL, ModelSpec

ONNX_REASON = "ONNX file: local only; convert to TorchScript to deploy on SageMaker"
"""Why an ONNX model's SageMaker rows are unavailable."""
HANDLER_CONFIG = "model.json"
"""The handler's input settings, beside it in code/."""
MODEL_KEY = "rnbench:model-key"
"""Tag: `ModelSpec.key` of the served model (absent on endpoints older than the model choice:
those serve ResNet-50)."""
MODEL = "rnbench:model"
MODEL_KIND = "rnbench:model-kind"
MODEL_SHA256 = "rnbench:model-sha256"
MODEL_PARAMS = "rnbench:model-params"
MODEL_GFLOPS = "rnbench:model-gflops"
INPUT_SIZE = "rnbench:input-size"
WEIGHTS = "rnbench:weights"
_TAG_UNSAFE = re.compile(r"[^\w .:/=+\-@]")
"""Characters SageMaker tag values may not hold."""


@dataclass(frozen=True)
class ServedModel:
    """The TorchScript file an endpoint loads, and the model it is."""

    path: Path
    """The TorchScript file packed as model.pth."""
    spec: ModelSpec
    weights: str
    """`pretrained`, `random` or `file` (the user's own TorchScript)."""
    params: int | None
    gflops: float | None
    """Per image at the model's input size; None: not counted."""
    writer: str
    """The torch version that wrote the file (for a user's file, this torch: assumed)."""
    stem: str
    """Names its archives in the cache: changes with the model, weights and torch."""

    def load_problem(self, framework: str) -> str | None:
        """Why PyTorch `framework` cannot load this model; None when it can.

        Raises UsageError: the file is not a TorchScript archive.
        """
        return load_problem(self.path, framework, self.writer)

    def handler_config(self) -> bytes:
        """`code/model.json`: what the handler resizes, crops and normalises to."""
        spec = self.spec.input
        config = {
            "model": self.spec.label,
            "resize": spec.resize,
            "crop": spec.crop,
            "mean": list(spec.mean),
            "std": list(spec.std),
        }
        return (json.dumps(config, indent=1, sort_keys=True) + "\n").encode()

    def tags(self) -> list[dict[str, str]]:
        """The model's identity as SageMaker tags (values stripped of characters tags refuse)."""
        values = {
            MODEL_KEY: self.spec.key,
            MODEL: _TAG_UNSAFE.sub("_", self.spec.name)[:200],
            MODEL_KIND: self.spec.kind,
            INPUT_SIZE: str(self.spec.input.crop),
            WEIGHTS: self.weights,
        }
        if self.spec.sha256:
            values[MODEL_SHA256] = self.spec.sha256
        if self.params is not None:
            values[MODEL_PARAMS] = str(self.params)
        if self.gflops is not None:
            values[MODEL_GFLOPS] = repr(self.gflops)
        return [{"Key": key, "Value": value} for key, value in values.items()]


def served_key(tags: Mapping[str, str]) -> str:
    """The `ModelSpec.key` an endpoint with these tags serves."""
    return tags.get(MODEL_KEY, STUDY_MODEL.key)


def served_text(tags: Mapping[str, str]) -> str:
    """`resnet18 (160 px)`: the model an endpoint with these tags serves, for messages."""
    details = model_details(tags)
    return f"{details.get('model', STUDY_MODEL.label)} ({details.get('input_size', '224')} px)"


def model_details(tags: Mapping[str, str]) -> dict[str, str]:
    """Deployment details naming the model an endpoint serves, as a local server reports them;
    {} for an endpoint from before the model choice (ResNet-50, which records default to)."""
    if MODEL_KEY not in tags:
        return {}
    kind, name = tags.get(MODEL_KIND, "torchvision"), tags.get(MODEL, DEFAULT_MODEL)
    label = name if kind == "torchvision" else f"{name}#{tags.get(MODEL_SHA256, '')[:8]}"
    details = {"model": label, "model_kind": kind, "input_size": tags.get(INPUT_SIZE, "224")}
    for tag, key in ((MODEL_PARAMS, "model_params"), (MODEL_GFLOPS, "model_gflops")):
        if tag in tags:
            details[key] = tags[tag]
    return details


def _cache() -> Path:
    path: Path = cache_dir() / "sagemaker"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _weights_tag(spec: ModelSpec) -> str:
    """What names the weights in the cache: the weights file (name and size), or `random`."""
    from rnbench.inference.models import hub_checkpoint
    from rnbench.inference.weights import find_weights

    found = find_weights() if spec.name == DEFAULT_MODEL else hub_checkpoint(spec.name)
    return f"{found.name}-{found.stat().st_size}" if found is not None else "random"


def _trace(spec: ModelSpec, dest: Path, progress: Callable[[str], None]) -> None:
    import torch

    from rnbench.inference.models import build_torch_model

    progress(f"tracing {spec.label} to TorchScript at {spec.input.crop} px")
    model, _ = build_torch_model(spec)
    partial = dest.with_suffix(".partial")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # "jit.trace is deprecated"
        traced = torch.jit.trace(model, torch.zeros(spec.input.shape))  # type: ignore[no-untyped-call]
        torch.jit.save(traced, str(partial))  # type: ignore[no-untyped-call]
    partial.replace(dest)


def _identity(path: Path, spec: ModelSpec, record: Path) -> tuple[int | None, float | None]:
    """(parameters, GFLOPs) of the TorchScript file, counted once and kept in `record`.

    Raises InferenceUsageError: not TorchScript, or not a classifier of the model's input.
    """
    try:
        known = json.loads(record.read_text("utf-8"))
        return known["params"], known["gflops"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    from rnbench.inference.model_identity import torch_cost
    from rnbench.inference.models import build_torch_model

    loaded = ModelSpec(spec.name, "torchscript", str(path), spec.sha256, spec.input)
    module, _ = build_torch_model(loaded)
    cost = torch_cost(module, spec)
    partial = record.with_suffix(".partial")
    partial.write_text(json.dumps({"params": cost.params, "gflops": cost.gflops}), "utf-8")
    partial.replace(record)
    return cost.params, cost.gflops


@speaks_engine_errors
def served_model(spec: ModelSpec, progress: Callable[[str], None]) -> ServedModel:
    """`spec` as the TorchScript file SageMaker serves (traced and cached on first use).

    Raises:
        UsageError: an ONNX file; a file that is not TorchScript; a model whose output is not
            [N, classes]; a named weights file that is unusable.
    """
    import torch

    if spec.kind == "onnx":
        raise UsageError(f"{spec.label}: {ONNX_REASON}")
    writer = torch.__version__
    if spec.kind == "torchscript":
        path, weights = Path(spec.path), "file"
        stem = f"torchscript-{spec.sha256}-{spec.input.crop}"
    else:
        tag = _weights_tag(spec)
        weights = "random" if tag == "random" else "pretrained"
        key = re.sub(r"[^A-Za-z0-9_.-]", "_", spec.key)
        stem = f"{key}-{tag}-torch{writer}"
        path = _cache() / f"{stem}.pth"
        if not path.exists():
            _trace(spec, path, progress)
    params, gflops = _identity(path, spec, _cache() / f"{stem}.json")
    return ServedModel(path, spec, weights, params, gflops, writer, stem)

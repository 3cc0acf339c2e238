"""The model the front ends chose: `--model`/`--input-size`, else config.toml's `model` and
`input_size`, else the study's ResNet-50. Checked once, before anything is deployed."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Any

from rnbench.core.errors import UsageError, leaf_errors_mapped
from rnbench.core.model_file import check_model_file
from rnbench.core.paths import data_dir
from rnbench.inference.models import STUDY_MODEL, ModelSpec, resolve_model

CONFIG_FILE = "config.toml"
"""rnbench's config file in its data folder (shared with the SageMaker settings)."""
CONFIG_KEYS = ("model", "input_size")
"""Top-level keys of config.toml read here."""


@dataclass(frozen=True)
class ModelChoice:
    """What the user asked for and what it resolved to."""

    model: str | None = None
    """The name or file as given; None: ResNet-50."""
    input_size: int | None = None
    """The input side as given; None: the model's own, else 224."""
    spec: ModelSpec = field(default_factory=lambda: STUDY_MODEL)
    """The resolved model."""

    @property
    def server_args(self) -> list[str]:
        """Arguments that make the inference server (or compile step) load this model."""
        args = ["--model", self.spec.path or self.spec.name] if self.model else []
        return args + (["--input-size", str(self.input_size)] if self.input_size else [])


def _config_values() -> dict[str, Any]:
    try:
        data: Any = tomllib.loads((data_dir() / CONFIG_FILE).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}  # the SageMaker settings report a bad file
    return {k: data[k] for k in CONFIG_KEYS if isinstance(data, dict) and k in data}


def choose_model(model: str | None = None, input_size: int | None = None) -> ModelChoice:
    """The model from the front end's options, else config.toml, else ResNet-50.

    Raises UsageError: an unknown name (with close matches), a missing or unsupported file, a
    file that is not the TorchScript or ONNX its name says, a bad input size (config.toml's
    too: not a whole number).
    """
    config = _config_values()
    model = model or (str(config["model"]) if config.get("model") else None)
    size = config.get("input_size")
    if input_size is None and size is not None:
        if not isinstance(size, int) or isinstance(size, bool):
            path = data_dir() / CONFIG_FILE
            raise UsageError(f"{path}: input_size must be a whole number, got {size!r}")
        input_size = size
    with leaf_errors_mapped():
        spec = resolve_model(model, input_size)
    check_model_file(spec)
    return ModelChoice(model, input_size, spec)

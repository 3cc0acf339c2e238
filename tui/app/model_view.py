"""Which model the grid measures, as the TUI says it, and which stored runs are of it.

A run is of the current model when it names the same model (`RunRecord.model`: a torchvision
name, or `file.onnx#sha` for a file) at the same input size: runs of different models are never
compared (issue 16). The study's published figures are ResNet-50's at 224 px, so only that
model's rows are set beside them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from rnbench.inference.input_spec import STUDY_INPUT
from rnbench.inference.models import DEFAULT_MODEL, STUDY_MODEL, ModelSpec
from rnbench.results.record import RunRecord

SHOWN_NAMES = 8
"""How many torchvision names the model dialog lists at a time."""


def is_study_model(spec: ModelSpec) -> bool:
    """ResNet-50 at the study's input size: its runs compare with the published figures."""
    return (
        spec.kind == "torchvision"
        and spec.name == DEFAULT_MODEL
        and spec.input.crop == STUDY_INPUT.crop
    )


def describe(spec: ModelSpec) -> str:
    """`resnet18 · 224 px`; the study's own model says it is."""
    if is_study_model(spec):
        return f"ResNet-50 · {spec.input.crop} px, the study's model"
    return model_text(spec)


def model_text(spec: ModelSpec) -> str:
    """`resnet18 · 224 px`, as `measured_model` says it of a run of this model."""
    return f"{spec.label} · {spec.input.crop} px"


def measured_model(record: RunRecord) -> str:
    """The model a run measured: `resnet18 · 224 px`."""
    return f"{record.model} · {record.input_size} px"


STUDY_TEXT = model_text(STUDY_MODEL)
"""What the study measured: its published rows' model."""


def is_of(record: RunRecord, spec: ModelSpec) -> bool:
    """Whether `record` measured the model `spec` (same model, same input size)."""
    return record.model == spec.label and record.input_size == spec.input.crop


def of_model(records: Iterable[RunRecord], spec: ModelSpec) -> list[RunRecord]:
    return [r for r in records if is_of(r, spec)]


def names_hint(names: Sequence[str], typed: str) -> str:
    """Some of torchvision's classifier names for the dialog: those containing what was typed."""
    if not names:
        return ""
    typed = typed.strip().lower()
    matches = [n for n in names if typed in n] if typed else list(names)
    if not matches:
        close = difflib.get_close_matches(typed, names, n=4)
        if close:
            return f"no torchvision classifier contains {typed!r}; close: {', '.join(close)}"
        return f"no torchvision classifier is named like {typed!r} (a file path works too)"
    shown = ", ".join(matches[:SHOWN_NAMES]) + (", …" if len(matches) > SHOWN_NAMES else "")
    if typed and len(matches) < len(names):
        return f"{len(matches)} of torchvision's {len(names)} classifiers: {shown}"
    return f"torchvision's {len(names)} classifiers: {shown}"

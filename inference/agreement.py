"""How closely a runtime reproduces fp32 eager PyTorch, measured on real photographs.

Every runtime (eager on CUDA, ONNX Runtime, OpenVINO bf16, int8) is compared with eager fp32 on
the CPU over the same inputs, one image at a time: top-1 agreement (same best class), top-5
agreement (same set of five best classes), and the largest and mean absolute logit difference.
With random weights the classes mean nothing, so the figures are a numerics check only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rnbench.inference.graph import Runtime, softmax, takes_pixels
from rnbench.inference.input_spec import STUDY_INPUT, InputSpec

TOP_K = 5


@dataclass(frozen=True)
class Agreement:
    """A runtime's outputs against fp32 eager on the same inputs."""

    top1_agreement: float
    """Fraction of inputs whose best class is the same (1.0 = all)."""
    top5_agreement: float
    """Fraction of inputs whose five best classes are the same set."""
    max_logit_deviation: float
    """Largest absolute logit difference over every input and class."""
    mean_logit_deviation: float
    """Mean absolute logit difference over every input and class."""
    max_prob_deviation: float
    """Largest absolute softmax-probability difference."""
    inputs: int
    """How many inputs were compared."""
    weights: str
    """`pretrained` or `random`: with random weights this is a numerics check only."""

    @property
    def top1_equal(self) -> bool:
        """Top-1 class identical on every input."""
        return self.top1_agreement == 1.0


def _top5(logits: np.ndarray) -> np.ndarray:
    return np.sort(np.argpartition(-logits, TOP_K, axis=1)[:, :TOP_K], axis=1)


def measure_agreement(
    runtime: Runtime,
    reference: Runtime,
    inputs: Sequence[np.ndarray],
    weights: str,
    runtime_inputs: Sequence[np.ndarray] | None = None,
) -> Agreement:
    """Compare `runtime` with `reference` (fp32 eager) on `inputs` (batches of one or more);
    `runtime_inputs`, when given, are the same images in the form `runtime` takes (its uint8
    pixels, say), fed to it instead of `inputs`."""
    if not inputs:
        raise ValueError("agreement needs at least one input")
    fed = inputs if runtime_inputs is None else runtime_inputs
    if len(fed) != len(inputs):
        raise ValueError("runtime_inputs must hold the same images as inputs")
    if runtime is reference:  # eager on the CPU is the reference itself: agreement is exact
        count = sum(int(batch.shape[0]) for batch in inputs)
        return Agreement(1.0, 1.0, 0.0, 0.0, 0.0, inputs=count, weights=weights)
    want = np.concatenate([reference.logits(batch) for batch in inputs]).astype(np.float64)
    got = np.concatenate([runtime.logits(batch) for batch in fed]).astype(np.float64)
    difference = np.abs(got - want)
    probabilities = np.abs(softmax(got) - softmax(want))
    return Agreement(
        top1_agreement=float(np.mean(got.argmax(axis=1) == want.argmax(axis=1))),
        top5_agreement=float(np.mean(np.all(_top5(got) == _top5(want), axis=1))),
        max_logit_deviation=float(difference.max()),
        mean_logit_deviation=float(difference.mean()),
        max_prob_deviation=float(probabilities.max()),
        inputs=int(got.shape[0]),
        weights=weights,
    )


def served_agreement(
    runtime: Runtime,
    reference: Runtime,
    weights: str,
    spec: InputSpec = STUDY_INPUT,
    count: int | None = None,
) -> Agreement:
    """`measure_agreement` on the photographs, each runtime fed as the server feeds it: the
    reference the normalised batches, `runtime` its uint8 pixels where it takes those."""
    from rnbench.inference.natural_images import agreement_pixels
    from rnbench.inference.preprocess import normalise

    pixels = agreement_pixels(count, spec)
    batches = [normalise(p, spec) for p in pixels]
    served = pixels if takes_pixels(runtime) else None
    return measure_agreement(runtime, reference, batches, weights, served)


def describe(agreement: Agreement) -> str:
    """One line for logs and progress: `top-1 18/19, top-5 ..., logit dev max .. mean ..`."""
    n = agreement.inputs
    caveat = " (random weights: numerics check only)" if agreement.weights == "random" else ""
    return (
        f"vs fp32 eager on {n} photographs: top-1 {round(agreement.top1_agreement * n)}/{n}, "
        f"top-5 {round(agreement.top5_agreement * n)}/{n}, logit deviation max "
        f"{agreement.max_logit_deviation:.3g} mean {agreement.mean_logit_deviation:.3g}{caveat}"
    )

"""Turn a runtime's probabilities into the response body: top-5 indices, probabilities, labels."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

TOP_K = 5
"""How many classes a response lists."""


@lru_cache(maxsize=1)
def labels() -> tuple[str, ...]:
    """The 1000 ImageNet class names in index order (from torchvision, available offline)."""
    from rnbench.inference.weights import imagenet_labels

    return tuple(imagenet_labels())


def top_k(probabilities: np.ndarray, k: int = TOP_K) -> dict[str, Any]:
    """The JSON-able answer for one image: {"top5": [{"index", "label", "probability"}, ...]}.

    `probabilities` is [1, classes] or [classes]; entries are ordered by descending probability.
    ImageNet's 1000 classes carry their labels; another model's classes are named `class N`.
    """
    row = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    imagenet = labels()
    names = imagenet if row.shape[0] == len(imagenet) else [f"class {i}" for i in range(len(row))]
    best = np.argsort(-row, kind="stable")[: min(k, len(row))]
    return {
        "top5": [
            {"index": int(i), "label": names[int(i)], "probability": float(row[int(i)])}
            for i in best
        ]
    }

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

    `probabilities` is [1, 1000] or [1000]; entries are ordered by descending probability.
    Raises ValueError when it is not a 1000-class vector.
    """
    row = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    names = labels()
    if row.shape[0] != len(names):
        raise ValueError(f"expected {len(names)} class probabilities, got {row.shape[0]}")
    best = np.argpartition(-row, k)[:k]
    best = best[np.argsort(-row[best], kind="stable")]
    return {
        "top5": [
            {"index": int(i), "label": names[int(i)], "probability": float(row[int(i)])}
            for i in best
        ]
    }

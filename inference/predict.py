"""Turn a runtime's probabilities into the response body: top-5 indices, probabilities, labels."""

from __future__ import annotations

import json
from collections.abc import Sequence
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
    best = np.argsort(-row, kind="stable")[: min(k, len(row))]
    return _payload(row, best.tolist(), _names(len(row)))


def response_bodies(probabilities: np.ndarray, k: int = TOP_K) -> list[bytes]:
    """`top_k`'s answer for each row of a [N, classes] batch, as the JSON bytes the server sends
    (compact UTF-8, as Starlette's JSONResponse renders it). The batching thread makes them for
    a whole batch at once, so the server's event loop only sends them."""
    rows = np.asarray(probabilities, dtype=np.float64).reshape(len(probabilities), -1)
    names = _names(rows.shape[1])
    best = np.argsort(-rows, axis=1, kind="stable")[:, : min(k, rows.shape[1])].tolist()
    return [
        json.dumps(
            _payload(row, picks, names), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")
        for row, picks in zip(rows, best, strict=True)
    ]


def _names(classes: int) -> Sequence[str]:
    """ImageNet's labels for its 1000 classes; `class N` for another model's."""
    imagenet = labels()
    return imagenet if classes == len(imagenet) else [f"class {i}" for i in range(classes)]


def _payload(row: np.ndarray, best: list[int], names: Sequence[str]) -> dict[str, Any]:
    return {"top5": [{"index": i, "label": names[i], "probability": float(row[i])} for i in best]}

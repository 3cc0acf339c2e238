"""The SageMaker backend: the study's five configurations as real SageMaker endpoints.

Importing this package is cheap: its names are loaded on first use (PEP 562), and boto3, the
SageMaker SDK and torch are imported inside the functions that need them, because the TUI
imports the engine at start-up and draws its first frame before the engine is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rnbench.core.lazy_names import loader

if TYPE_CHECKING:
    from rnbench.core.backends.sagemaker.backend import SageMakerBackend
    from rnbench.core.backends.sagemaker.identity import unavailable_reason
    from rnbench.core.backends.sagemaker.leftovers import Leftover
    from rnbench.core.backends.sagemaker.runtime import SageMakerTarget
    from rnbench.core.backends.sagemaker.settings import SageMakerSettings

_HOMES = {
    "Leftover": "leftovers",
    "SageMakerBackend": "backend",
    "SageMakerSettings": "settings",
    "SageMakerTarget": "runtime",
    "unavailable_reason": "identity",
}
"""Each exported name and the module of this package that defines it (`leftovers()` is not
exported: it would shadow its own module)."""


__getattr__ = loader(__name__, _HOMES)


__all__ = [
    "Leftover",
    "SageMakerBackend",
    "SageMakerSettings",
    "SageMakerTarget",
    "unavailable_reason",
]

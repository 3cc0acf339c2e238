"""The SageMaker backend: the study's five configurations as real SageMaker endpoints.

Importing this package is cheap: boto3, the SageMaker SDK and torch are imported inside the
functions that need them, because the TUI imports the engine at start-up.
"""

from rnbench.core.backends.sagemaker.backend import SageMakerBackend
from rnbench.core.backends.sagemaker.identity import unavailable_reason
from rnbench.core.backends.sagemaker.leftovers import Leftover, leftovers
from rnbench.core.backends.sagemaker.runtime import SageMakerTarget
from rnbench.core.backends.sagemaker.settings import SageMakerSettings

__all__ = [
    "Leftover",
    "SageMakerBackend",
    "SageMakerSettings",
    "SageMakerTarget",
    "leftovers",
    "unavailable_reason",
]

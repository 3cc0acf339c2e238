"""The SageMaker backend: the study's five configurations as real SageMaker endpoints.

Importing this package is cheap: boto3, the SageMaker SDK and torch are imported inside the
functions that need them, because the TUI imports the engine at start-up.
"""

from rnbench.core.sagemaker.backend import SageMakerBackend
from rnbench.core.sagemaker.leftovers import Leftover, leftovers
from rnbench.core.sagemaker.runtime import SageMakerTarget
from rnbench.core.sagemaker.settings import SageMakerSettings, unavailable_reason

__all__ = [
    "Leftover",
    "SageMakerBackend",
    "SageMakerSettings",
    "SageMakerTarget",
    "leftovers",
    "unavailable_reason",
]

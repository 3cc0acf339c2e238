"""What a model expects of its input image: resize, centre crop and normalisation.

ResNet-50 in the study takes torchvision's ImageNet pipeline (Resize(255), CenterCrop(224),
ImageNet mean/std); another model brings its own numbers (from its weights' `transforms()`, or
`--input-size`). Preprocessing, the ONNX export, int8 calibration and the SageMaker handler all
take one `InputSpec`, so they never disagree about a model's input.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputSpec:
    """How request bytes become a model's [N, 3, crop, crop] float32 batch."""

    resize: int = 255
    """Shorter side after Resize (bilinear), aspect kept."""
    crop: int = 224
    """Side of the centre crop: the model's input height and width."""
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    """Channel means of Normalize (ImageNet's by default)."""
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    """Channel standard deviations of Normalize."""

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """The batch-of-one input shape, NCHW."""
        return (1, 3, self.crop, self.crop)


STUDY_INPUT = InputSpec()
"""The study's ResNet-50 pipeline."""

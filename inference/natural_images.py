"""Real photographs for calibrating `int8` and for measuring every runtime's agreement with eager.

The sample images scikit-image ships in its wheel (nothing is downloaded) and the study's JPEG,
through the study's preprocessing. Calibration sees them mirrored and cropped differently from
the agreement check, so the two sets share scenes but not inputs.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
from PIL import Image, ImageOps

from rnbench.inference.input_spec import STUDY_INPUT, InputSpec
from rnbench.inference.preprocess import crop_pixels, normalise, preprocess_pixels, to_batch

SKIMAGE_IMAGES = (
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "colorwheel",
    "logo",
    "camera",
    "coins",
    "moon",
    "brick",
    "grass",
    "gravel",
    "page",
    "text",
)
"""scikit-image sample images used (grey ones are converted to RGB, as PIL would a grey JPEG)."""
STUDY_IMAGE = "doggo.jpg"
"""The study's request image (in rnbench.core's package data)."""


@lru_cache(maxsize=1)
def photographs() -> tuple[tuple[str, Image.Image], ...]:
    """(name, RGB image) for the study's JPEG and every scikit-image sample image.

    Raises ImportError when scikit-image is not installed.
    """
    import io

    import skimage.data

    study = resources.files("rnbench.core").joinpath("data", STUDY_IMAGE).read_bytes()
    found = [(STUDY_IMAGE, Image.open(io.BytesIO(study)).convert("RGB"))]
    for name in SKIMAGE_IMAGES:
        pixels = np.asarray(getattr(skimage.data, name)())
        if pixels.dtype == np.bool_:
            pixels = pixels.astype(np.uint8) * 255
        found.append((name, Image.fromarray(pixels).convert("RGB")))
    return tuple(found)


def agreement_pixels(count: int | None = None, spec: InputSpec = STUDY_INPUT) -> list[np.ndarray]:
    """The photographs resized and cropped, one uint8 [1, crop, crop, 3] batch each (what the
    runtimes that normalise in their graph are fed). The study's JPEG goes through the very bytes
    path the server uses (`preprocess_pixels`)."""
    chosen = photographs()[:count] if count else photographs()
    study = resources.files("rnbench.core").joinpath("data", STUDY_IMAGE).read_bytes()
    return [
        preprocess_pixels(study, spec) if name == STUDY_IMAGE else crop_pixels(im, spec)[None]
        for name, im in chosen
    ]


def agreement_batches(count: int | None = None, spec: InputSpec = STUDY_INPUT) -> list[np.ndarray]:
    """The photographs through the study's preprocessing, one [1, 3, 224, 224] batch each: the
    `agreement_pixels` normalised (for the study's JPEG, exactly what `preprocess` returns)."""
    return [normalise(pixels, spec) for pixels in agreement_pixels(count, spec)]


def calibration_batches(
    count: int | None = None, spec: InputSpec = STUDY_INPUT
) -> list[np.ndarray]:
    """Calibration inputs: each photograph mirrored, and a tighter crop of it (2 per image)."""
    batches = []
    for _, image in photographs()[:count] if count else photographs():
        batches.append(to_batch(ImageOps.mirror(image), spec))
        width, height = image.size
        inset_w, inset_h = width // 8, height // 8
        cropped = image.crop((inset_w, inset_h, width - inset_w, height - inset_h))
        batches.append(to_batch(cropped, spec))
    return batches


def calibration_identity() -> str:
    """A short string naming the calibration set (part of the int8 cache key)."""
    return "skimage+doggo:" + ",".join(SKIMAGE_IMAGES) + ":mirror+crop"

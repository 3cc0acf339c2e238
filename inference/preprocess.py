"""The study's request handling: image bytes -> a normalised [1, 3, 224, 224] float32 batch, or
the uint8 [1, 224, 224, 3] pixels for a graph that normalises them itself (OpenVINO's).

The study's torchvision pipeline (PIL decode, Resize(255), CenterCrop(224), ToTensor, Normalize
with ImageNet mean/std) done without torch, so that it is cheap (`make bench` measures its CPU
time per image). Untrusted bytes are checked before they are decoded: only JPEG and PNG, no
decompression bombs, no truncated files.

Tolerance against that pipeline:
- an image Resize shrinks is resized by PIL, as torchvision does: equal within float32 rounding
  (1e-6 after normalising);
- an image Resize enlarges (the study's own 224 px JPEG) is resized by OpenCV's SIMD bilinear
  resize, which for enlarging is the same interpolation as PIL's but rounds once instead of after
  each pass: each uint8 value within ENLARGED_TOLERANCE (1) grey level of PIL's (about a fifth of
  the values differ by one), so within 1 / (255 std) = 0.0175 after normalising. On the study's
  JPEG it takes resize + crop from 1.46 to 0.21 ms of CPU, and `preprocess_pixels` from about 2
  to 0.6-0.8 ms (2026-12-03), with the pixels kept in simplejpeg's array (`decode_rgb`) rather
  than copied into a PIL image and out again. Where OpenCV is not installed, PIL
  resizes everything.

Baseline and progressive YCbCr or grey JPEGs are decoded by simplejpeg (libjpeg-turbo's TurboJPEG
API, accurate DCT and smooth upsampling, as PIL asks of libjpeg): the same pixels (tested on the
18 photographs in four encodings), in 0.55 ms of CPU against PIL's 0.88 on the study's JPEG,
which takes `preprocess_pixels` from 2.45 to 2.10 ms (6 paired rounds, 2026-12-03); PIL parses
a JPEG's markers in Python before libjpeg decodes it. Anything else, or anything simplejpeg
refuses, goes through PIL, which also words the errors.

Not used, because they break the 1e-6 of shrinking: PIL's reduced-size JPEG decoding
(`Image.draft`, DCT scaling) and `reducing_gap` on resize. On a 2048x2048 JPEG they cut the CPU
time 4x and 1.4-1.6x but moved values by up to 0.58 and 0.03-0.12 (tens of grey levels); on the
study's 224 px JPEG, which Resize(255) enlarges, they cannot apply at all.
"""

from __future__ import annotations

import io
import warnings
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from rnbench.inference.contract import MAX_IMAGE_PIXELS
from rnbench.inference.input_spec import STUDY_INPUT, InputSpec

RESIZE = STUDY_INPUT.resize
"""Shorter side after Resize, as in the study."""
CROP = STUDY_INPUT.crop
"""Side of the centre crop, as in the study."""
MEAN = STUDY_INPUT.mean
"""ImageNet channel means (torchvision's Normalize in the study)."""
STD = STUDY_INPUT.std
"""ImageNet channel standard deviations."""
FORMATS = ("JPEG", "PNG")
"""Decoders PIL may use (its JPEG decoder also reads the multi-picture JPEGs cameras write)."""


class BadImage(ValueError):
    """The request body is not an acceptable image; str() is one line for the client."""


def resized_size(width: int, height: int, resize: int = RESIZE) -> tuple[int, int]:
    """(width, height) after torchvision's Resize(resize): shorter side `resize`, aspect kept."""
    if width <= height:
        return resize, int(resize * height / width)
    return int(resize * width / height), resize


def _open(data: bytes) -> Image.Image:
    if not data:
        raise BadImage("empty body: expected a JPEG or PNG image")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise BadImage("image too large: refused as a decompression bomb") from None
        except UnidentifiedImageError:
            raise BadImage("not a JPEG or PNG image") from None
        except (OSError, SyntaxError, ValueError) as error:
            raise BadImage(f"unreadable image: {_one_line(error)}") from None
    _check_size(*image.size)
    return image


def _check_size(width: int, height: int) -> None:
    """Raises BadImage for no pixels, too many (a decompression bomb), or too extreme an aspect."""
    if width < 1 or height < 1:
        raise BadImage("image has no pixels")
    if width * height > MAX_IMAGE_PIXELS:
        raise BadImage(
            f"image too large: {width}x{height} pixels exceeds {MAX_IMAGE_PIXELS} "
            "(decompression bomb)"
        )
    new_w, new_h = resized_size(width, height)
    if new_w * new_h > MAX_IMAGE_PIXELS:
        raise BadImage(f"image aspect ratio too extreme: {width}x{height}")


TURBO_COLORSPACES = ("YCbCr", "Gray")
"""JPEG colour spaces simplejpeg decodes here (CMYK, YCCK and Adobe RGB JPEGs go to PIL)."""


def _turbo_decode(data: bytes) -> np.ndarray | None:
    """A JPEG decoded by simplejpeg as RGB [height, width, 3] uint8, or None for PIL to decode
    (not a JPEG of TURBO_COLORSPACES, no simplejpeg, or one it refuses: PIL then words the error).

    Raises BadImage for a JPEG whose header declares too many pixels (before decoding it).
    """
    if not data.startswith(b"\xff\xd8\xff"):
        return None
    try:
        import simplejpeg
    except ImportError:  # an environment without it: PIL does it all
        return None
    try:
        height, width, colorspace, _ = simplejpeg.decode_jpeg_header(data)
    except ValueError:  # not a JPEG it can read: PIL says why
        return None
    if colorspace not in TURBO_COLORSPACES:
        return None
    _check_size(width, height)
    try:
        pixels: np.ndarray = simplejpeg.decode_jpeg(data, colorspace="RGB")
    except ValueError:  # corrupt or truncated: PIL says which
        return None
    return pixels


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text[:200] or type(error).__name__


def decode(data: bytes) -> Image.Image:
    """Decode untrusted bytes into an RGB PIL image.

    Raises BadImage for anything but a whole, reasonably sized JPEG or PNG.
    """
    decoded = decode_rgb(data)
    return Image.fromarray(decoded, "RGB") if isinstance(decoded, np.ndarray) else decoded


def decode_rgb(data: bytes) -> np.ndarray | Image.Image:
    """Decode untrusted bytes into what `crop_pixels` takes: simplejpeg's RGB [height, width, 3]
    uint8 array, or PIL's RGB image (for what simplejpeg does not decode), without converting
    one into the other (each way copies the pixels).

    Raises BadImage for anything but a whole, reasonably sized JPEG or PNG.
    """
    turbo = _turbo_decode(data)
    if turbo is not None:
        return turbo
    image = _open(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image.load()
            if image.mode != "RGB":
                image = image.convert("RGB")
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as error:
            raise BadImage(f"corrupt or truncated image: {_one_line(error)}") from None
    return image


ENLARGED_TOLERANCE = 1
"""Most uint8 grey levels an enlarged image's pixels may differ from PIL's (see the docstring)."""


@lru_cache(maxsize=1)
def _opencv() -> Any | None:
    """OpenCV, held to one thread (it runs in the server's decode threads), or None without it."""
    try:
        import cv2
    except ImportError:
        return None
    cv2.setNumThreads(1)
    return cv2


def crop_pixels(image: Image.Image | np.ndarray, spec: InputSpec = STUDY_INPUT) -> np.ndarray:
    """Resize + CenterCrop on uint8, as torchvision's Resize(resize) and CenterCrop(crop), of an
    RGB image (PIL's, or an [height, width, 3] uint8 array): the [crop, crop, 3] uint8 HWC pixels
    (the input of graphs that normalise themselves).

    Enlarging is OpenCV's where it is installed (within ENLARGED_TOLERANCE), shrinking PIL's."""
    crop = spec.crop
    if isinstance(image, np.ndarray):
        height, width, rgb = image.shape[0], image.shape[1], True
    else:
        height, width, rgb = image.height, image.width, image.mode == "RGB"
    new_w, new_h = resized_size(width, height, resize=spec.resize)
    left = int(round((new_w - crop) / 2.0))
    top = int(round((new_h - crop) / 2.0))
    cv2 = _opencv() if new_w >= width and new_h >= height else None
    if cv2 is not None and rgb:
        resized = cv2.resize(np.asarray(image), (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        return np.ascontiguousarray(resized[top : top + crop, left : left + crop])
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image, "RGB")
    resized_image = image.resize((new_w, new_h), Image.Resampling.BILINEAR)
    pixels: np.ndarray = np.asarray(resized_image.crop((left, top, left + crop, top + crop)))
    return pixels


def normalise(pixels: np.ndarray, spec: InputSpec = STUDY_INPUT) -> np.ndarray:
    """ToTensor + Normalize of uint8 pixels, HWC [crop, crop, 3] or NHWC [N, crop, crop, 3]:
    a float32 NCHW batch [N, 3, crop, crop] (N = 1 for HWC).

    Folded into one multiply-add per value, x * 1/(255 std) - mean/std, which differs from
    dividing in float32 by float rounding only (under 1e-6 for the study's mean/std, tested).
    """
    batch_of = pixels if pixels.ndim == 4 else pixels[np.newaxis]
    count, height, width, _ = batch_of.shape
    scale, offset = _affine(spec.mean, spec.std)
    batch = np.empty((count, 3, height, width), dtype=np.float32)
    np.multiply(batch_of.transpose(0, 3, 1, 2), scale, out=batch, dtype=np.float32)
    batch += offset
    return batch


def to_batch(image: Image.Image | np.ndarray, spec: InputSpec = STUDY_INPUT) -> np.ndarray:
    """Resize + CenterCrop + ToTensor + Normalize + batch of 1, as float32 NCHW (the study's
    Resize(255), CenterCrop(224) and ImageNet mean/std by default): `crop_pixels`, then
    `normalise`."""
    return normalise(crop_pixels(image, spec), spec)


@lru_cache(maxsize=8)
def _affine(
    mean: tuple[float, float, float], std: tuple[float, float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel scale 1/(255 std) and offset -mean/std, [3, 1, 1] float32 each."""
    means = np.asarray(mean, dtype=np.float64)[:, np.newaxis, np.newaxis]
    stds = np.asarray(std, dtype=np.float64)[:, np.newaxis, np.newaxis]
    return (1.0 / (255.0 * stds)).astype(np.float32), (-means / stds).astype(np.float32)


def preprocess(data: bytes, spec: InputSpec = STUDY_INPUT) -> np.ndarray:
    """Image bytes -> [1, 3, crop, crop] float32 batch. Raises BadImage for bad input."""
    return to_batch(decode_rgb(data), spec)


def preprocess_pixels(data: bytes, spec: InputSpec = STUDY_INPUT) -> np.ndarray:
    """Image bytes -> [1, crop, crop, 3] uint8 pixels, decoded, resized and cropped only: what a
    graph that converts and normalises in itself takes (the OpenVINO runtimes). Normalising it
    (`normalise`) gives `preprocess`'s batch exactly. Raises BadImage for bad input."""
    return crop_pixels(decode_rgb(data), spec)[np.newaxis]

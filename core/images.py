"""The request image: the study's JPEG by default, or the user's own, checked before any load."""

from __future__ import annotations

import io
import os
import stat
import warnings
from importlib import resources
from pathlib import Path

from rnbench.core.errors import UsageError
from rnbench.inference.contract import MAX_BODY_BYTES, MAX_IMAGE_PIXELS

DEFAULT_IMAGE_NAME = "doggo.jpg"


def default_image() -> bytes:
    """The reference study's request image (224x224 JPEG, 20 KB; license beside it)."""
    return resources.files("rnbench.core").joinpath("data", DEFAULT_IMAGE_NAME).read_bytes()


def read_image(path: Path) -> bytes:
    """Read and check a request image, so a bad file fails at once rather than as 16 x N errors.

    Raises:
        UsageError: unreadable file, not a JPEG/PNG image, corrupt, or too large.
    """
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise UsageError(f"cannot read image {path}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise UsageError(f"image {path} is not a regular file")
    with os.fdopen(descriptor, "rb") as file:
        try:
            body = file.read(MAX_BODY_BYTES + 1)  # at most one byte past the limit
        except OSError as exc:
            raise UsageError(f"cannot read image {path}: {exc.strerror or exc}") from exc
    if len(body) > MAX_BODY_BYTES:
        raise UsageError(f"image {path} is larger than the limit of {MAX_BODY_BYTES} bytes")
    check_image(body, str(path))
    return body


def check_image(body: bytes, name: str = "image") -> None:
    """Raises UsageError unless `body` is a complete JPEG or PNG the server will accept."""
    from PIL import Image, UnidentifiedImageError

    from rnbench.inference.preprocess import BadImage, decode

    if len(body) > MAX_BODY_BYTES:
        raise UsageError(f"{name} is {len(body)} bytes; the limit is {MAX_BODY_BYTES}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(body))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UsageError(f"{name} is too large to decode ({exc.args[0].split(',')[0]})") from exc
    except UnidentifiedImageError as exc:
        raise UsageError(f"{name} is not an image rnbench can read") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise UsageError(f"{name} is corrupt: {exc}") from exc
    try:
        with opened as image:
            if image.format not in ("JPEG", "PNG"):
                raise UsageError(f"{name} is {image.format}, not a JPEG or PNG image")
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise UsageError(f"{name} is {image.width}x{image.height}: too many pixels")
            image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise UsageError(f"{name} is corrupt: {exc}") from exc
    try:
        decode(body)  # the server's own rules (an aspect ratio too extreme to resize, ...)
    except BadImage as exc:
        raise UsageError(f"{name} would be refused by the server: {exc}") from exc

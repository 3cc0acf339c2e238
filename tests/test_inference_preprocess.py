"""Preprocessing equals the study's torchvision pipeline (within 1e-6 for images Resize shrinks,
within one grey level for those it enlarges) and refuses bad or dangerous images."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from rnbench.inference import preprocess as preprocess_module
from rnbench.inference.contract import MAX_IMAGE_PIXELS
from rnbench.inference.preprocess import (
    ENLARGED_TOLERANCE,
    BadImage,
    preprocess,
    preprocess_pixels,
    resized_size,
)

STUDY_STD = (0.229, 0.224, 0.225)
ENLARGED_NORMALISED = ENLARGED_TOLERANCE / (255 * min(STUDY_STD)) + 1e-6
"""One grey level after Normalize, at the smallest std (0.0175)."""


def study_pipeline(data: bytes) -> np.ndarray:
    """The study's input_fn, verbatim in spirit: PIL + torchvision transforms."""
    from torchvision import transforms

    pipeline = transforms.Compose(
        [
            transforms.Resize(255),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            transforms.Normalize(mean=[0.485, 0.456, 0.406], std=list(STUDY_STD)),
        ]
    )
    image = Image.open(io.BytesIO(data)).convert("RGB")
    result: np.ndarray = pipeline(image).unsqueeze(0).numpy()
    return result


def study_crop(data: bytes) -> np.ndarray:
    """The study's Resize(255) + CenterCrop(224) on the PIL image: uint8 pixels [224, 224, 3]."""
    from torchvision import transforms

    image = Image.open(io.BytesIO(data)).convert("RGB")
    return np.asarray(transforms.CenterCrop(224)(transforms.Resize(255)(image)))


def enlarged(data: bytes) -> bool:
    """Resize(255) enlarges this image (OpenCV resizes it) rather than shrinking it (PIL)."""
    width, height = Image.open(io.BytesIO(data)).size
    return min(width, height) <= 255


def assert_matches_study(data: bytes, name: str = "") -> None:
    """Shrunk: within float32 rounding. Enlarged: each pixel within ENLARGED_TOLERANCE grey
    levels, so within one grey level after normalising."""
    difference = float(np.abs(preprocess(data) - study_pipeline(data)).max())
    if not enlarged(data):
        assert difference <= 1e-6, name
        return
    assert difference <= ENLARGED_NORMALISED, name
    pixels = preprocess_pixels(data)[0].astype(np.int16)
    assert int(np.abs(pixels - study_crop(data)).max()) <= ENLARGED_TOLERANCE, name


def encode(pixels: np.ndarray, fmt: str, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    image = Image.fromarray(pixels)
    if mode:
        image = image.convert(mode)
    image.save(buffer, fmt)
    return buffer.getvalue()


def png_header_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of width x height, all zeros: tiny on the wire, huge when decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_doggo_matches_study_pipeline_within_one_grey_level(doggo_jpeg: bytes) -> None:
    got = preprocess(doggo_jpeg)
    assert got.shape == (1, 3, 224, 224)
    assert got.dtype == np.float32
    assert got.flags["C_CONTIGUOUS"]
    assert enlarged(doggo_jpeg)  # 224 px: Resize(255) enlarges it, OpenCV's path
    assert_matches_study(doggo_jpeg)
    pixels = preprocess_pixels(doggo_jpeg)
    assert pixels.shape == (1, 224, 224, 3) and pixels.flags["C_CONTIGUOUS"]


def test_without_opencv_an_enlarged_image_is_pils_exactly(
    doggo_jpeg: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where OpenCV is not installed, PIL enlarges: the study's pixels."""
    monkeypatch.setattr(preprocess_module, "_opencv", lambda: None)
    assert np.array_equal(preprocess_pixels(doggo_jpeg)[0], study_crop(doggo_jpeg))
    assert float(np.abs(preprocess(doggo_jpeg) - study_pipeline(doggo_jpeg)).max()) <= 1e-6


def test_opencv_enlarges_and_pil_shrinks(
    doggo_jpeg: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path is really taken for the study's JPEG, and never for an image to shrink."""
    import cv2

    calls: list[tuple[int, int]] = []
    real = cv2.resize

    def counting(pixels: np.ndarray, size: tuple[int, int], **kwargs: object) -> np.ndarray:
        calls.append(size)
        return real(pixels, size, **kwargs)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(cv2, "resize", counting)
    preprocess(doggo_jpeg)
    assert calls == [(255, 255)]
    preprocess(encode(np.zeros((300, 400, 3), dtype=np.uint8), "PNG"))
    assert calls == [(255, 255)]


@pytest.mark.parametrize(
    ("width", "height", "fmt", "mode"),
    [
        (640, 480, "JPEG", None),
        (300, 1001, "PNG", None),
        (256, 255, "JPEG", None),
        (1023, 777, "PNG", "L"),
        (100, 80, "PNG", "RGBA"),
        (224, 224, "PNG", "P"),
    ],
)
def test_other_sizes_and_modes_match_study_pipeline(
    width: int, height: int, fmt: str, mode: str | None
) -> None:
    rng = np.random.default_rng(width * height)
    data = encode(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), fmt, mode)
    assert_matches_study(data)


def test_resized_size_keeps_aspect() -> None:
    assert resized_size(224, 224) == (255, 255)
    assert resized_size(640, 480) == (340, 255)
    assert resized_size(300, 1001) == (255, 850)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "empty"),
        (b"hello, this is not an image", "not a JPEG or PNG"),
        (b"GIF89a" + b"\x00" * 64, "not a JPEG or PNG"),
    ],
)
def test_non_images_are_refused(body: bytes, fragment: str) -> None:
    with pytest.raises(BadImage, match=fragment):
        preprocess(body)


def test_truncated_jpeg_is_refused(doggo_jpeg: bytes) -> None:
    with pytest.raises(BadImage) as caught:
        preprocess(doggo_jpeg[: len(doggo_jpeg) // 2])
    assert "\n" not in str(caught.value)


def test_gif_is_refused_even_when_valid() -> None:
    data = encode(np.zeros((32, 32, 3), dtype=np.uint8), "GIF")
    with pytest.raises(BadImage):
        preprocess(data)


def test_bomb_over_pil_limit_is_refused() -> None:
    bomb = png_header_bomb(20_000, 20_000)
    assert len(bomb) < 200_000
    with pytest.raises(BadImage, match="decompression bomb"):
        preprocess(bomb)


def test_bomb_over_our_limit_is_refused_before_decoding() -> None:
    width = 8_000
    height = MAX_IMAGE_PIXELS // width + 1
    with pytest.raises(BadImage, match="decompression bomb"):
        preprocess(png_header_bomb(width, height))


def test_extreme_aspect_ratio_is_refused() -> None:
    with pytest.raises(BadImage, match="aspect ratio"):
        preprocess(png_header_bomb(400_000, 1))


def test_eighteen_photographs_match_study_pipeline() -> None:
    """Every photograph of the agreement set, as JPEG bytes through `preprocess`, equals the
    torchvision pipeline: within float32 rounding (max abs difference 1e-6) where Resize shrinks
    it, within one grey level where it enlarges it (two of them are narrower than 255 px)."""
    pytest.importorskip("skimage")
    from rnbench.inference.natural_images import photographs

    images = photographs()
    assert len(images) == 18
    for name, image in images:
        assert_matches_study(encode(np.asarray(image), "JPEG"), name)


@pytest.mark.parametrize("shorter_side", [32, 150, 224, 254, 255])
def test_eighteen_photographs_enlarged_stay_within_one_grey_level(shorter_side: int) -> None:
    """The photographs made small (as the study's 224 px JPEG is), so that Resize enlarges them
    by up to 8x: OpenCV's pixels stay within one grey level of the study's."""
    pytest.importorskip("skimage")
    from rnbench.inference.natural_images import photographs

    for name, image in photographs():
        scale = shorter_side / min(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        small = image.convert("RGB").resize(size, Image.Resampling.LANCZOS)
        assert_matches_study(encode(np.asarray(small), "PNG"), name)


def test_other_input_specs_match_torchvision() -> None:
    from torchvision import transforms

    from rnbench.inference.input_spec import InputSpec
    from rnbench.inference.preprocess import to_batch

    spec = InputSpec(resize=160, crop=128, mean=(0.5, 0.5, 0.5), std=(0.25, 0.5, 1.0))
    rng = np.random.default_rng(3)
    image = Image.fromarray(rng.integers(0, 256, (301, 207, 3), dtype=np.uint8))
    pipeline = transforms.Compose(
        [
            transforms.Resize(160),
            transforms.CenterCrop(128),
            transforms.ToTensor(),
            transforms.Normalize(mean=list(spec.mean), std=list(spec.std)),
        ]
    )
    expected = pipeline(image).unsqueeze(0).numpy()
    got = to_batch(image, spec)
    assert got.shape == (1, 3, 128, 128)
    assert float(np.abs(got - expected).max()) <= 1e-6


def test_pixels_path_is_the_float_path_before_normalising() -> None:
    """`preprocess_pixels` stops before ToTensor + Normalize; `normalise` takes HWC or NHWC."""
    from rnbench.inference.preprocess import normalise, preprocess_pixels

    rng = np.random.default_rng(11)
    data = encode(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8), "PNG")
    pixels = preprocess_pixels(data)
    assert pixels.shape == (1, 224, 224, 3) and pixels.dtype == np.uint8
    assert np.array_equal(normalise(pixels), preprocess(data))
    assert np.array_equal(normalise(pixels[0]), preprocess(data))
    assert float(np.abs(normalise(pixels) - study_pipeline(data)).max()) <= 1e-6
    two = normalise(np.concatenate([pixels, pixels[:, ::-1]]))
    assert two.shape == (2, 3, 224, 224) and np.array_equal(two[:1], preprocess(data))
    with pytest.raises(BadImage):
        preprocess_pixels(b"not an image")


def test_preprocessing_cost_is_measured_per_step(doggo_jpeg: bytes) -> None:
    from rnbench.inference.preprocess_cost import preprocess_cost

    cost = preprocess_cost(doggo_jpeg, iterations=5)
    assert cost.iterations == 5
    assert cost.decode_ms > 0 and cost.resize_crop_ms > 0 and cost.normalise_ms > 0
    assert cost.pixels_ms == pytest.approx(cost.decode_ms + cost.resize_crop_ms)
    assert cost.float_ms == pytest.approx(cost.pixels_ms + cost.normalise_ms)
    with pytest.raises(BadImage):
        preprocess_cost(b"", iterations=1)


def _pil_pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.mark.parametrize(
    "options",
    [
        {"quality": 90, "subsampling": 0},  # 4:4:4
        {"quality": 75, "subsampling": 1},  # 4:2:2
        {"quality": 60, "subsampling": 2},  # 4:2:0
        {"quality": 85, "progressive": True},
    ],
)
def test_libjpeg_turbo_decodes_the_very_pixels_pil_does(options: dict[str, object]) -> None:
    pytest.importorskip("skimage")
    from rnbench.inference.natural_images import photographs
    from rnbench.inference.preprocess import _turbo_decode, decode

    for name, image in photographs():
        for mode in ("RGB", "L"):
            buffer = io.BytesIO()
            image.convert(mode).save(buffer, "JPEG", **options)
            data = buffer.getvalue()
            assert _turbo_decode(data) is not None, name  # this path, not PIL's
            assert np.array_equal(np.asarray(decode(data)), _pil_pixels(data)), (name, mode)


def test_a_cmyk_jpeg_and_a_truncated_one_go_to_pil() -> None:
    from rnbench.inference.preprocess import _turbo_decode, decode

    buffer = io.BytesIO()
    Image.new("CMYK", (64, 48), (10, 200, 30, 40)).save(buffer, "JPEG")
    cmyk = buffer.getvalue()
    assert _turbo_decode(cmyk) is None
    assert np.array_equal(np.asarray(decode(cmyk)), _pil_pixels(cmyk))
    whole = encode(np.full((64, 64, 3), 128, dtype=np.uint8), "JPEG")
    assert _turbo_decode(whole[: len(whole) // 2]) is None  # refused there; PIL words the error
    with pytest.raises(BadImage, match="(?i)truncated"):
        preprocess(whole[: len(whole) // 2])


def test_a_jpeg_header_declaring_a_bomb_is_refused_before_decoding() -> None:
    whole = encode(np.full((16, 16, 3), 128, dtype=np.uint8), "JPEG")
    sof = whole.index(b"\xff\xc0")  # baseline frame header: length, precision, height, width
    side = int(MAX_IMAGE_PIXELS**0.5) + 10
    bomb = whole[: sof + 5] + struct.pack(">HH", side, side) + whole[sof + 9 :]
    with pytest.raises(BadImage, match="decompression bomb"):
        preprocess(bomb)

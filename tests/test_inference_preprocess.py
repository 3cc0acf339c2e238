"""Preprocessing equals the study's torchvision pipeline and refuses bad or dangerous images."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from rnbench.inference.contract import MAX_IMAGE_PIXELS
from rnbench.inference.preprocess import BadImage, preprocess, resized_size


def study_pipeline(data: bytes) -> np.ndarray:
    """The study's input_fn, verbatim in spirit: PIL + torchvision transforms."""
    from torchvision import transforms

    pipeline = transforms.Compose(
        [
            transforms.Resize(255),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
        ]
    )
    image = Image.open(io.BytesIO(data)).convert("RGB")
    result: np.ndarray = pipeline(image).unsqueeze(0).numpy()
    return result


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


def test_doggo_matches_study_pipeline_exactly(doggo_jpeg: bytes) -> None:
    got = preprocess(doggo_jpeg)
    assert got.shape == (1, 3, 224, 224)
    assert got.dtype == np.float32
    assert got.flags["C_CONTIGUOUS"]
    assert float(np.abs(got - study_pipeline(doggo_jpeg)).max()) <= 1e-6


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
    assert float(np.abs(preprocess(data) - study_pipeline(data)).max()) <= 1e-6


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
    torchvision pipeline within float32 rounding (max abs difference 1e-6)."""
    pytest.importorskip("skimage")
    from rnbench.inference.natural_images import photographs

    images = photographs()
    assert len(images) == 18
    for name, image in images:
        data = encode(np.asarray(image), "JPEG")
        difference = float(np.abs(preprocess(data) - study_pipeline(data)).max())
        assert difference <= 1e-6, name


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

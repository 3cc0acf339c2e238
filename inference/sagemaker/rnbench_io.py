"""What both SageMaker handlers serve alike: input_fn (the request into a batch) and output_fn
(the logits into top-5 JSON).

Packed beside the handler: `code/rnbench_io.py` in model.tar.gz, `rnbench_io.py` beside
inference.py in the Neo `sourcedir.tar.gz`. The containers put that folder on sys.path before
they import inference.py, so the handler imports this as `rnbench_io`; in the repository it is a
module of this package.
Request handling is the study's: PIL decode, Resize, CenterCrop, ToTensor, Normalize, batch of 1,
with the sizes and mean/std of the `model.json` beside this module and the handler (rnbench
writes the chosen model's); without one, the study's ResNet-50 numbers (Resize(255),
CenterCrop(224), ImageNet). The answer is JSON with the top-5 class indices and probabilities.
Content types are compared by media type only (`image/jpeg; charset=binary` is `image/jpeg`); a
refused request raises HttpError carrying its HTTP status (415 unsupported content type, 400
undecodable image, 406 an Accept other than JSON), which the serving toolkit answers with
instead of a 500.
Self-contained like the handlers: the container's torch, torchvision and PIL (Python 3.6+).
"""

import io
import json
import os
from typing import Any

import torch
from PIL import Image
from torchvision import transforms

IMAGE_TYPES = ("application/x-image", "image/jpeg", "image/png")
"""Accepted request media types (parameters such as `; charset=binary` are ignored)."""
TOP_K = 5

JSON = "application/json"
"""The only answer format: top-5 JSON."""
UNSUPPORTED_MEDIA_TYPE = 415
NOT_ACCEPTABLE = 406
BAD_REQUEST = 400

try:  # the serving toolkit answers its own errors with their status_code (not 500)
    from sagemaker_inference.errors import GenericInferenceToolkitError as HttpError
except ImportError:  # outside the toolkit: an equivalent error carrying the status

    class HttpError(Exception):  # type: ignore[no-redef]
        """An error the model server should answer with HTTP `status_code`."""

        def __init__(self, status_code: int, message: str = "", phrase: str = "") -> None:
            self.status_code = status_code
            self.message = message or "Invalid Request"
            self.phrase = phrase or self.message
            super().__init__(status_code, self.message, self.phrase)


MODEL_CONFIG = "model.json"
"""The model's input pipeline, packed beside the handler (rnbench writes it)."""
STUDY_INPUT = {
    "resize": 255,
    "crop": 224,
    "mean": [0.485, 0.456, 0.406],
    "std": [0.229, 0.224, 0.225],
}
"""The study's ResNet-50 pipeline: used when there is no model.json (archives made before it)."""


def input_config(folder: str = os.path.dirname(os.path.abspath(__file__))) -> "dict[str, Any]":
    """resize, crop, mean and std from `folder`/model.json; the study's when it is absent."""
    try:
        with open(os.path.join(folder, MODEL_CONFIG), encoding="utf-8") as handle:
            found = json.load(handle)
    except FileNotFoundError:
        return dict(STUDY_INPUT)
    return {key: found.get(key, value) for key, value in STUDY_INPUT.items()}


INPUT = input_config()
"""The pipeline of the model.json beside this module, which is the one beside the handler."""
_PREPROCESS = transforms.Compose(
    [
        transforms.Resize(INPUT["resize"]),
        transforms.CenterCrop(INPUT["crop"]),
        transforms.ToTensor(),
        transforms.Normalize(mean=INPUT["mean"], std=INPUT["std"]),
    ]
)


def _media_type(header: str) -> str:
    """`image/jpeg` from `Image/JPEG; charset=binary`: parameters dropped, lower case."""
    return (header or "").split(";", 1)[0].strip().lower()


def input_fn(request_body: bytes, content_type: str = "application/x-image") -> torch.Tensor:
    """Decode one JPEG/PNG into a normalised [1, 3, crop, crop] float32 batch.

    Raises HttpError 415 for a content type other than an image one, 400 for an undecodable image.
    """
    if _media_type(content_type) not in IMAGE_TYPES:
        raise HttpError(
            UNSUPPORTED_MEDIA_TYPE,
            f"unsupported content type {content_type!r}; "
            "send application/x-image, image/jpeg or image/png",
        )
    try:
        image = Image.open(io.BytesIO(request_body)).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise HttpError(BAD_REQUEST, f"cannot decode the image: {error}") from None
    batch: torch.Tensor = _PREPROCESS(image).unsqueeze(0)
    return batch


def _answers_json(accept: str) -> bool:
    """Whether an Accept header (a list, possibly with parameters) allows application/json."""
    for part in (accept or "").split(","):
        if _media_type(part) in ("", "*/*", "application/*", JSON):
            return True
    return False


BODY_ONLY_ENV = "RNBENCH_ANSWER_BODY_ONLY"
"""Set to 1 where the serving toolkit wants output_fn's body alone: the Hugging Face toolkit of
the Inferentia2 (Neuron) image sends whatever output_fn returns and labels it with the Accept
type, so a (body, content type) pair would reach the client as garbage. rnbench sets it on
uncompiled Inferentia2 endpoints only; the Neo containers never get it."""


def output_fn(
    prediction: torch.Tensor, accept: str = JSON
) -> "str | tuple[str, str]":  # quoted: containers run Python 3.6+
    """(top-5 JSON, its content type); HttpError 406 when `accept` does not allow JSON.

    Returning the content type with the body is how the toolkit labels the answer with what
    was actually produced rather than with whatever the client asked for. With BODY_ONLY_ENV
    set, the body alone.
    """
    if not _answers_json(accept):
        raise HttpError(NOT_ACCEPTABLE, f"cannot answer {accept!r}; this model answers {JSON}")
    logits = torch.as_tensor(prediction).detach().cpu().float().reshape(1, -1)
    top = torch.topk(torch.softmax(logits, dim=1)[0], TOP_K)
    values, indices = top.values.tolist(), top.indices.tolist()
    answer = [{"index": int(indices[k]), "probability": float(values[k])} for k in range(TOP_K)]
    body = json.dumps({"top5": answer})
    return body if os.environ.get(BODY_ONLY_ENV) == "1" else (body, JSON)

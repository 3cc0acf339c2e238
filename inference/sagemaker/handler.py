"""SageMaker PyTorch inference handler for the uncompiled ResNet-50 (packed as code/inference.py).

The container calls model_fn(model_dir) once, then for every request
input_fn(body, content_type) -> predict_fn(batch, model) -> output_fn(prediction, accept).
Request handling is the study's: PIL decode, Resize(255), CenterCrop(224), ToTensor, Normalize
with ImageNet mean/std, batch of 1. The answer is JSON with the top-5 class indices and
probabilities. Self-contained: it runs on the container's torch (1.7 to 2.x), not rnbench's.
"""

import io
import json
import os
from typing import Any

import torch
from PIL import Image
from torchvision import transforms

IMAGE_TYPES = ("application/x-image", "image/jpeg", "image/png")
TOP_K = 5

_PREPROCESS = transforms.Compose(
    [
        transforms.Resize(255),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ]
)


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def model_fn(model_dir: str) -> Any:
    """Load the TorchScript ResNet-50 (`model.pth`) onto the GPU when there is one."""
    path = os.path.join(model_dir, "model.pth")
    model = torch.jit.load(path, map_location=_device())  # type: ignore[no-untyped-call]
    model.eval()
    return model


def input_fn(request_body: bytes, content_type: str = "application/x-image") -> torch.Tensor:
    """Decode one JPEG/PNG into a normalised [1, 3, 224, 224] float32 batch."""
    if content_type not in IMAGE_TYPES:
        raise ValueError(f"unsupported content type {content_type!r}; send application/x-image")
    image = Image.open(io.BytesIO(request_body)).convert("RGB")
    batch: torch.Tensor = _PREPROCESS(image).unsqueeze(0)
    return batch


def predict_fn(input_data: torch.Tensor, model: Any) -> torch.Tensor:
    """Run the model on the batch; returns the logits on the CPU."""
    with torch.no_grad():
        logits: torch.Tensor = model(input_data.to(_device()))
    return logits.cpu()


def output_fn(prediction: torch.Tensor, accept: str = "application/json") -> str:
    """Top-5 class indices and softmax probabilities as JSON (written for Python 3.6+)."""
    logits = torch.as_tensor(prediction).detach().cpu().float().reshape(1, -1)
    top = torch.topk(torch.softmax(logits, dim=1)[0], TOP_K)
    values, indices = top.values.tolist(), top.indices.tolist()
    answer = [{"index": int(indices[k]), "probability": float(values[k])} for k in range(TOP_K)]
    return json.dumps({"top5": answer})

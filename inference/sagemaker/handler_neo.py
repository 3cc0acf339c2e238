"""SageMaker Neo handler for the compiled ResNet-50 (packed as code/inference.py).

The Neo inference container loads and runs the compiled model itself (its default model_fn and
predict_fn); as in the reference study this script supplies only input_fn (the study's
preprocessing) and output_fn (top-5 JSON, the same answer the uncompiled handler gives).
Self-contained: it runs on the container's torch (1.9 on ml_inf1, 2.0 on ml_c5/ml_g4dn).
"""

import io
import json

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


def input_fn(request_body: bytes, content_type: str = "application/x-image") -> torch.Tensor:
    """Decode one JPEG/PNG into a normalised [1, 3, 224, 224] float32 batch."""
    if content_type not in IMAGE_TYPES:
        raise ValueError(f"unsupported content type {content_type!r}; send application/x-image")
    image = Image.open(io.BytesIO(request_body)).convert("RGB")
    batch: torch.Tensor = _PREPROCESS(image).unsqueeze(0)
    return batch


def output_fn(prediction: torch.Tensor, accept: str = "application/json") -> str:
    """Top-5 class indices and softmax probabilities as JSON (written for Python 3.6+)."""
    logits = torch.as_tensor(prediction).detach().cpu().float().reshape(1, -1)
    top = torch.topk(torch.softmax(logits, dim=1)[0], TOP_K)
    values, indices = top.values.tolist(), top.indices.tolist()
    answer = [{"index": int(indices[k]), "probability": float(values[k])} for k in range(TOP_K)]
    return json.dumps({"top5": answer})

"""SageMaker PyTorch inference handler for the uncompiled model (packed as code/inference.py).

The container calls model_fn(model_dir) once, then for every request
input_fn(body, content_type) -> predict_fn(batch, model) -> output_fn(prediction, accept).
input_fn and output_fn are `rnbench_io`'s, packed beside this script (the Neo handler serves the
same two); this script adds loading the model and running it.
Self-contained: it runs on the container's torch (1.7 to 2.x), not rnbench's.
"""

import os
from typing import Any

import torch

try:  # in the repository: a module of this package
    from .rnbench_io import INPUT, input_fn, output_fn
except ImportError:  # in the container: code/rnbench_io.py, on sys.path beside this script
    from rnbench_io import INPUT, input_fn, output_fn  # type: ignore[no-redef]

__all__ = ["model_fn", "input_fn", "predict_fn", "output_fn"]


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _neuron() -> Any:
    """torch_neuronx when this is a Neuron (Inferentia2) container, else None."""
    try:
        import torch_neuronx  # type: ignore[import-not-found]
    except ImportError:
        return None
    return torch_neuronx


def model_fn(model_dir: str) -> Any:
    """Load the TorchScript model (`model.pth`) onto the GPU when there is one.

    In a Neuron container (Inferentia2) the model is compiled for the NeuronCores with
    torch_neuronx.trace on a [1, 3, crop, crop] input; a failure to compile fails the load (never a
    silent CPU fallback: the endpoint would claim Inferentia and run on the host CPU).
    """
    path = os.path.join(model_dir, "model.pth")
    model = torch.jit.load(path, map_location=_device())  # type: ignore[no-untyped-call]
    model.eval()
    neuron = _neuron()
    if neuron is not None:
        return neuron.trace(model, torch.zeros(1, 3, INPUT["crop"], INPUT["crop"]))
    return model


def predict_fn(input_data: torch.Tensor, model: Any) -> torch.Tensor:
    """Run the model on the batch; returns the logits on the CPU."""
    with torch.no_grad():
        logits: torch.Tensor = model(input_data.to(_device()))
    return logits.cpu()

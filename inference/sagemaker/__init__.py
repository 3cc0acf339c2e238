"""What runs inside a SageMaker endpoint: the handler scripts packed as `code/inference.py`.

The files here are copied verbatim into `model.tar.gz`, so they import only what the
SageMaker PyTorch containers ship (torch, torchvision, PIL, numpy) and each other, never
`rnbench`. `rnbench_io.py` (input_fn and output_fn, which both handlers serve) is packed beside
either handler under its own name. `handler.py` serves the uncompiled model (all four
functions); `handler_neo.py` serves a Neo-compiled one (the container loads and runs the compiled
model; the script only decodes the request and encodes the answer), as the reference study did.
"""

from pathlib import Path

HANDLER = Path(__file__).with_name("handler.py")
"""Uncompiled handler: model_fn, input_fn, predict_fn, output_fn."""
NEO_HANDLER = Path(__file__).with_name("handler_neo.py")
"""Neo handler: input_fn and output_fn only."""
HANDLER_IO = Path(__file__).with_name("rnbench_io.py")
"""input_fn and output_fn, which both handlers import: packed beside them as itself."""

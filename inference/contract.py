"""The SageMaker container contract the local server speaks, as plain constants.

Kept free of torch so the load generator and the CLI can import it cheaply.
"""

PING_PATH = "/ping"
INVOCATIONS_PATH = "/invocations"
RUNTIME_PATH_TEMPLATE = "/endpoints/{name}/invocations"
"""SageMaker Runtime's own path, so boto3's `sagemaker-runtime` client works with `endpoint_url`."""

IMAGE_CONTENT_TYPES = ("application/x-image", "image/jpeg", "image/png")
SERVER_TIME_HEADER = "X-Rnbench-Inference-Ms"
"""Response header: the server's own decode + preprocess + inference time for the request, in ms."""
MODEL_TIME_HEADER = "X-Rnbench-Model-Ms"
"""Response header: the model's forward pass alone, in ms."""
QUEUE_TIME_HEADER = "X-Rnbench-Queue-Ms"
"""Response header: time the request waited for the server's single inference thread, in ms."""
INFO_PATH = "/info"
"""GET: JSON describing what the local server serves (runtime, weights, versions, agreement)."""
EXTRA_CONTENT_TYPES = ("application/octet-stream",)
"""Also accepted by the local server (the bytes are still checked to be a JPEG or PNG)."""

MAX_BODY_BYTES = 10 * 1024 * 1024
"""Larger request bodies are refused with 413."""
MAX_IMAGE_PIXELS = 40_000_000
"""Larger decoded images are refused with 400 (decompression bombs)."""
BATCH_SIZE_HEADER = "X-Rnbench-Batch-Size"
"""Response header: how many requests ran together in this request's forward pass."""

DEFAULT_MAX_BATCH = 8
"""Server-side dynamic batching: the most requests run together (1 turns batching off)."""
DEFAULT_MAX_DELAY_MS = 2.0
"""Server-side dynamic batching: how long a request may wait for others to join its batch."""
DEFAULT_MAX_QUEUE = 256
"""Requests the local server holds at once (decoding, waiting for or in a batch); one more is
answered 503 with `Retry-After` at once, so that after an overload the next request still gets
an answer instead of waiting behind all the others."""
RETRY_AFTER_S = 1
"""The `Retry-After` of a 503 for a full queue, in seconds."""

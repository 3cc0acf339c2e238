"""The local inference server: ResNet-50 behind the SageMaker container contract on 127.0.0.1.

uvicorn, with `POST /invocations` and SageMaker Runtime's `POST /endpoints/{name}/invocations`
(so boto3's `sagemaker-runtime` client works against it with `endpoint_url`) straight on ASGI
(`invocations.py`), and `GET /ping` and `GET /info` through Starlette. Each answer carries the
server's own processing time and the size of the batch it ran in, in headers. Requests are
decoded in a thread pool and batched dynamically (`--max-batch`, `--max-delay-ms`); past
`--max-queue` requests held at once, one more is answered 503 with `Retry-After` (its body read,
the connection kept). Bad input gets a 4xx with a one-line message; the server never dies of it.

Run: `python -m rnbench.inference.server --runtime compiled --port 0 --ready-file PATH`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from rnbench.inference import http_limits, orphan_watch
from rnbench.inference.contract import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_DELAY_MS,
    DEFAULT_MAX_QUEUE,
    INFO_PATH,
    PING_PATH,
)
from rnbench.inference.errors import InferenceError
from rnbench.inference.invocations import InvocationsApp
from rnbench.inference.models import resolve_model
from rnbench.inference.runtimes import RUNTIMES
from rnbench.inference.service import InferenceService

MACHINE_FACTS = (
    "torch_version",
    "onnxruntime_version",
    "openvino_version",
    "cpu_model",
    "cpu_cores",
    "cpu_flags",
)
"""Facts of the software and CPU the ready file reports (stored with every local run)."""

log = logging.getLogger("rnbench.server")


def build_app(service: InferenceService, max_queue: int = DEFAULT_MAX_QUEUE) -> ASGIApp:
    """The ASGI app around a started (or starting) InferenceService: invocations straight on
    ASGI (`InvocationsApp`, at most `max_queue` held at once, 503 with Retry-After to one more),
    `/ping` and `/info` through Starlette."""

    async def ping(_: Request) -> Response:
        if not service.ready:
            return Response("loading\n", status_code=503, media_type="text/plain")
        return Response("\n", status_code=200, media_type="text/plain")

    async def info(_: Request) -> Response:
        return JSONResponse(service.info())

    routes = [Route(PING_PATH, ping, methods=["GET"]), Route(INFO_PATH, info, methods=["GET"])]
    return InvocationsApp(service, max_queue, Starlette(routes=routes))


def _write_atomically(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0 picks a free one). Raises OSError."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m rnbench.inference.server", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--runtime", choices=RUNTIMES, default="eager")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--weights", default=None, help="ResNet-50 state-dict file (.pth)")
    parser.add_argument(
        "--model", default=None, help="torchvision model name, or a .pt/.pth/.onnx file"
    )
    parser.add_argument("--input-size", type=int, default=None, help="input side in pixels")
    parser.add_argument("--ready-file", type=Path, default=None, help="JSON written when ready")
    parser.add_argument(
        "--record", type=Path, default=None, help="rnbench's record of it: stop once it is gone"
    )
    parser.add_argument(
        "--max-batch",
        type=_at_least_one,
        default=DEFAULT_MAX_BATCH,
        help=f"most requests run together (1: no batching; default {DEFAULT_MAX_BATCH})",
    )
    parser.add_argument(
        "--max-delay-ms",
        type=_not_negative,
        default=DEFAULT_MAX_DELAY_MS,
        help="how long a request may wait for others to join its batch "
        f"(default {DEFAULT_MAX_DELAY_MS:g})",
    )
    parser.add_argument(
        "--max-queue",
        type=_at_least_one,
        default=DEFAULT_MAX_QUEUE,
        help="invocations held at once; one more is answered 503 with Retry-After "
        f"(default {DEFAULT_MAX_QUEUE})",
    )
    http_limits.add_arguments(parser)
    return parser


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _not_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def serve(args: argparse.Namespace) -> int:
    """Load the model, serve until SIGTERM/SIGINT; returns the exit code."""
    import uvicorn

    if args.record is not None:
        orphan_watch.watch(args.record)
    try:
        model = resolve_model(args.model, args.input_size)
    except InferenceError as error:
        print(f"rnbench server: {error}", file=sys.stderr)
        return 2
    service = InferenceService(
        args.runtime, args.device, args.weights, args.max_batch, args.max_delay_ms, model
    )
    try:
        service.start()
        sock = bind(args.host, args.port)
    except InferenceError as error:
        print(f"rnbench server: {error}", file=sys.stderr)
        service.close()
        return 2
    except OSError as error:
        print(f"rnbench server: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        service.close()
        return 2
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        http_limits.DisconnectGuard(build_app(service, args.max_queue)),
        log_level="warning",
        access_log=False,
        lifespan="off",
        proxy_headers=False,  # 127.0.0.1, no proxy in front: no X-Forwarded-* to read per request
        **http_limits.uvicorn_options(http_limits.from_arguments(args)),
    )
    ready_file: Path | None = args.ready_file

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            info = service.info()
            log.warning(
                "serving %s on %s at http://%s:%d (weights %s)",
                args.runtime,
                args.device,
                host,
                port,
                info["weights"],
            )
            if ready_file is not None and not self.should_exit:
                _write_atomically(
                    ready_file,
                    {
                        "host": host,
                        "port": port,
                        "pid": os.getpid(),
                        "runtime": args.runtime,
                        "device": args.device,
                        "weights": info["weights"],
                        "weights_source": info["weights_source"],
                        **{key: info.get(key) for key in MACHINE_FACTS},
                        **service.model_info(),
                        "agreement": info["agreement"],
                        "max_batch": info["max_batch"],
                        "max_batch_requested": args.max_batch,
                        "max_delay_ms": args.max_delay_ms,
                        **service.openvino_info(),
                        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    },
                )

    server = _Server(config)
    # uvicorn handles SIGTERM/SIGINT itself, then re-raises them to the previous handlers once it
    # has shut down; these make that re-raise a no-op so the process exits 0 instead of dying.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _ignore_signal)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        service.close()
        if ready_file is not None:
            ready_file.unlink(missing_ok=True)
    return 0


def _ignore_signal(signum: int, frame: object) -> None:
    """Swallow the signal uvicorn re-raises after its own graceful shutdown."""


def main(argv: list[str] | None = None) -> int:
    """Entry point; exit 0 after a clean shutdown, 2 on a start-up error."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    return serve(args)


if __name__ == "__main__":
    from rnbench.inference.process_exit import exit_now

    exit_now(main())  # everything is closed: skip the interpreter's slow teardown

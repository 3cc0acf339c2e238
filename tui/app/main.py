"""rnbench-tui: the keyboard-driven benchmark explorer (wiring only).

The app shows its first frame at once: the engine (backends, prices, results store) is built in
a thread worker after mount, and torch, boto3 and the SageMaker SDK are only ever imported there
or in child processes. Screens and widgets live in their own modules.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from textual.app import App, SystemCommand
from textual.screen import Screen

from rnbench.tui.app import settings as stored
from rnbench.tui.app.keys import MAIN_KEYS, unchecked
from rnbench.tui.app.port import EnginePort
from rnbench.tui.app.screens.main import MainScreen


class RnbenchApp(App[None]):
    """Deploy, test, compare and tear down configurations serving a vision model (ResNet-50
    unless another is chosen) from the keyboard."""

    CSS_PATH = Path(__file__).parent / "app.tcss"
    TITLE = "rnbench"
    SUB_TITLE = "vision model serving benchmark"
    """Until the engine is ready; then the main screen names its model."""
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    """Screens get these classes by terminal size; app.tcss lays 80x24 out with them."""

    def __init__(
        self,
        engine_factory: Callable[[], EnginePort],
        body: bytes,
        settings_path: Path | None = None,
        clock: Callable[[], float] = time.time,
        restore_model: bool = True,
    ) -> None:
        """`restore_model`: start with the model an earlier session chose with `m` (False when
        the command line names one: it wins)."""
        super().__init__()
        path = settings_path or stored.default_path()
        self._main = MainScreen(engine_factory, body, path, clock, restore_model)

    @property
    def main_screen(self) -> MainScreen:
        return self._main

    def on_mount(self) -> None:
        self.push_screen(self._main)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        for key in MAIN_KEYS:
            if key.action in seen:
                continue
            seen.add(key.action)
            run = partial(self._main.run_action, unchecked(key.action))  # it says why not
            yield SystemCommand(key.title, key.help, run)

    async def action_quit(self) -> None:
        """ctrl+q asks like q does when something is deployed."""
        self._main.action_request_quit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnbench-tui",
        description=(
            "Keyboard-driven benchmark explorer for serving a vision model (ResNet-50 unless m "
            "or --model chooses another): deploy a configuration "
            "(local server on 127.0.0.1 or a SageMaker endpoint), load-test it with the study's "
            "16 concurrent clients, watch latency live, compare cost with the study's published "
            "table, and tear it down. Keys: c compile, d deploy, t test, x tear down, X tear "
            "all down, a add a target, m model, s test settings, e export CSV, r results, "
            "/ filter the rows, ? help, q quit."
        ),
        epilog=(
            "Local configurations work without AWS. SageMaker rows need credentials, a region "
            "and an execution role (from the options below, or the usual AWS environment and "
            "config files); without them they stay visible and say what is missing. "
            "Results are kept in the user data directory (RNBENCH_HOME overrides it)."
        ),
    )
    aws = parser.add_argument_group("AWS (SageMaker configurations only)")
    aws.add_argument("--profile", help="AWS profile name (default: AWS_PROFILE or default)")
    aws.add_argument("--region", help="AWS region (default: from the profile / AWS_REGION)")
    aws.add_argument("--role", help="SageMaker execution role ARN the endpoints run as")
    aws.add_argument("--bucket", help="S3 bucket for model artifacts (default: SageMaker's)")
    parser.add_argument(
        "--weights",
        type=Path,
        metavar="FILE",
        help="ResNet-50 weights file (.pth); without it, pretrained weights from the torch hub "
        "cache when present, else random weights (marked as such in every result)",
    )
    parser.add_argument(
        "--model",
        metavar="NAME|FILE",
        help="model the local servers load: a torchvision classifier, or a TorchScript/ONNX file "
        "(default: the one chosen with m in the last session, else `model` in config.toml, else "
        "resnet50)",
    )
    parser.add_argument("--input-size", type=int, metavar="PX", help="input side (default 224)")
    parser.add_argument(
        "--image",
        type=Path,
        metavar="JPEG",
        help="request body sent by every test (default: the study's 224x224 dog photo)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from rnbench.core.errors import UsageError
    from rnbench.core.images import default_image, read_image

    try:
        body = read_image(args.image) if args.image else default_image()
    except UsageError as exc:
        print(f"rnbench-tui: error: {exc}", file=sys.stderr)
        return 2

    def build() -> EnginePort:
        from rnbench.core.assembly import build_engine_from

        engine: EnginePort = build_engine_from(vars(args))
        return engine

    named = args.model is not None or args.input_size is not None
    RnbenchApp(build, body, restore_model=not named).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`rnbench`: the headless command line, on the same engine as the TUI, for scripts and CI.

Exit status: 0 on success, 1 when a run failed, 2 on bad usage or input. Errors are one line on
stderr, never a traceback. Results go to stdout and progress to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rnbench.core.errors import RnbenchError, UsageError, speaks_engine_errors
from rnbench.core.test_settings import parse_concurrency, parse_rates

EXAMPLES = """\
examples:
  rnbench run local-cpu --concurrency 16 --duration 20      deploy, test, report, tear down
  rnbench deploy local-cpu-compiled                          start a local server and keep it
  rnbench test local-cpu-compiled --rate 10 --duration 30    open loop at 10 requests/s
  rnbench test local-cpu --concurrency 1,4,16                a sweep: throughput-latency curve
  rnbench leftovers                                          what is still up, and its cost
  rnbench teardown --all                                     stop everything rnbench started
  rnbench results --study                                    every stored run, and the study
  rnbench export --csv runs.csv                              the same, as CSV
  rnbench recommend --p99 200 --tps 500                      cheapest configuration for an SLO

configurations: the study's five on SageMaker (c5, c5-neo, g4dn, g4dn-neo, inf1) and the local
ones (local-cpu, local-cpu-compiled; local-gpu, local-gpu-compiled with CUDA). `rnbench configs`
lists them with their state. The interactive explorer is `rnbench-tui`.
"""


def _positive_int_list(text: str) -> list[int]:
    try:
        return list(parse_concurrency(text))
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_float_list(text: str) -> list[float]:
    try:
        values = list(parse_rates(text))
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not values:
        raise argparse.ArgumentTypeError(f"expected positive numbers: {text!r}")
    return values


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number: {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected zero or more: {text!r}")
    return value


def _add_aws(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("AWS (SageMaker configurations; default: the AWS chain)")
    group.add_argument("--profile", help="AWS profile name")
    group.add_argument("--region", help="AWS region, e.g. eu-west-1")
    group.add_argument("--role", help="SageMaker execution role ARN (or RNBENCH_ROLE_ARN)")
    group.add_argument("--bucket", help="S3 bucket for model artifacts (or RNBENCH_BUCKET)")
    group.add_argument(
        "--serverless-memory",
        type=_serverless_memory,
        metavar="MB",
        help="serverless endpoint memory: 1024-6144 in 1024 steps (default 6144)",
    )
    group.add_argument(
        "--serverless-concurrency",
        type=_serverless_concurrency,
        metavar="N",
        help="serverless endpoint max concurrency, 1-200 (default 5)",
    )


def _serverless_memory(text: str) -> int:
    from rnbench.core.sagemaker.settings import SERVERLESS_MEMORY_CHOICES

    if not text.isdigit() or int(text) not in SERVERLESS_MEMORY_CHOICES:
        sizes = ", ".join(str(m) for m in SERVERLESS_MEMORY_CHOICES)
        raise argparse.ArgumentTypeError(f"expected one of {sizes}: {text!r}")
    return int(text)


def _serverless_concurrency(text: str) -> int:
    from rnbench.core.sagemaker.settings import SERVERLESS_MAX_CONCURRENCY_LIMIT as LIMIT

    if not text.isdigit() or not 1 <= int(text) <= LIMIT:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {LIMIT}: {text!r}")
    return int(text)


def _add_load(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("load")
    group.add_argument(
        "--concurrency",
        type=_positive_int_list,
        default=[16],
        metavar="N[,N...]",
        help="closed loop: concurrent clients (default 16, as the study); a list runs a sweep",
    )
    group.add_argument(
        "--rate",
        type=_positive_float_list,
        metavar="R[,R...]",
        help="open loop: requests per second, timed from their intended send time; "
        "a list runs a sweep",
    )
    group.add_argument(
        "--arrival",
        choices=("constant", "poisson"),
        default="constant",
        help="open loop arrivals (default constant)",
    )
    group.add_argument(
        "--duration", type=_positive_float, default=30.0, help="measured seconds (default 30)"
    )
    group.add_argument(
        "--warmup",
        type=_non_negative_float,
        default=5.0,
        help="unmeasured seconds before measuring (default 5)",
    )
    group.add_argument(
        "--stability",
        type=_positive_float,
        metavar="PCT",
        help="stop once TPS and p99 of the last 3 windows agree within PCT %% "
        "(--duration is then the maximum)",
    )
    group.add_argument(
        "--timeout", type=_positive_float, default=30.0, help="per-request timeout, s (default 30)"
    )
    group.add_argument("--image", type=Path, help="request image (default: the study's JPEG)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnbench",
        description="Which hardware serves ResNet-50 fastest and cheapest? Deploy, load-test, "
        "cost and tear down configurations, locally or on Amazon SageMaker.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--weights",
        type=Path,
        help="pretrained ResNet-50 weights file (default: the torch hub cache, else random "
        "weights, which cost the same to run and are reported as such)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("configs", help="list configurations and their state")
    _add_aws(p)

    p = sub.add_parser("serve", help="run the local inference server in the foreground")
    p.add_argument("--runtime", choices=("eager", "compiled"), default="eager")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080, as SageMaker)")

    for name, text in (
        ("compile", "compile a configuration (Neo job on SageMaker, ONNX export locally)"),
        ("deploy", "deploy a configuration and keep it running"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("config", metavar="CONFIG")
        _add_aws(p)

    p = sub.add_parser("test", help="load-test a deployed configuration")
    p.add_argument("config", metavar="CONFIG")
    _add_load(p)
    _add_aws(p)

    p = sub.add_parser("run", help="deploy if needed, test, report, tear down what it deployed")
    p.add_argument("config", metavar="CONFIG")
    p.add_argument("--keep", action="store_true", help="keep what it deployed running")
    _add_load(p)
    _add_aws(p)

    p = sub.add_parser("teardown", help="delete what rnbench deployed")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("config", nargs="?", metavar="CONFIG")
    target.add_argument("--all", action="store_true", help="everything rnbench owns")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    _add_aws(p)

    p = sub.add_parser(
        "leftovers", help="what rnbench still has deployed, with age and cost so far"
    )
    _add_aws(p)

    p = sub.add_parser("results", help="table of stored runs, newest first")
    p.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    p.add_argument(
        "--study",
        action="store_true",
        help="also show the reference study's published rows beside rnbench's best runs",
    )

    p = sub.add_parser("export", help="export stored runs to CSV")
    p.add_argument("--csv", type=Path, required=True, metavar="PATH")

    p = sub.add_parser("recommend", help="cheapest measured configuration meeting an SLO")
    p.add_argument("--p99", type=_positive_float, required=True, metavar="MS")
    p.add_argument("--tps", type=_positive_float, required=True, metavar="N")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from rnbench.tui.cli import commands

    handler: Callable[[argparse.Namespace], int] = getattr(commands, f"cmd_{args.command}")
    try:
        return speaks_engine_errors(handler)(args)
    except UsageError as exc:
        print(f"rnbench: error: {exc}", file=sys.stderr)
        return 2
    except RnbenchError as exc:
        print(f"rnbench: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rnbench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())

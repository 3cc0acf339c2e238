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
from typing import NoReturn

from rnbench.core.errors import RnbenchError, UsageError, speaks_engine_errors
from rnbench.core.run import options
from rnbench.core.signals import interrupt_on_termination
from rnbench.tui.cli import foreign

EXAMPLES = """\
examples:
  rnbench run local-cpu --concurrency 16 --duration 20      deploy, test, report, tear down
  rnbench deploy local-cpu-compiled                          start a local server and keep it
  rnbench test local-cpu-compiled --rate 10 --duration 30    open loop at 10 requests/s
  rnbench test local-cpu --concurrency 1,4,16                a sweep: throughput-latency curve
  rnbench test --endpoint my-endpoint --duration 60          an endpoint rnbench did not deploy
  rnbench test --url http://10.0.0.5:8080/invocations        any server with the SageMaker contract
  rnbench leftovers                                          what is still up, and its cost
  rnbench teardown --all                                     stop everything rnbench started
  rnbench results --study                                    every stored run, and the study
  rnbench export --csv runs.csv                              the same, as CSV
  rnbench export --out runs.parquet --format parquet         ... or JSON, or Parquet
  rnbench report --out report.html --slo-p99-ms 200          an offline HTML page with charts
  rnbench recommend --p99 200 --tps 500                      cheapest configuration for an SLO

configurations: the study's five on SageMaker (c5, c5-neo, g4dn, g4dn-neo, inf1) and the local
ones (local-cpu, local-cpu-compiled; local-gpu, local-gpu-compiled with CUDA). `rnbench configs`
lists them with their state. The interactive explorer is `rnbench-tui`.
"""


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors on one line (`rnbench test: error: ...`), exit 2; the
    usage itself is for `--help`."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _checked(parse: Callable[[str], object]) -> Callable[[str], object]:
    """An argparse type from one of the core's parsers (the TUI's settings use the same)."""

    def convert(text: str) -> object:
        try:
            return parse(text)
        except UsageError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__.removeprefix("parse_")
    return convert


def _rates(text: str) -> tuple[float, ...]:
    values = options.parse_rates(text)
    if not values:
        raise UsageError(f"expected positive numbers: {text!r}")
    return values


def _port(text: str) -> int:
    value = options.whole("port", text)
    if not 0 <= value <= 65535:
        raise UsageError(f"port must be between 0 and 65535, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = options.number("value", text, "")
    if not value > 0:
        raise UsageError(f"expected a positive number: {text!r}")
    return value


def _positive_int(text: str) -> int:
    value = options.whole("value", text)
    if value < 1:
        raise UsageError(f"expected a positive whole number: {text!r}")
    return value


def _max_batch(text: str) -> int:
    value = _positive_int(text)
    if value > options.MAX_CONCURRENCY:
        raise UsageError(
            f"a batch joins concurrent requests, and a test sends at most "
            f"{options.MAX_CONCURRENCY}: got {value}"
        )
    return value


def _non_negative_float(text: str) -> float:
    value = options.number("value", text, "")
    if value < 0:
        raise UsageError(f"expected zero or more: {text!r}")
    return value


def _whole(text: str) -> int:
    value = options.whole("value", text)
    if value < 0:
        raise UsageError(f"expected zero or more: {text!r}")
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
    from rnbench.core.backends.sagemaker.settings import SERVERLESS_MEMORY_CHOICES

    if not text.isdigit() or int(text) not in SERVERLESS_MEMORY_CHOICES:
        sizes = ", ".join(str(m) for m in SERVERLESS_MEMORY_CHOICES)
        raise argparse.ArgumentTypeError(f"expected one of {sizes}: {text!r}")
    return int(text)


def _serverless_concurrency(text: str) -> int:
    from rnbench.core.backends.sagemaker.settings import SERVERLESS_MAX_CONCURRENCY_LIMIT as LIMIT

    if not text.isdigit() or not 1 <= int(text) <= LIMIT:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {LIMIT}: {text!r}")
    return int(text)


def _add_batching(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("local server dynamic batching")
    group.add_argument(
        "--max-batch",
        type=_checked(_max_batch),
        metavar="N",
        help="most requests the server runs together (1: no batching; at most "
        f"{options.MAX_CONCURRENCY}; default: the server's)",
    )
    group.add_argument(
        "--max-delay-ms",
        type=_checked(_non_negative_float),
        metavar="MS",
        help="how long a request may wait for others to join its batch (default: the server's)",
    )


def _add_load(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("load")
    group.add_argument(
        "--concurrency",
        type=_checked(options.parse_concurrency),
        default=[16],
        metavar="N[,N...]",
        help="closed loop: concurrent clients (default 16, as the study); a list runs a sweep",
    )
    group.add_argument(
        "--rate",
        type=_checked(_rates),
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
        "--duration",
        type=_checked(options.parse_duration),
        default=30.0,
        help="measured seconds (default 30)",
    )
    group.add_argument(
        "--warmup",
        type=_checked(options.parse_warmup),
        default=5.0,
        help="unmeasured seconds before measuring (default 5)",
    )
    group.add_argument(
        "--stability",
        type=_checked(options.parse_stability),
        metavar="PCT",
        help="stop once TPS and p99 of the last 3 windows agree within PCT %% "
        "(--duration is then the maximum)",
    )
    group.add_argument(
        "--timeout",
        type=_checked(options.parse_timeout),
        default=30.0,
        help="per-request timeout, s (default 30)",
    )
    group.add_argument(
        "--max-error-pct",
        type=_checked(options.parse_max_error_pct),
        default=options.DEFAULT_MAX_ERROR_PCT,
        metavar="PCT",
        help="a run with more failed requests than PCT %% of those sent is 'degraded' "
        "(none succeeded: 'failed') and the command exits 1 (default 5)",
    )
    group.add_argument("--image", type=Path, help="request image (default: the study's JPEG)")
    group = parser.add_argument_group("load beyond one process or machine (Locust)")
    group.add_argument(
        "--workers",
        type=_checked(_positive_int),
        default=0,
        metavar="N",
        help="send the load from N Locust worker processes on this machine (closed loop); "
        "the exact HDR histograms they record are merged",
    )
    group.add_argument(
        "--remote-workers",
        type=_checked(_positive_int),
        default=0,
        metavar="M",
        help="also wait for M workers on other machines (`rnbench worker --master THIS_HOST`)",
    )
    group.add_argument(
        "--master-port",
        type=_checked(_port),
        default=5557,
        metavar="PORT",
        help="port the Locust master listens on for remote workers (default 5557)",
    )


def _add_model(p: argparse.ArgumentParser, default: object = argparse.SUPPRESS) -> None:
    """--model and --input-size, before or after the command (SUPPRESS: the later one wins)."""
    p.add_argument(
        "--model",
        default=default,
        metavar="NAME|FILE",
        help="a torchvision classifier (`rnbench models`), or a TorchScript (.pt/.pth) or ONNX "
        "(.onnx) file (default resnet50, or `model` in config.toml)",
    )
    p.add_argument(
        "--input-size",
        type=_checked(_whole),
        default=default,
        metavar="PX",
        help="input side when the model's own transforms are unknown (default 224)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
    _add_model(parser, None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sub.add_parser("models", help="list the torchvision models --model accepts")

    p = sub.add_parser("configs", help="list configurations and their state")
    _add_aws(p)

    p = sub.add_parser("serve", help="run the local inference server in the foreground")
    p.add_argument("--runtime", choices=("eager", "compiled", "bf16", "int8"), default="eager")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument(
        "--port", type=_checked(_port), default=8080, help="port (default 8080, as SageMaker)"
    )
    _add_batching(p)
    _add_model(p)

    for name, text in (
        ("compile", "compile a configuration (Neo job on SageMaker, ONNX export locally)"),
        ("deploy", "deploy a configuration and keep it running"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("config", metavar="CONFIG")
        if name == "deploy":
            _add_batching(p)
        _add_model(p)
        _add_aws(p)

    p = sub.add_parser(
        "test", help="load-test a deployed configuration, or your own endpoint (--endpoint, --url)"
    )
    p.add_argument("config", nargs="?", metavar="CONFIG")
    foreign.add_options(p)
    _add_load(p)
    _add_model(p)
    _add_aws(p)

    p = sub.add_parser("worker", help="send load for a Locust master on another machine")
    p.add_argument(
        "--master",
        required=True,
        metavar="HOST[:PORT]",
        help="the master (`rnbench test --remote-workers`), port 5557 unless given",
    )

    p = sub.add_parser("run", help="deploy if needed, test, report, tear down what it deployed")
    p.add_argument("config", metavar="CONFIG")
    p.add_argument("--keep", action="store_true", help="keep what it deployed running")
    _add_load(p)
    _add_batching(p)
    _add_model(p)
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
    p.add_argument(
        "--limit", type=_checked(_whole), default=50, help="at most this many (default 50)"
    )
    p.add_argument(
        "--study",
        action="store_true",
        help="also show the reference study's published rows beside rnbench's best runs",
    )
    p.add_argument("--only-model", metavar="MODEL", help="only runs of this model")

    p = sub.add_parser("export", help="export stored runs to CSV, JSON or Parquet")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--csv", type=Path, metavar="PATH", help="CSV to PATH (--format csv)")
    where.add_argument("--out", type=Path, metavar="PATH", help="write to PATH as --format")
    p.add_argument(
        "--format",
        choices=("csv", "json", "parquet"),
        help="csv (empty cell: none), json (a list of objects, null: none) or parquet "
        "(typed columns, through pyarrow); default csv",
    )

    p = sub.add_parser(
        "report", help="one self-contained HTML page of stored runs, with charts (offline)"
    )
    p.add_argument(
        "--out", type=Path, default=Path("rnbench-report.html"), metavar="FILE.html",
        help="where to write it (default ./rnbench-report.html)",
    )  # fmt: skip
    chosen = p.add_mutually_exclusive_group()
    chosen.add_argument("--runs", nargs="+", default=[], metavar="ID", help="these runs")
    chosen.add_argument("--sweep", default="", metavar="ID", help="the runs of one sweep")
    chosen.add_argument(
        "--since", default="", metavar="DATE", help="runs started on or after DATE (UTC)"
    )
    p.add_argument(
        "--slo-p99-ms", type=_checked(_positive_float), metavar="MS",
        help="also say which configurations meet p99 <= MS, and the cheapest",
    )  # fmt: skip

    p = sub.add_parser("recommend", help="cheapest measured configuration meeting an SLO")
    p.add_argument("--p99", type=_checked(_positive_float), required=True, metavar="MS")
    p.add_argument("--tps", type=_checked(_positive_float), required=True, metavar="N")
    _add_model(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from rnbench.tui.cli import commands

    if getattr(args, "model", None) == "help":
        args.command = "models"
    handler: Callable[[argparse.Namespace], int] = getattr(commands, f"cmd_{args.command}")
    try:
        with interrupt_on_termination():  # SIGTERM/SIGHUP clean up as Ctrl-C does
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

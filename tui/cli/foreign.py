"""`rnbench test --endpoint NAME` and `--url URL`: which target a test command loads.

A foreign target (an endpoint rnbench did not create) is checked before any load: an endpoint
must exist and be InService (DescribeEndpoint); a URL is pinged (GET /ping) and tested even if
the ping fails, which is said. rnbench never deploys, compiles or tears a foreign target down.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rnbench.core.backends.foreign import targets as foreign
from rnbench.core.errors import UsageError
from rnbench.tui.cli.output import say

REFUSAL = foreign.REFUSAL

if TYPE_CHECKING:
    from rnbench.core.configs import Configuration
    from rnbench.core.engine import Engine


def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "bring your own target (load test only: rnbench never deploys or tears it down)"
    )
    group.add_argument("--endpoint", metavar="NAME", help="an existing SageMaker endpoint")
    group.add_argument(
        "--url",
        metavar="URL",
        help="any HTTP endpoint with the SageMaker contract, e.g. http://HOST:8080/invocations",
    )
    group.add_argument(
        "--usd-per-hour",
        type=_positive_price,
        metavar="USD",
        help="its hourly price, recorded as user-given (default: none, cost columns empty)",
    )


def _positive_price(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number: {text!r}")
    return value


def given_target(args: argparse.Namespace) -> foreign.ForeignTarget | None:
    """The foreign target of the options (checked offline), or None when CONFIG is given.

    Raises:
        UsageError: not exactly one of CONFIG, --endpoint and --url; a bad URL or name;
            --usd-per-hour with a configuration.
    """
    given = [x for x in (args.config, args.endpoint, args.url) if x is not None]
    if len(given) != 1:
        raise UsageError("give one of CONFIG, --endpoint NAME or --url URL")
    if args.endpoint is not None:
        return foreign.endpoint(args.endpoint)
    if args.url is not None:
        return foreign.url(args.url)
    if foreign.is_foreign_key(args.config):
        return foreign.ForeignTarget.from_key(args.config)
    if args.usd_per_hour is not None:
        raise UsageError(
            "--usd-per-hour prices --endpoint and --url targets; a configuration's price "
            "comes from prices.toml"
        )
    return None


def checked_configuration(
    engine: Engine, target: foreign.ForeignTarget, usd_per_hour: float | None
) -> Configuration:
    """The target's configuration, once it is known to be testable; says that it is foreign.

    Raises:
        UsageError (no such endpoint), NotDeployedError (not InService), ControlPlaneError.
    """
    config = engine.foreign_configuration(target, usd_per_hour)
    status = engine.check_foreign(config)
    hardware = status.deployment.instance_type if status.deployment is not None else "unknown"
    where = "hardware unknown" if hardware == "unknown" else f"runs on {hardware}"
    say(
        f"{config.key}: foreign target (not deployed by rnbench: load test only, never torn "
        f"down; {where})"
    )
    if status.reason:
        say(f"note: {status.reason}; testing anyway")
    return config

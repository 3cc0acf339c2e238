"""Hourly prices of the instance types in use, each with where it comes from.

A price is looked up in this order, first match wins:
1. a user override for the configuration (`[config."local-cpu"]` in prices.toml, or
   `with_override(config_key=...)`);
2. a user override for the instance type (`[instance."ml.c5.xlarge"]`), for one region when the
   override names one, else for every region;
3. a live price (a callable injected by the SageMaker backend, e.g. the AWS Price List API);
4. the packaged table (`data/prices.csv`) for that instance type and region;
5. none: cost columns stay empty, and `missing_reason` says why in one line (the live lookup's
   own reason when it raised one). Local configurations (`instance_type == "local"`) never reach
   steps 3-4, so they have a price only when the user gives one.

The packaged table holds only the prices the reference study states (eu-west-1, undated): no
current on-demand price list could be cited from a verifiable source when it was written, and
rnbench does not invent prices. Current prices come from the live lookup or from overrides.

User overrides live in a TOML file the engine names (`prices.toml` in its data folder)::

    [config."local-cpu"]          # one configuration
    usd_per_hour = 0.10

    [instance."ml.c5.xlarge"]     # one instance type
    usd_per_hour = 0.204
    region = "us-east-1"          # optional; without it the override applies in every region
"""

from __future__ import annotations

import csv
import io
import math
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from rnbench.results.errors import ResultsUsageError

LOCAL_INSTANCE = "local"
"""The `instance_type` of configurations served on this machine."""


@dataclass(frozen=True)
class Price:
    """An on-demand hourly price, with its provenance."""

    instance_type: str
    region: str
    usd_per_hour: float
    source: str
    """Where the figure comes from (a study, a price list API call, a user override)."""
    as_of: str
    """When the source stated it (ISO date); empty when the source is undated."""


LivePrice = Callable[[str, str], Price | None]
"""(instance_type, region) -> the current price, or None when the price list has none; raises
LookupError with a one-line reason when it cannot be asked (no credentials, no permission)."""
PACKAGED_NOTE = "the packaged table holds only the study's eu-west-1 prices"


@dataclass(frozen=True)
class Override:
    """A price the user gave, for a configuration or an instance type."""

    usd_per_hour: float
    source: str
    as_of: str
    region: str | None = None
    """Instance-type overrides only: the region it applies to; None means every region."""


def _parse_table(text: str) -> tuple[Price, ...]:
    return tuple(
        Price(
            instance_type=row["instance_type"],
            region=row["region"],
            usd_per_hour=float(row["usd_per_hour"]),
            source=row["source"],
            as_of=row["as_of"],
        )
        for row in csv.DictReader(io.StringIO(text))
    )


@cache
def packaged_prices() -> tuple[Price, ...]:
    """The price table shipped in the package (`data/prices.csv`)."""
    text = resources.files("rnbench.results").joinpath("data/prices.csv").read_text("utf-8")
    return _parse_table(text)


def _check_price(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ResultsUsageError(f"{where}: usd_per_hour must be a number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ResultsUsageError(f"{where}: usd_per_hour must be > 0, got {value!r}")
    return float(value)


def _parse_section(data: Any, kind: str, path: Path, as_of: str) -> dict[str, Override]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ResultsUsageError(f"{path}: [{kind}] must be a table of tables")
    result: dict[str, Override] = {}
    for name, entry in data.items():
        where = f'{path}: [{kind}."{name}"]'
        if not isinstance(entry, dict):
            raise ResultsUsageError(f"{where} must be a table with usd_per_hour")
        unknown = set(entry) - (
            {"usd_per_hour", "region"} if kind == "instance" else {"usd_per_hour"}
        )
        if unknown:
            raise ResultsUsageError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        if "usd_per_hour" not in entry:
            raise ResultsUsageError(f"{where}: usd_per_hour is missing")
        region = entry.get("region")
        if region is not None and not isinstance(region, str):
            raise ResultsUsageError(f"{where}: region must be a string")
        price = _check_price(entry["usd_per_hour"], where)
        result[name] = Override(price, f"user override ({path.name})", as_of, region)
    return result


def load_overrides(path: Path) -> tuple[dict[str, Override], dict[str, Override]]:
    """Read a prices.toml: (per configuration, per instance type). A missing file is empty.

    Raises:
        ResultsUsageError: the file cannot be read, is not TOML, or holds a bad entry.
    """
    if not path.exists():
        return {}, {}
    try:
        data = tomllib.loads(path.read_text("utf-8"))
        as_of = datetime.fromtimestamp(path.stat().st_mtime, UTC).date().isoformat()
    except (OSError, UnicodeDecodeError) as e:
        raise ResultsUsageError(f"cannot read price overrides {path}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ResultsUsageError(f"price overrides {path} are not valid TOML: {e}") from None
    unknown = set(data) - {"config", "instance"}
    if unknown:
        raise ResultsUsageError(f"{path}: unknown section(s) {', '.join(sorted(unknown))}")
    configs = _parse_section(data.get("config"), "config", path, as_of)
    instances = _parse_section(data.get("instance"), "instance", path, as_of)
    return configs, instances


class PriceBook:
    """Finds the price of an instance type in a region, for a configuration (see module doc)."""

    def __init__(
        self,
        table: Iterable[Price] = (),
        live: LivePrice | None = None,
        config_overrides: Mapping[str, Override] | None = None,
        instance_overrides: Mapping[str, Override] | None = None,
    ) -> None:
        self._table = {(p.instance_type, p.region): p for p in table}
        self._live = live
        self._configs = dict(config_overrides or {})
        self._instances = dict(instance_overrides or {})
        self._live_cache: dict[tuple[str, str], Price | None] = {}
        self._live_errors: dict[tuple[str, str], str] = {}

    @classmethod
    def load(cls, overrides: Path, live: LivePrice | None = None) -> PriceBook:
        """The packaged table plus the user's overrides from `overrides` (absent: none).

        Raises:
            ResultsUsageError: the override file is unreadable or malformed.
        """
        configs, instances = load_overrides(overrides)
        return cls(packaged_prices(), live, configs, instances)

    def with_override(
        self,
        usd_per_hour: float,
        *,
        config_key: str | None = None,
        instance_type: str | None = None,
        region: str | None = None,
        source: str = "user override",
    ) -> PriceBook:
        """A copy of this book with one more override, for a configuration or an instance type.

        Raises:
            ResultsUsageError: neither or both of `config_key` and `instance_type` are given,
                or the price is not a positive number.
        """
        if (config_key is None) == (instance_type is None):
            raise ResultsUsageError(
                "a price override names either a configuration or an instance type"
            )
        override = Override(
            _check_price(usd_per_hour, "price override"), source, date.today().isoformat(), region
        )
        configs, instances = dict(self._configs), dict(self._instances)
        if config_key is not None:
            configs[config_key] = override
        else:
            assert instance_type is not None
            instances[instance_type] = override
        return PriceBook(self._table.values(), self._live, configs, instances)

    def with_live(self, live: LivePrice | None) -> PriceBook:
        """A copy of this book that asks `live` before the packaged table."""
        return PriceBook(self._table.values(), live, self._configs, self._instances)

    def lookup(
        self, instance_type: str, region: str, config_key: str | None = None
    ) -> Price | None:
        """The price to use, or None when there is none (cost columns then stay empty)."""
        override = self._configs.get(config_key) if config_key is not None else None
        if override is None:
            override = self._instances.get(instance_type)
            if override is not None and override.region not in (None, region):
                override = None
        if override is not None:
            return Price(
                instance_type, region, override.usd_per_hour, override.source, override.as_of
            )
        if instance_type == LOCAL_INSTANCE:
            return None
        live = self._live_price(instance_type, region)
        if live is not None:
            return live
        return self._table.get((instance_type, region))

    def _live_price(self, instance_type: str, region: str) -> Price | None:
        if self._live is None or not region:
            return None
        key = (instance_type, region)
        if key not in self._live_cache:
            try:
                self._live_cache[key] = self._live(instance_type, region)
            except Exception as error:  # an unreachable price service must not stop a run
                self._live_cache[key] = None
                self._live_errors[key] = " ".join(str(error).split())[:300] or repr(error)
        return self._live_cache[key]

    def missing_reason(self, instance_type: str, region: str, config_key: str | None = None) -> str:
        """`no price: <why>`: one line saying why `lookup` finds nothing ("" when it does)."""
        if self.lookup(instance_type, region, config_key) is not None:
            return ""
        if instance_type == LOCAL_INSTANCE:
            return "no price: this machine has one only when prices.toml gives it"
        if not region:
            return f"no price: no AWS region to price {instance_type} in"
        error = self._live_errors.get((instance_type, region))
        if error:
            return f"no price: {error}; {PACKAGED_NOTE}"
        if self._live is None:
            return f"no price: no live price lookup, and {PACKAGED_NOTE}"
        return (
            f"no price: the AWS Price List API lists no on-demand SageMaker hosting price for "
            f"{instance_type} in {region}"
        )

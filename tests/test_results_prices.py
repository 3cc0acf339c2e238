"""Price lookup precedence, the packaged table, and user overrides from prices.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnbench.core.paths import data_dir, price_overrides
from rnbench.results.errors import ResultsUsageError
from rnbench.results.prices import Price, PriceBook, packaged_prices

LIVE = Price("ml.c5.xlarge", "us-east-1", 0.5, "test live lookup", "2026-01-01")


def test_packaged_table_has_the_study_prices_with_source() -> None:
    table = {(p.instance_type, p.region): p for p in packaged_prices()}
    assert table[("ml.c5.xlarge", "eu-west-1")].usd_per_hour == 0.23
    assert table[("ml.g4dn.xlarge", "eu-west-1")].usd_per_hour == 0.821
    assert table[("ml.inf1.xlarge", "eu-west-1")].usd_per_hour == 0.33
    for price in packaged_prices():
        assert price.source and price.region


def test_default_book_prices_study_rows_and_not_local_ones() -> None:
    book = PriceBook.load(price_overrides())
    price = book.lookup("ml.inf1.xlarge", "eu-west-1", "inf1")
    assert price is not None and price.usd_per_hour == 0.33 and "study" in price.source
    assert book.lookup("ml.inf1.xlarge", "us-east-1", "inf1") is None  # no invented prices
    assert book.lookup("local", "", "local-cpu") is None


def test_precedence_config_then_instance_then_live_then_table() -> None:
    calls: list[tuple[str, str]] = []

    def live(instance_type: str, region: str) -> Price | None:
        calls.append((instance_type, region))
        return Price(instance_type, region, 0.5, "live", "2026-01-01")

    book = PriceBook(packaged_prices(), live)
    assert book.lookup("ml.c5.xlarge", "eu-west-1", "c5").usd_per_hour == 0.5  # type: ignore[union-attr]
    book = book.with_override(0.3, instance_type="ml.c5.xlarge")
    assert book.lookup("ml.c5.xlarge", "eu-west-1", "c5").usd_per_hour == 0.3  # type: ignore[union-attr]
    book = book.with_override(0.2, config_key="c5-neo")
    assert book.lookup("ml.c5.xlarge", "eu-west-1", "c5-neo").usd_per_hour == 0.2  # type: ignore[union-attr]
    assert book.lookup("ml.c5.xlarge", "eu-west-1", "c5").usd_per_hour == 0.3  # type: ignore[union-attr]
    assert calls == [("ml.c5.xlarge", "eu-west-1")]


def test_live_failure_or_miss_falls_back_to_the_table() -> None:
    def broken(instance_type: str, region: str) -> Price | None:
        raise ConnectionError("no route to pricing")

    book = PriceBook(packaged_prices(), broken)
    assert book.lookup("ml.c5.xlarge", "eu-west-1").usd_per_hour == 0.23  # type: ignore[union-attr]
    book = book.with_live(lambda i, r: None)
    assert book.lookup("ml.g4dn.xlarge", "eu-west-1").usd_per_hour == 0.821  # type: ignore[union-attr]
    assert book.with_live(lambda i, r: LIVE).lookup("ml.c5.xlarge", "us-east-1") == LIVE


def test_local_configurations_have_a_price_only_when_given() -> None:
    book = PriceBook(packaged_prices(), lambda i, r: LIVE)
    assert book.lookup("local", "", "local-cpu") is None
    priced = book.with_override(0.1, config_key="local-cpu")
    price = priced.lookup("local", "", "local-cpu")
    assert price is not None and price.usd_per_hour == 0.1 and "override" in price.source
    assert priced.lookup("local", "", "local-cpu-compiled") is None


def test_overrides_from_toml(tmp_path: Path) -> None:
    (data_dir() / "prices.toml").write_text(
        '[config."local-cpu"]\nusd_per_hour = 0.10\n\n'
        '[instance."ml.c5.xlarge"]\nusd_per_hour = 0.204\nregion = "us-east-1"\n\n'
        '[instance."ml.inf1.xlarge"]\nusd_per_hour = 0.297\n'
    )
    book = PriceBook.load(price_overrides())
    local = book.lookup("local", "", "local-cpu")
    assert local is not None and local.usd_per_hour == 0.10
    assert "prices.toml" in local.source and len(local.as_of) == 10
    assert book.lookup("ml.c5.xlarge", "us-east-1").usd_per_hour == 0.204  # type: ignore[union-attr]
    # A regional override does not leak into another region: the study's price stays there.
    assert book.lookup("ml.c5.xlarge", "eu-west-1").usd_per_hour == 0.23  # type: ignore[union-attr]
    assert book.lookup("ml.inf1.xlarge", "ap-south-1").usd_per_hour == 0.297  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    [
        "this is not toml = =",
        '[config."local-cpu"]\nusd_per_hour = "cheap"\n',
        '[config."local-cpu"]\nusd_per_hour = -1\n',
        '[config."local-cpu"]\nprice = 1\n',
        "[prices]\nx = 1\n",
        "config = 3\n",
    ],
)
def test_bad_override_file_is_a_one_line_usage_error(text: str) -> None:
    path = data_dir() / "prices.toml"
    path.write_text(text)
    with pytest.raises(ResultsUsageError) as info:
        PriceBook.load(price_overrides())
    assert "\n" not in str(info.value) and "prices.toml" in str(info.value)


def test_with_override_checks_its_arguments() -> None:
    book = PriceBook()
    with pytest.raises(ResultsUsageError):
        book.with_override(0.1)
    with pytest.raises(ResultsUsageError):
        book.with_override(0.1, config_key="c5", instance_type="ml.c5.xlarge")
    with pytest.raises(ResultsUsageError):
        book.with_override(0.0, config_key="c5")

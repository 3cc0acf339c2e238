"""One settings parser for both front ends: lists, ranges, and how they fit together."""

from __future__ import annotations

import pytest

from rnbench.core.errors import UsageError
from rnbench.core.run.options import (
    MAX_CONCURRENCY,
    TestSettings,
    checked,
    parse,
    parse_concurrency,
    parse_rates,
)


def test_lists_take_commas_or_spaces() -> None:
    assert parse_concurrency("1,4, 16") == (1, 4, 16)
    assert parse_concurrency("1 4") == (1, 4)
    assert parse_rates("") == ()
    assert parse_rates("5,12.5") == (5.0, 12.5)


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "required"), ("abc", "whole number"), ("4,-1", "between 1"), ("0", "between 1")],
)
def test_bad_concurrency_says_which(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_concurrency(text)


def test_concurrency_has_a_ceiling() -> None:
    assert parse_concurrency(str(MAX_CONCURRENCY)) == (MAX_CONCURRENCY,)
    with pytest.raises(UsageError, match="between 1"):
        parse_concurrency(str(MAX_CONCURRENCY + 1))


@pytest.mark.parametrize(("text", "message"), [("0", "> 0"), ("inf", "finite"), ("x", "number")])
def test_bad_rates_say_which(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_rates(text)


def test_parse_builds_the_settings_and_their_plan() -> None:
    settings = parse("8", "3", "1", "5,10", "7.5")
    assert settings == TestSettings((8,), 3.0, 1.0, (5.0, 10.0), 7.5)
    specs = settings.specs(timeout_s=4.0, arrival="poisson")
    assert [(s.concurrency, s.rate, s.arrival, s.timeout_s) for s in specs] == [
        (8, 5.0, "poisson", 4.0),
        (8, 10.0, "poisson", 4.0),
    ]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (TestSettings((1, 2), rate=(5.0,)), "not both"),
        (TestSettings(duration_s=0.0), "duration"),
        (TestSettings(warmup_s=-1.0), "warm-up"),
        (TestSettings(stability_pct=150.0), "stability"),
        (TestSettings(tuple(range(1, 14))), "at most 12"),
    ],
)
def test_checked_refuses_settings_that_do_not_fit(settings: TestSettings, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        checked(settings)


def test_checked_passes_good_settings_through() -> None:
    settings = TestSettings((1, 4), 10.0, 0.0, (), None)
    assert checked(settings) is settings


def test_one_client_is_said_in_the_singular() -> None:
    from rnbench.core.loadgen.types import LoadSpec
    from rnbench.core.run.options import describe_spec

    assert describe_spec(LoadSpec(concurrency=1, duration_s=3, warmup_s=1)).startswith("1 client,")
    assert describe_spec(LoadSpec(concurrency=2)).startswith("2 clients,")
    assert TestSettings(concurrency=(1,)).describe().startswith("1 client,")

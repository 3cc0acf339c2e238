"""Knee detection, the study overlay and the SLO recommendation, on hand-made data."""

from __future__ import annotations

import ast
import math
import subprocess
import sys
from typing import Any

import pytest
from records import make_record

from rnbench.results.analysis import (
    HOW_TO_PRICE,
    STUDY_LATENCY_ERROR,
    knee,
    recommend,
    study_overlay,
)
from rnbench.results.errors import ResultsUsageError
from rnbench.results.record import RunRecord
from rnbench.results.seed import published_rows


def run(
    run_id: str, config: str, tps: float, p99: float, price: float | None, **kw: Any
) -> RunRecord:
    fields: dict[str, Any] = dict(
        config=config, backend="sagemaker", instance_type="ml.x", weights="pretrained",
        duration_s=60.0, requests=int(tps * 60), tps=tps, mean_ms=p99 / 2, p50_ms=p99 / 2,
        p90_ms=p99 * 0.8, p95_ms=p99 * 0.9, p99_ms=p99, max_ms=p99 * 1.2,
        littles_law_residual_pct=1.0, usd_per_hour=price, price_source="test",
        transactions_per_hour=tps * 3600,
    )  # fmt: skip
    return make_record(run_id, **{**fields, **kw})


# --- knee -------------------------------------------------------------------------------------


def test_knee_of_a_saturating_curve() -> None:
    # Throughput grows with load until ~80 TPS, then latency climbs while throughput stalls.
    curve = [(20.0, 50.0), (40.0, 50.0), (78.0, 51.0), (80.0, 100.0), (80.5, 200.0)]
    assert knee(curve) == 2


def test_knee_at_the_first_point_when_it_is_saturated_already() -> None:
    assert knee([(100.0, 10.0), (101.0, 20.0), (101.0, 40.0)]) == 0


def test_no_knee_while_latency_grows_slower_than_throughput() -> None:
    assert knee([(10.0, 50.0), (20.0, 52.0), (40.0, 60.0), (80.0, 90.0)]) is None


def test_knee_when_throughput_falls() -> None:
    assert knee([(10.0, 50.0), (20.0, 50.0), (18.0, 50.0)]) == 1


def test_knee_tolerance_ignores_small_noise() -> None:
    curve = [(100.0, 50.0), (101.0, 51.5), (150.0, 52.0), (151.0, 120.0)]
    assert knee(curve) == 0
    assert knee(curve, tolerance=0.05) == 2


def test_knee_of_degenerate_curves() -> None:
    assert knee([]) is None
    assert knee([(10.0, 5.0)]) is None
    assert knee([(0.0, 0.0), (10.0, 50.0), (20.0, 100.0)]) is None  # equal growth is no knee


# --- study overlay -----------------------------------------------------------------------------


def test_overlay_shows_published_and_littles_law_side_by_side() -> None:
    measured = [
        run("a", "inf1", 290.0, 80.0, 0.33),
        run("b", "inf1", 310.0, 90.0, 0.33),
        run("c", "inf1", 400.0, 90.0, 0.33, status="failed"),
        run("d", "local-cpu", 20.0, 900.0, None),
    ]
    rows = study_overlay(published_rows(), measured)
    assert [r.config_key for r in rows] == ["c5", "c5-neo", "g4dn", "g4dn-neo", "inf1"]
    inf1 = rows[-1]
    assert inf1.published_latency_ms == pytest.approx(4.90315)
    assert inf1.littles_law_latency_ms == pytest.approx(16 / 304.3 * 1000)
    assert inf1.ratio == pytest.approx(10.72, abs=0.01)
    assert inf1.measured is not None and inf1.measured.run_id == "b"
    assert all(r.measured is None for r in rows[:-1])
    assert "10" in STUDY_LATENCY_ERROR and "Little" in STUDY_LATENCY_ERROR
    assert "\n" not in STUDY_LATENCY_ERROR


# --- recommendation ----------------------------------------------------------------------------

TABLE = [
    run("c5", "c5", 12.0, 1400.0, 0.23),
    run("g4dn", "g4dn", 140.0, 130.0, 0.821),
    run("inf1", "inf1", 300.0, 60.0, 0.33),
    run("local", "local-cpu", 25.0, 700.0, None),
]


def test_picks_the_cheapest_row_that_meets_the_slo() -> None:
    result = recommend(TABLE, p99_ms=200, tps=500)
    best = result.best
    assert best is not None and best.config == "inf1" and best.instances == 2
    assert best.usd_per_hour == pytest.approx(0.66)
    assert best.capacity_tps == 600
    assert best.usd_per_month == pytest.approx(0.66 * 730)
    assert best.usd_per_1m == pytest.approx(0.66 / (500 * 3600) * 1e6)
    assert [c.config for c in result.candidates] == ["inf1", "g4dn"]
    assert {r.config: r.reason.split(":")[0] for r in result.rejections} == {
        "c5": "p99 too high",
        "local-cpu": "p99 too high",  # 700 ms: its missing price is not the reason
    }
    assert "inf1 x 2" in result.explanation


def test_a_cheaper_configuration_that_needs_more_instances_wins() -> None:
    table = [
        run("big", "g4dn", 140.0, 100.0, 0.821),  # 1 instance: 0.821 $/h
        run("small", "c5-neo", 40.0, 150.0, 0.23),  # 3 instances: 0.69 $/h
    ]
    best = recommend(table, p99_ms=200, tps=100).best
    assert best is not None and best.config == "c5-neo" and best.instances == 3
    assert best.usd_per_hour == pytest.approx(0.69)
    # A tighter SLO rules the cheap one out.
    best = recommend(table, p99_ms=120, tps=100).best
    assert best is not None and best.config == "g4dn" and best.instances == 1


def test_no_row_meets_the_slo() -> None:
    result = recommend(TABLE, p99_ms=10, tps=100)
    assert result.best is None and result.candidates == ()
    assert len(result.rejections) == 4
    assert result.explanation.startswith("no measured run meets p99 <= 10 ms")
    assert recommend([], p99_ms=10, tps=100).explanation == "no measured runs to recommend from"


def test_runs_with_errors_unfinished_or_unstable_do_not_qualify() -> None:
    table = [
        run("errs", "inf1", 300.0, 60.0, 0.33, errors=200),  # 1.1 % errors
        run("few", "inf1", 300.0, 60.0, 0.40, errors=10),  # 0.06 %: allowed
        run("live", "inf1", 300.0, 60.0, 0.10, status="running"),
        run("wobbly", "inf1", 300.0, 60.0, 0.10, stable=False),
    ]
    result = recommend(table, p99_ms=100, tps=100)
    assert result.best is not None and result.best.run.run_id == "few"
    strict = recommend(table, p99_ms=100, tps=100, max_error_rate=0.0)
    assert strict.best is None


def test_exact_multiple_needs_no_extra_instance() -> None:
    best = recommend([run("a", "inf1", 100.0, 50.0, 0.33)], p99_ms=100, tps=300).best
    assert best is not None and best.instances == 3
    best = recommend([run("a", "inf1", 100.0, 50.0, 0.33)], p99_ms=100, tps=1).best
    assert best is not None and best.instances == 1


@pytest.mark.parametrize("p99,tps", [(0, 10), (10, -1), (math.nan, 10), (10, math.inf)])
def test_bad_targets(p99: float, tps: float) -> None:
    with pytest.raises(ResultsUsageError):
        recommend(TABLE, p99_ms=p99, tps=tps)


# --- engine boundary ---------------------------------------------------------------------------


def test_results_imports_no_front_end_library() -> None:
    code = (
        "import sys\n"
        "import rnbench.results.analysis, rnbench.results.export, rnbench.results.store\n"
        "import rnbench.results.prices, rnbench.results.seed, rnbench.results.cost\n"
        "bad = [m for m in ('textual', 'plotext', 'rich', 'torch') if m in sys.modules]\n"
        "core = sorted(m for m in sys.modules if m.startswith('rnbench.core'))\n"
        "print(bad, core)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    bad, _, core = out.stdout.partition("] ")
    assert bad == "["
    allowed = {"rnbench.core", "rnbench.core.errors", "rnbench.core.configs", "rnbench.core.paths"}
    assert set(ast.literal_eval(core)) <= allowed


def test_runs_that_meet_the_slo_but_have_no_price_are_named_with_how_to_price() -> None:
    table = [
        run("fast", "local-cpu", 40.0, 100.0, None),  # meets p99 <= 200 ms, no price
        run("slow", "c5", 40.0, 900.0, 0.23),  # priced, too slow
    ]
    result = recommend(table, p99_ms=200, tps=10)
    assert result.best is None
    assert result.explanation == (
        f"local-cpu meets p99 <= 200 ms but has no price: give one ({HOW_TO_PRICE}) and run again"
    )
    too_slow = recommend([run("fast", "local-cpu", 40.0, 300.0, None)], p99_ms=200, tps=10)
    assert too_slow.explanation == "no measured run meets p99 <= 200 ms: p99 too high"

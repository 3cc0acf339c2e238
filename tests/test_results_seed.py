"""The study's published table ships in the package, labelled, with Little's law beside it."""

from __future__ import annotations

import pytest

from rnbench.core.configs import STUDY_CONFIGURATIONS
from rnbench.results.seed import (
    STUDY_LABEL_TO_KEY,
    parse_published,
    published_row,
    published_rows,
)


def test_five_rows_as_published() -> None:
    rows = published_rows()
    assert [r.config_key for r in rows] == ["c5", "c5-neo", "g4dn", "g4dn-neo", "inf1"]
    inf1 = rows[-1]
    assert inf1.instance_type == "ml.inf1.xlarge"
    assert inf1.accelerator == "inferentia"
    assert inf1.compiled is True and rows[0].compiled is False
    assert inf1.threads == 16 and inf1.batch_size == 1
    assert inf1.tps == 304.3
    assert inf1.p50_ms_as_published == pytest.approx(4.90315)
    assert inf1.region == "eu-west-1"


def test_littles_law_latency_is_about_ten_times_the_published() -> None:
    inf1 = published_row("inf1")
    c5 = published_row("c5")
    assert inf1 is not None and c5 is not None
    assert inf1.littles_law_latency_ms == pytest.approx(52.58, abs=0.01)
    assert c5.littles_law_latency_ms == pytest.approx(2711.9, abs=0.1)
    for row in published_rows():
        assert 9.5 < row.latency_ratio < 13, row.label


def test_every_study_configuration_has_a_row() -> None:
    assert set(STUDY_LABEL_TO_KEY.values()) == {c.key for c in STUDY_CONFIGURATIONS}
    assert STUDY_LABEL_TO_KEY["c5 + Neo"] == "c5-neo"
    assert published_row("local-cpu") is None


def test_the_engine_configurations_carry_the_same_study_labels() -> None:
    # results/ keys the study's rows by configuration key strings; core/ labels its own.
    assert {c.study_label: c.key for c in STUDY_CONFIGURATIONS} == STUDY_LABEL_TO_KEY
    assert {row.label for row in published_rows()} == set(STUDY_LABEL_TO_KEY)


def test_a_broken_table_does_not_parse() -> None:
    header = "experiment,instance_type,accelerator,compiled,threads,batch_size,tps,"
    header += "p50_ms_as_published,usd_per_hour,region\n"
    with pytest.raises(ValueError):
        parse_published(header + "c5,ml.c5.xlarge,cpu,maybe,16,1,5.9,215.2,0.23,eu-west-1\n")

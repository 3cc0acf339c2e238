"""inference/ and results/ raise errors of their own; the engine re-raises them as its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnbench.core.assembly import build_engine
from rnbench.core.engine import Engine
from rnbench.core.errors import (
    BackendUnavailable,
    RnbenchError,
    UsageError,
    leaf_errors_mapped,
    speaks_engine_errors,
)
from rnbench.inference.errors import DeviceUnavailable, InferenceError, InferenceUsageError
from rnbench.results.errors import ResultsError, ResultsUsageError
from rnbench.results.prices import PriceBook
from rnbench.results.store import RunStore


@pytest.mark.parametrize(
    ("raised", "seen"),
    [
        (InferenceUsageError("unknown runtime 'x'"), UsageError),
        (ResultsUsageError("no stored run has id 'r9'"), UsageError),
        (DeviceUnavailable("CUDA is not available here"), BackendUnavailable),
        (InferenceError("model failed"), RnbenchError),
        (ResultsError("results database: cannot write"), RnbenchError),
    ],
)  # fmt: skip
def test_leaf_errors_become_the_engines_with_the_same_message(
    raised: Exception, seen: type[RnbenchError]
) -> None:
    with pytest.raises(seen) as caught, leaf_errors_mapped():
        raise raised
    assert str(caught.value) == str(raised) and caught.value.__cause__ is raised
    assert type(caught.value) is seen


def test_other_errors_pass_unchanged() -> None:
    @speaks_engine_errors
    def broken() -> None:
        raise KeyError("x")

    with pytest.raises(KeyError):
        broken()


def test_the_engine_speaks_its_own_errors(tmp_path: Path) -> None:
    engine = Engine({}, RunStore(tmp_path / "runs.sqlite3"), PriceBook())
    with pytest.raises(UsageError, match="it is a folder"):
        engine.export(tmp_path)


def test_an_unreadable_results_database_is_a_usage_error(tmp_path: Path) -> None:
    database = tmp_path / "runs.sqlite3"
    database.write_bytes(b"not a database" * 100)
    with pytest.raises(UsageError, match="runs.sqlite3"):
        build_engine(store_path=database)

"""A SageMaker control plane that fails, refuses or hangs: an error naming the call, never
"nothing deployed", and an answer within 15 s whatever AWS does (issue 9, points 1 and 3)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aws_faults import FaultyAws, closed_port_url
from moto_support import point_at, start_moto

from rnbench.core.backends.protocol import State, Status
from rnbench.core.backends.sagemaker import SageMakerBackend, SageMakerSettings
from rnbench.core.backends.sagemaker.clients import MAX_ATTEMPTS, control_config
from rnbench.core.configs import get_configuration
from rnbench.core.errors import ControlPlaneError
from rnbench.tui.app.rows import RowFacts

ANSWER_WITHIN_S = 15.0
"""The issue's bound for `configs`, `leftovers` and the TUI start, whatever AWS does."""


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    yield from start_moto()


def _backend(monkeypatch: pytest.MonkeyPatch, url: str, tmp_path: Path) -> SageMakerBackend:
    point_at(monkeypatch, url, tmp_path)
    return SageMakerBackend(SageMakerSettings.resolve(), poll_s=0.0)


def _cli(*argv: str) -> tuple[int, str, str, float]:
    """Run the installed `rnbench` with this test's environment; (exit, stdout, stderr, seconds)."""
    rnbench = Path(sys.executable).parent / "rnbench"
    start = time.monotonic()
    result = subprocess.run(
        [str(rnbench), *argv], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )
    return result.returncode, result.stdout, result.stderr, time.monotonic() - start


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("rnbench: error:") and "Traceback" not in stderr
    return lines[0]


def test_control_clients_have_short_timeouts_and_bounded_retries() -> None:
    for service in ("sagemaker", "sts", "pricing", "cloudwatch", "s3"):
        config = control_config(service)
        assert config.connect_timeout <= 5 and config.retries["mode"] == "standard"
        assert config.retries["total_max_attempts"] == MAX_ATTEMPTS <= 3
    assert control_config("sagemaker").read_timeout <= 5


def test_sagemaker_failing_is_unknown_not_undeployed(
    moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with FaultyAws("500", moto_url) as aws:
        backend = _backend(monkeypatch, aws.url, tmp_path)
        status = backend.describe(get_configuration("c5"))
        assert status.state is State.UNKNOWN, status
        assert status.reason.startswith("SageMaker ListEndpoints failed"), status.reason
        with pytest.raises(ControlPlaneError, match="SageMaker ListEndpoints failed"):
            backend.owned()
        with pytest.raises(ControlPlaneError, match="SageMaker ListEndpoints failed"):
            backend.teardown(get_configuration("c5"))
        assert "sagemaker" in aws.faulted and "sts" not in aws.faulted


def test_unreachable_aws_is_unknown(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    backend = _backend(monkeypatch, closed_port_url(), tmp_path)
    status = backend.describe(get_configuration("c5"))
    assert status.state is State.UNKNOWN
    assert status.reason.startswith("AWS unreachable: STS GetCallerIdentity"), status.reason
    with pytest.raises(ControlPlaneError, match="AWS unreachable"):
        backend.owned()


def test_tui_row_reads_unknown_aws_unreachable() -> None:
    status = Status("c5", State.UNKNOWN, "AWS unreachable: STS GetCallerIdentity: could not ...")
    facts = RowFacts(get_configuration("c5"), status, None, None, None)
    assert facts.state == "unknown (AWS unreachable)"


@pytest.mark.parametrize("fault", ["closed port", "500"])
@pytest.mark.parametrize(
    "argv", [("leftovers",), ("teardown", "--all", "--yes"), ("teardown", "c5", "--yes")]
)
def test_cli_reports_a_failing_control_plane(
    fault: str,
    argv: tuple[str, ...],
    moto_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    if fault == "closed port":
        point_at(monkeypatch, closed_port_url(), tmp_path)
        code, out, err, _ = _cli(*argv)
        cause = "AWS unreachable: STS GetCallerIdentity"
    else:
        with FaultyAws("500", moto_url) as aws:
            point_at(monkeypatch, aws.url, tmp_path)
            code, out, err, _ = _cli(*argv)
        cause = "SageMaker ListEndpoints failed"
    assert code == 1, (out, err)
    assert cause in _one_error_line(err)
    assert "nothing" not in out and "not deployed" not in out


@pytest.mark.parametrize("sts_ok", [False, True], ids=["all-hang", "sagemaker-hangs"])
@pytest.mark.parametrize("command", ["leftovers", "configs"])
def test_a_hung_control_plane_answers_within_15s(
    command: str, sts_ok: bool, moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with FaultyAws("hang", moto_url, sts_ok=sts_ok) as aws:
        point_at(monkeypatch, aws.url, tmp_path)
        code, out, err, seconds = _cli(command)
    assert seconds < ANSWER_WITHIN_S, (seconds, err)
    line = _one_error_line(err)
    call = "SageMaker ListEndpoints" if sts_ok else "STS GetCallerIdentity"
    assert f"AWS unreachable: {call} timed out" in line, line
    assert code == 1 and "nothing" not in out
    if command == "configs":  # the table is still printed, SageMaker rows as unknown
        assert "c5" in out and "unknown" in out and "local-cpu" in out


def test_engine_start_answers_within_15s(
    moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What the TUI does on start (describe and price every row, list leftovers), timed."""
    from rnbench.core.assembly import build_engine

    with FaultyAws("hang", moto_url, sts_ok=True) as aws:
        point_at(monkeypatch, aws.url, tmp_path)
        start = time.monotonic()
        engine = build_engine(store_path=tmp_path / "runs.db")
        states = {c.key: engine.status(c) for c in engine.configurations()}
        for config in engine.configurations():
            engine.price(config)
        with pytest.raises(ControlPlaneError, match="timed out"):
            engine.owned()
        seconds = time.monotonic() - start
    assert seconds < ANSWER_WITHIN_S, seconds
    assert states["c5"].state is State.UNKNOWN and states["inf1"].state is State.UNKNOWN
    assert states["local-cpu"].state is not State.UNKNOWN


def test_tui_start_does_not_call_unknown_nothing() -> None:
    """At start a failed listing is reported, and not followed by "nothing is still up"."""
    from textual.message import Message

    from rnbench.tui.app import messages as m
    from rnbench.tui.app import workers

    class Unreachable:
        def owned(self) -> list[object]:
            raise ControlPlaneError("AWS unreachable: SageMaker ListEndpoints timed out")

        def configurations(self) -> tuple[object, ...]:
            return ()

    posted: list[Message] = []
    workers.list_owned(posted.append, Unreachable(), "start")  # type: ignore[arg-type]
    assert [type(x) for x in posted] == [m.ActionFailed]
    assert "AWS unreachable" in str(vars(posted[0]))


def test_breaker_answers_at_once_but_teardown_still_asks(
    moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """After one timeout the endpoint is not asked again (describe answers at once), except
    by a teardown, which must not leave billed resources behind for want of asking."""
    with FaultyAws("hang", moto_url, sts_ok=True) as aws:
        backend = _backend(monkeypatch, aws.url, tmp_path)
        assert backend.describe(get_configuration("c5")).state is State.UNKNOWN
        asked = len(aws.faulted)
        start = time.monotonic()
        again = backend.describe(get_configuration("c5-neo"))
        assert again.state is State.UNKNOWN and "timed out" in again.reason
        assert time.monotonic() - start < 1.0 and len(aws.faulted) == asked
        with pytest.raises(ControlPlaneError, match="SageMaker ListEndpoints timed out"):
            backend.teardown(get_configuration("c5"))
        assert len(aws.faulted) > asked

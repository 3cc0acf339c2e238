"""Bring your own target: `rnbench test --url` and `--endpoint`, on endpoints rnbench did not
create. They are load-tested, stored and exported like configurations, marked `foreign`, priced
only by the user, and never deployed or torn down (an endpoint made outside rnbench on a moto
server is still there after `rnbench teardown --all --yes`)."""

from __future__ import annotations

import csv
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import run_cli
from fake_servers import Behaviour, FakeServer
from moto_support import ROLE, point_at, reset_moto, start_moto

from rnbench.core.assembly import build_engine
from rnbench.core.backends.foreign import targets as foreign
from rnbench.core.errors import UsageError

SHORT = ("--duration", "1", "--warmup", "0.2")


def one_line_error(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert "Traceback" not in err
    assert lines and lines[-1].startswith(("rnbench: error:", "rnbench test: error:")), lines
    return lines[-1]


# ---- the value: parsing and keys ---------------------------------------------------------


def test_urls_are_normalised_and_round_trip_through_their_key() -> None:
    target = foreign.url("http://Example.org")
    assert target.address == "http://example.org:80/invocations"
    assert target.key == "url:http://example.org:80/invocations"
    assert foreign.ForeignTarget.from_key(target.key) == target
    config = target.configuration()
    assert (config.key, config.backend, config.runtime, config.device) == (
        target.key,
        "foreign",
        "unknown",
        "unknown",
    )
    assert foreign.parse("my-endpoint") == foreign.ForeignTarget(
        "sagemaker-endpoint", "my-endpoint"
    )
    assert foreign.parse("http://[::1]:9000/x/invocations").address == (
        "http://[::1]:9000/x/invocations"
    )
    assert foreign.ping_path("/x/invocations") == "/x/ping"
    assert foreign.ping_path("/predict") == "/ping"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("ftp://x/invocations", "not an http:// URL"),
        ("http://", "no host"),
        ("http://:8080/invocations", "no host"),
        ("https://host/invocations", "https is not supported"),
        ("http://host:99999/invocations", "bad URL"),
        ("http://user:pw@host/invocations", "credentials"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(text: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        foreign.url(text)


@pytest.mark.parametrize(
    "name", ["", "-leading", "has space", "under_score", "x" * 64, "10.0.0.5:8080"]
)
def test_bad_endpoint_names_are_refused(name: str) -> None:
    with pytest.raises(UsageError):
        foreign.parse(name)


# ---- the CLI: bad input is one line and exit 2 ------------------------------------------


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("--url", "ftp://x"), "not an http:// URL"),
        (("--url", "http://"), "no host"),
        (("--endpoint", "bad name!"), "not a SageMaker endpoint name"),
        (("local-cpu", "--endpoint", "some-endpoint"), "give one of CONFIG"),
        (("--endpoint", "a", "--url", "http://h/invocations"), "give one of CONFIG"),
        ((), "give one of CONFIG"),
        (("local-cpu", "--usd-per-hour", "1"), "--usd-per-hour prices"),
        (("--url", "http://h/invocations", "--usd-per-hour", "-1"), "positive"),
    ],
)
def test_bad_targets_are_one_line_usage_errors(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], says: str
) -> None:
    code, _, err = run_cli(capsys, "test", *argv, *SHORT)
    assert code == 2
    assert says in one_line_error(err)


# ---- the CLI: a URL target, tested, stored and exported ---------------------------------


def test_url_target_sweep_is_stored_and_exported_as_foreign(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with FakeServer(Behaviour(service_s=0.01)) as server:
        address = f"http://127.0.0.1:{server.port}/invocations"
        code, out, err = run_cli(
            capsys,
            "test",
            "--url",
            address,
            "--concurrency",
            "1,2",
            "--usd-per-hour",
            "0.5",
            *SHORT,
        )
        served = server.requests
    assert code == 0, err
    key = f"url:{address}"
    assert f"{key}: foreign target (not deployed by rnbench" in err
    assert "GET /ping failed: HTTP 404; testing anyway" in err  # the fake has no /ping
    assert out.count(key) >= 2
    assert served > 0

    path = tmp_path / "runs.csv"
    code, _, err = run_cli(capsys, "export", "--csv", str(path))
    assert code == 0, err
    rows = list(csv.DictReader(path.read_text().splitlines()))
    assert [r["config"] for r in rows] == [key, key]
    assert {r["backend"] for r in rows} == {"foreign"}
    assert {r["concurrency"] for r in rows} == {"1", "2"}
    assert len({r["sweep_id"] for r in rows}) == 1
    assert all(int(r["requests"]) > 0 and r["status"] == "ok" for r in rows)
    assert sum(int(r["requests"]) for r in rows) <= served  # warm-up requests are not counted
    assert {r["usd_per_hour"] for r in rows} == {"0.5"}
    assert all(r["price_source"].startswith(foreign.USER_GIVEN) for r in rows)
    assert {r["runtime"] for r in rows} == {"unknown"}


def test_url_target_without_a_price_has_none(capsys: pytest.CaptureFixture[str]) -> None:
    with FakeServer(Behaviour(service_s=0.0)) as server:
        address = f"http://127.0.0.1:{server.port}/invocations"
        code, _, err = run_cli(capsys, "test", "--url", address, "--concurrency", "1", *SHORT)
    assert code == 0, err
    assert "has no price" in err and "--usd-per-hour" in err
    code, out, _ = run_cli(capsys, "results")
    assert code == 0 and f"url:{address}" in out


def test_foreign_targets_are_never_deployed_or_torn_down(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for command in ("deploy", "compile", "teardown"):
        code, _, err = run_cli(capsys, command, "url:http://127.0.0.1:9/invocations")
        assert code == 2, (command, err)
        assert foreign.REFUSAL in one_line_error(err)


# ---- the CLI: an existing SageMaker endpoint (moto), invoked through a runtime fake ------

ENDPOINT = "someone-elses-endpoint"


class _Runtime(http.server.BaseHTTPRequestHandler):
    """SageMaker Runtime's InvokeEndpoint route (moto cannot answer image bodies)."""

    protocol_version = "HTTP/1.1"
    calls: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).calls.append(self.path)
        if self.path == f"/endpoints/{ENDPOINT}/invocations":
            body, status = json.dumps({"top5": []}).encode(), 200
        else:
            body, status = b'{"message": "no such endpoint"}', 404
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return None


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    yield from start_moto()


@pytest.fixture
def runtime_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Runtime)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sagemaker(
    moto_url: str, runtime_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Any:
    """moto for the control plane; the runtime fake for InvokeEndpoint (as a user would point
    rnbench at an emulator: AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME)."""
    import boto3

    reset_moto(moto_url)
    point_at(monkeypatch, moto_url, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", runtime_url)
    sm = boto3.client("sagemaker")
    sm.create_model(
        ModelName=ENDPOINT,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": "example/image:1", "ModelDataUrl": "s3://x/model.tar.gz"},
    )
    sm.create_endpoint_config(
        EndpointConfigName=ENDPOINT,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": ENDPOINT,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.xlarge",
            }
        ],
    )
    sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=ENDPOINT)
    return sm


def test_endpoint_is_tested_and_survives_teardown_all(
    sagemaker: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _Runtime.calls.clear()
    # a longer warm-up: each load process makes its boto3 client on its first request
    load = ("--concurrency", "2", "--duration", "2", "--warmup", "3")
    code, out, err = run_cli(capsys, "test", "--endpoint", ENDPOINT, *load)
    assert code == 0, err
    assert f"endpoint:{ENDPOINT}: foreign target" in err
    assert "runs on ml.m5.xlarge" in err
    assert f"endpoint:{ENDPOINT}" in out
    assert _Runtime.calls and set(_Runtime.calls) == {f"/endpoints/{ENDPOINT}/invocations"}

    code, out, err = run_cli(capsys, "teardown", "--all", "--yes")
    assert code == 0, err
    assert "nothing to tear down" in out
    code, _, err = run_cli(capsys, "teardown", f"endpoint:{ENDPOINT}", "--yes")
    assert code == 2 and foreign.REFUSAL in one_line_error(err)
    assert sagemaker.describe_endpoint(EndpointName=ENDPOINT)["EndpointStatus"] == "InService"
    assert sagemaker.describe_endpoint_config(EndpointConfigName=ENDPOINT)
    assert sagemaker.describe_model(ModelName=ENDPOINT)

    path = tmp_path / "runs.csv"
    assert run_cli(capsys, "export", "--csv", str(path))[0] == 0
    (row,) = csv.DictReader(path.read_text().splitlines())
    assert (row["config"], row["backend"], row["instance_type"]) == (
        f"endpoint:{ENDPOINT}",
        "foreign",
        "ml.m5.xlarge",
    )
    assert row["region"] == "us-east-1" and int(row["requests"]) > 0
    assert row["usd_per_hour"] == ""  # never a looked-up price for a foreign endpoint


def test_missing_endpoint_is_a_usage_error(
    sagemaker: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "test", "--endpoint", "nobody-made-this", *SHORT)
    assert code == 2
    assert "no SageMaker endpoint named nobody-made-this in us-east-1" in one_line_error(err)


def test_endpoint_not_in_service_exits_1(
    sagemaker: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rnbench.core.backends.foreign import endpoint as sm_foreign

    real = sm_foreign.describe_endpoint

    def creating(sm: Any, name: str) -> Any:
        from dataclasses import replace

        facts = real(sm, name)
        return replace(facts, status="Creating") if facts is not None else None

    monkeypatch.setattr(sm_foreign, "describe_endpoint", creating)
    code, _, err = run_cli(capsys, "test", "--endpoint", ENDPOINT, *SHORT)
    assert code == 1
    assert "is not InService: endpoint status Creating" in one_line_error(err)


# ---- the foreign backend: what it says of a URL ------------------------------------------


class _Pinged(http.server.BaseHTTPRequestHandler):
    """Answers the container contract's GET /ping."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(200 if self.path == "/v1/ping" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return None


def test_url_status_says_when_ping_fails_and_never_owns_it() -> None:
    from rnbench.core.backends.foreign.backend import ForeignBackend
    from rnbench.core.backends.protocol import State
    from rnbench.core.backends.sagemaker import SageMakerSettings

    backend = ForeignBackend(SageMakerSettings())
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pinged)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        good = foreign.url(f"http://127.0.0.1:{port}/v1/invocations").configuration()
        status = backend.describe(good)
        assert (status.state, status.reason) == (State.IN_SERVICE, "")
        assert status.deployment is not None
        assert status.deployment.target.describe() == f"http://127.0.0.1:{port}/v1/invocations"
        other = foreign.url(f"http://127.0.0.1:{port}/invocations").configuration()
        assert backend.describe(other).reason == "GET /ping failed: HTTP 404"
    finally:
        server.shutdown()
        server.server_close()
    gone = backend.describe(good)  # nothing listens there any more
    assert gone.state is State.IN_SERVICE and "GET /v1/ping failed" in gone.reason
    assert backend.owned() == [] and backend.region == ""
    with pytest.raises(UsageError, match=foreign.REFUSAL):
        backend.teardown(good)


def test_labels_leave_out_the_contract_path_and_an_unpriced_target_says_give_one(
    rnbench_home: Path,
) -> None:

    assert foreign.url("http://127.0.0.1:35839/invocations").label == "127.0.0.1:35839"
    assert foreign.url("http://h:8080/v1/predict").label == "h:8080/v1/predict"
    engine = build_engine()
    target = foreign.url("http://127.0.0.1:35839/invocations")
    config = engine.foreign_configuration(target)
    assert engine.price(config) is None
    assert engine.price_note(config) == foreign.FOREIGN_NO_PRICE
    priced = engine.foreign_configuration(target, 0.5)
    price = engine.price(priced)
    assert price is not None and price.usd_per_hour == 0.5 and engine.price_note(priced) == ""

"""Secrets in a foreign URL's query (issue 18, item 5): `--url http://h/invocations?X-Amz-
Signature=...` sends its requests with the query as given, but its values are `***` in the key,
the label, every message, the results database, `rnbench results`, the exports and the report.
A stored key with hidden values names the URL only in the process it was given in."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import run_cli

from rnbench.core.backends.foreign import targets as foreign
from rnbench.core.errors import UsageError
from rnbench.core.paths import results_database
from rnbench.core.run.options import TestSettings
from rnbench.tui.app import settings as stored

SECRET = "SECRET123"
OTHER = "xyz-token-987"
QUERY = f"X-Amz-Signature={SECRET}&a={OTHER}"
SHOWN = "X-Amz-Signature=***&a=***"


@pytest.fixture
def forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    """A later process: none of the URLs given so far are known."""
    monkeypatch.setattr(foreign, "_given", {})


# ---- the value ----------------------------------------------------------------------------


def test_query_values_are_hidden_in_key_label_and_repr_but_sent(forgotten: None) -> None:
    target = foreign.url(f"http://127.0.0.1:8080/invocations?{QUERY}")
    assert target.address == f"http://127.0.0.1:8080/invocations?{SHOWN}"
    assert target.key == f"url:http://127.0.0.1:8080/invocations?{SHOWN}"
    assert target.label == f"127.0.0.1:8080/invocations?{SHOWN}"
    assert target.configuration().key == target.key
    assert target.configuration().label == target.label
    assert SECRET not in repr(target) + repr(target.configuration())
    assert target.sent_to == f"http://127.0.0.1:8080/invocations?{QUERY}"
    assert foreign.url_parts(target) == ("127.0.0.1", 8080, f"/invocations?{QUERY}")
    assert foreign.ping_path(foreign.url_parts(target)[2]) == "/ping"
    bare = foreign.url("http://h:1/x?opaque-token")  # a bare item may be a token too
    assert bare.key == "url:http://h:1/x?***" and bare.sent_to == "http://h:1/x?opaque-token"


def test_a_hidden_key_names_the_url_given_in_this_process(forgotten: None) -> None:
    given = foreign.url(f"http://127.0.0.1:8080/invocations?{QUERY}")
    back = foreign.ForeignTarget.from_key(given.key)
    assert back == given and back.sent_to == given.sent_to
    assert foreign.parse(given.key).sent_to == given.sent_to  # the add-target dialog
    # a URL that differs only in its query's values is the same endpoint: one key, the last wins
    newer = foreign.url("http://127.0.0.1:8080/invocations?X-Amz-Signature=NEWER&a=b")
    assert newer.key == given.key
    assert foreign.ForeignTarget.from_key(given.key).sent_to == newer.sent_to
    # a key with real values is the URL itself
    assert foreign.ForeignTarget.from_key(f"url:{given.sent_to}").sent_to == given.sent_to
    # a key without a query needs nothing remembered
    plain = foreign.ForeignTarget.from_key("url:http://127.0.0.1:8080/invocations")
    assert plain.sent_to == plain.address == "http://127.0.0.1:8080/invocations"


def test_a_hidden_key_from_another_process_asks_for_the_url_again(forgotten: None) -> None:
    key = f"url:http://127.0.0.1:8080/invocations?{SHOWN}"
    with pytest.raises(UsageError, match="give the URL again") as caught:
        foreign.ForeignTarget.from_key(key)
    assert len(str(caught.value).splitlines()) == 1 and key in str(caught.value)


def test_a_hidden_key_on_the_command_line_is_one_line_exit_2(
    forgotten: None, capsys: pytest.CaptureFixture[str]
) -> None:
    key = f"url:http://127.0.0.1:9/invocations?{SHOWN}"
    code, out, err = run_cli(capsys, "test", key, "--duration", "1")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"rnbench: error: {key}: its query's values are not "
                                        "kept (they may be secrets); give the URL again "
                                        "(--url URL, or a in the TUI)"]  # fmt: skip


def test_the_tui_settings_file_never_holds_a_secret(forgotten: None, tmp_path: Path) -> None:
    path = tmp_path / "tui-settings.json"
    target = foreign.url(f"http://127.0.0.1:8080/invocations?{QUERY}")
    raw_key = f"url:{target.sent_to}"  # even when handed the URL as given
    stored.save(path, TestSettings(), [stored.SavedTarget(raw_key, 0.5)])
    text = path.read_text()
    assert SECRET not in text and OTHER not in text
    assert stored.load_targets(path) == [stored.SavedTarget(target.key, 0.5)]
    foreign._given.clear()  # the next session
    with pytest.raises(UsageError, match="give the URL again"):
        foreign.ForeignTarget.from_key(target.key)


# ---- the CLI, end to end, on a real server that records what it was sent -------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers POST /invocations (any query) 200 and GET /ping 200; records every path."""

    protocol_version = "HTTP/1.1"
    paths: list[str] = []

    def _answer(self, status: int, body: bytes) -> None:
        type(self).paths.append(self.path)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ok = self.path.split("?", 1)[0] == "/invocations"
        self._answer(200 if ok else 404, json.dumps({"top5": []}).encode())

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._answer(200 if self.path == "/ping" else 404, b"")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return None


@pytest.fixture
def recorder() -> Iterator[int]:
    _Recorder.paths = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _all_bytes(home: Path) -> bytes:
    """Every file rnbench keeps under `home` (the database, its WAL, settings, state; not the
    shared model cache), concatenated."""
    files = [p for p in sorted(home.rglob("*")) if p.is_file() and "cache" not in p.parts]
    assert results_database().resolve() in files, files
    return b"".join(p.read_bytes() for p in files)


def test_a_url_with_secrets_is_sent_with_them_and_stored_and_shown_without(
    recorder: int, rnbench_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    given = f"http://127.0.0.1:{recorder}/invocations?{QUERY}"
    load = ("--concurrency", "1", "--duration", "1", "--warmup", "0.2", "--usd-per-hour", "0.5")
    code, out, err = run_cli(capsys, "test", "--url", given, *load)
    assert code == 0, err
    key = f"url:http://127.0.0.1:{recorder}/invocations?{SHOWN}"
    assert key in err and key in out  # the target is named, its secrets hidden
    printed = out + err

    sent = [p for p in _Recorder.paths if p.startswith("/invocations")]
    assert sent and set(sent) == {f"/invocations?{QUERY}"}  # the requests carry the secret
    assert "/ping" in _Recorder.paths

    code, results, err = run_cli(capsys, "results")
    assert code == 0, err
    assert key in results
    printed += results + err
    for fmt in ("csv", "json"):
        path = tmp_path / f"runs.{fmt}"
        code, more, err = run_cli(capsys, "export", "--out", str(path), "--format", fmt)
        assert code == 0, err
        printed += more + err + path.read_text()
        assert "X-Amz-Signature=***" in path.read_text()
    report = tmp_path / "report.html"
    code, more, err = run_cli(capsys, "report", "--out", str(report))
    assert code == 0, err
    printed += more + err + report.read_text()

    stored_bytes = _all_bytes(rnbench_home.resolve())
    assert b"X-Amz-Signature=***" in stored_bytes  # the run is stored, under its hidden key
    for secret in (SECRET, OTHER):
        assert secret not in printed
        assert secret.encode() not in stored_bytes

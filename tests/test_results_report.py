"""`rnbench report`: a page written from stored runs, opened in headless Chromium, held to the
store."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from cli_support import run_cli
from records import make_record

from rnbench.core.loadgen.hist import encode_histogram, new_histogram, record_us
from rnbench.core.paths import results_database
from rnbench.results.cost import cost_figures
from rnbench.results.record import RunRecord
from rnbench.results.store import RunStore, WindowRow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DOCS_SHOT = Path(__file__).resolve().parent.parent / "docs" / "report.png"


def _histogram(latencies_ms: list[float]) -> str:
    histogram = new_histogram(60_000_000)
    for ms in latencies_ms:
        record_us(histogram, int(ms * 1000))
    return encode_histogram(histogram)


def _priced(run_id: str, tps: float, p99: float, **more: object) -> RunRecord:
    costs = cost_figures(tps, 0.204)
    spread = [p99 * f for f in (0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 1.0)] * 20
    return make_record(
        run_id, tps=tps, p50_ms=p99 * 0.6, p90_ms=p99 * 0.85, p99_ms=p99, usd_per_hour=0.204,
        price_source="AWS price list (us-east-1, 2026-04-01)", usd_per_1m=costs.usd_per_1m,
        inferences_per_usd=costs.inferences_per_usd, tps_per_usd_hour=costs.tps_per_usd_hour,
        transactions_per_hour=costs.transactions_per_hour, config="c5", backend="sagemaker",
        instance_type="ml.c5.xlarge", region="us-east-1", latency_histogram=_histogram(spread),
        **more,
    )  # fmt: skip


def _seed() -> dict[str, RunRecord]:
    """A 3-point sweep (priced), a run without price, and one interrupted run."""
    runs = {
        "s1": _priced("s1", 12.0, 90.0, concurrency=1, sweep_id="sw1",
            started_at="2026-05-01T10:00:00Z"),
        "s2": _priced("s2", 40.0, 120.0, concurrency=4, sweep_id="sw1",
            started_at="2026-05-01T10:01:00Z"),
        "s3": _priced("s3", 44.0, 400.0, concurrency=16, sweep_id="sw1",
            started_at="2026-05-01T10:02:00Z"),
        "free": make_record("free", started_at="2026-05-02T09:00:00Z",
                            latency_histogram=_histogram([700.0, 790.0, 900.0] * 30)),
    }  # fmt: skip
    path = results_database()
    store = RunStore(path)
    for record in runs.values():
        store.finish_run(record)
    store.begin_run(
        make_record("cut", started_at="2026-05-03T09:00:00Z", config="local-cpu-compiled")
    )
    for i in range(3):
        store.add_window(
            "cut", WindowRow(i, i + 1.0, 10, 0, 10.0, 50.0, 48.0, 60.0, 62.0, 70.0 + i, 80.0)
        )
    store.close()  # the run's process "dies": its lock goes
    with RunStore(path) as store:
        assert store.mark_interrupted() == ["cut"]
        runs["cut"] = store.get("cut")
    return runs


class _Cells(HTMLParser):
    """Every `data-run`/`data-field` cell's text, every <svg> with its mark count, all src/href."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, str, str]] = []
        self.svgs: list[int] = []
        self.links: list[str] = []
        self.tags: set[str] = set()
        self._cell: tuple[str, str] | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        self.links += [v or "" for k, v in attrs if k in ("src", "href")]
        if tag == "svg":
            self.svgs.append(0)
        if tag in ("rect", "circle") and "mark" in (a.get("class") or "") and self.svgs:
            self.svgs[-1] += 1
        if "data-field" in a:
            self._cell, self._text = (a["data-run"] or "", a["data-field"] or ""), ""

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.cells.append((*self._cell, self._text.strip()))
            self._cell = None


def _chromium(page: Path, tmp: Path, *what: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             f"--user-data-dir={tmp / 'profile'}", "--hide-scrollbars"]  # fmt: skip
    return subprocess.run(
        [CHROMIUM, *flags, *what, page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
        env={**os.environ, "HOME": str(tmp)},
    )  # fmt: skip


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium here (make test installs Debian's)")
def test_the_report_renders_offline_in_chromium_with_the_stored_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = _seed()
    page = tmp_path / "report.html"
    code, out, err = run_cli(capsys, "report", "--out", str(page), "--slo-p99-ms", "150")
    assert (code, err) == (0, ""), err
    assert "5 runs" in out
    html = page.read_text()
    assert not re.search(r"<link|<script|@import|url\(", html, re.I)
    dom = _chromium(page, tmp_path, "--dump-dom").stdout
    parsed = _Cells()
    parsed.feed(dom)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    assert not [u for u in parsed.links if re.match(r"(https?:)?//", u)], parsed.links
    # sweep, percentiles, 4 histograms, 3 cost charts, study: every chart has marks
    assert len(parsed.svgs) == 10 and all(n > 0 for n in parsed.svgs), parsed.svgs
    assert "knee" in dom and "no price" in dom and "interrupted" in dom
    seen = 0
    for run_id, field, text in parsed.cells:
        value = getattr(runs[run_id], field)
        if value is None:
            assert text in ("", "no price"), (run_id, field, text)
            continue
        shown = float(re.sub(r"[$,]", "", text))
        digits = len(text.split(".")[1]) if "." in text else 0
        assert shown == pytest.approx(value, abs=0.51 * 10**-digits), (run_id, field, text)
        seen += 1
    assert seen > 50
    # the SLO line names the cheapest finished run meeting p99 <= 150 ms (s2: 40 TPS at 120 ms)
    assert re.search(r"meet it; cheapest per 1M: <b>c5 c4</b>", dom)
    shot = tmp_path / "report.png"
    _chromium(page, tmp_path, f"--screenshot={shot}", "--window-size=1150,2600")
    assert shot.stat().st_size > 10_000
    if os.environ.get("RNBENCH_KEEP_SCREENSHOT"):
        DOCS_SHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS_SHOT)


def test_selections_pick_runs_and_bad_input_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "report", "--out", str(tmp_path / "r.html"))
    assert code == 2 and err == "rnbench: error: no stored runs to report on: run a test first\n"
    _seed()
    page = tmp_path / "r.html"
    assert run_cli(capsys, "report", "--out", str(page), "--sweep", "sw1")[:2] == (
        0, f"wrote a report of 3 runs to {page}\n",
    )  # fmt: skip
    assert run_cli(capsys, "report", "--out", str(page), "--since", "2026-05-02")[1].startswith(
        "wrote a report of 2 runs"
    )
    assert run_cli(capsys, "report", "--out", str(page), "--runs", "free", "s1")[0] == 0
    for args, message in (
        (("--sweep", "nope"), "no stored sweep has id 'nope'"),
        (("--runs", "s1", "ghost"), "no stored run has id 'ghost'"),
        (("--since", "yesterday"), "--since must be a date like 2026-05-01, got 'yesterday'"),
        (("--since", "2030-01-01"), "no stored runs to report on: run a test first"),
    ):
        code, _, err = run_cli(capsys, "report", "--out", str(tmp_path / "x.html"), *args)
        assert (code, err) == (2, f"rnbench: error: {message}\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    wheres = [tmp_path / "missing" / "r.html", tmp_path, Path("/proc/rnbench-report.html")]
    if os.geteuid() != 0:  # root writes into a read-only folder regardless
        wheres.append(locked / "r.html")
    for where in wheres:
        code, _, err = run_cli(capsys, "report", "--out", str(where))
        assert code == 2 and err.startswith("rnbench: error: cannot write") and "\n" == err[-1:]
        assert err.count("\n") == 1
    assert list(locked.iterdir()) == [] and not (tmp_path / "x.html").exists()


def test_export_writes_json_and_parquet_with_none_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    import pandas as pd

    runs = _seed()
    out = tmp_path / "runs.json"
    assert run_cli(capsys, "export", "--out", str(out), "--format", "json")[0] == 0
    rows = {r["run_id"]: r for r in json.loads(out.read_text())}
    assert rows["free"]["usd_per_1m"] is None and rows["s2"]["tps"] == runs["s2"].tps
    parquet = tmp_path / "runs.parquet"
    assert run_cli(capsys, "export", "--out", str(parquet), "--format", "parquet")[0] == 0
    frame = pd.read_parquet(parquet).set_index("run_id")
    assert frame.loc["s3", "p99_ms"] == runs["s3"].p99_ms and pd.isna(
        frame.loc["free", "usd_per_1m"]
    )
    assert frame.loc["cut", "status"] == "interrupted"


def test_the_summary_never_compares_two_models_and_provenance_names_each() -> None:
    from rnbench.results.report import report_html

    big = _priced("big", 20.0, 300.0)  # resnet50, the faster of its model
    small = _priced("small", 90.0, 80.0, model="resnet18", model_gflops=1.82, input_size=160)
    page = report_html([big, small])
    summary = page.split("<h2>Sweeps")[0]
    assert "<h3>Model: resnet18</h3>" in summary and "<h3>Model: resnet50</h3>" in summary
    resnet50_part = summary.split("<h3>Model: resnet50</h3>")[1]
    assert 'data-run="big"' in resnet50_part and 'data-run="small"' not in resnet50_part
    assert "resnet18, 160 px, 1.82 GFLOPs" in page.split("<h2>Provenance")[1]
    one_model = report_html([big]).split("<h2>Sweeps")[0]
    assert "Model: <b>resnet50</b>" in one_model

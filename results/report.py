"""`rnbench report`: stored runs as one self-contained HTML page, for people not at the terminal.

The page loads nothing: styles are inline, charts are inline SVG (results/svg.py), there is no
script. Figures come from the runs DataFrame (results/frames.py); every figure printed from a
run carries `data-run` and `data-field` attributes, so a test can hold the page to the store.
The file is written atomically (a failed write leaves nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import pandas as pd

from rnbench.results import svg
from rnbench.results.analysis import STUDY_LATENCY_ERROR, knee, study_overlay
from rnbench.results.errors import ResultsUsageError
from rnbench.results.export import write_atomically
from rnbench.results.frames import runs_frame, sweep_curves
from rnbench.results.latency import latency_buckets
from rnbench.results.record import RunRecord
from rnbench.results.seed import STUDY_SOURCE, published_rows

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:8px 0;font-size:12px}td,th{border:1px solid #ddd;
padding:3px 6px;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.chart{display:block;margin:8px 0;background:#fafafa;border:1px solid #eee}
.chart text{font:11px system-ui,sans-serif;fill:#333}.chart .ct{font-weight:600;font-size:13px}
.chart .ax{stroke:#555}.chart .grid{stroke:#e4e4e4}.chart .na{fill:#999}
.note{color:#555;font-size:12px}.bad{color:#b00}.charts{display:flex;flex-wrap:wrap;gap:8px}
"""


def _label(run: pd.Series) -> str:
    load = f"open {float(run['rate']):g}/s" if run["rate"] is not None else f"c{run['concurrency']}"
    return f"{run['config']} {load}"


def _model(run: pd.Series) -> str:
    """`resnet18, 224 px, 1.82 GFLOPs`: what the run measured (older runs: the study's model)."""
    parts = [str(run["model"] or "resnet50")]
    if run["input_size"] is not None and not pd.isna(run["input_size"]):
        parts.append(f"{int(run['input_size'])} px")
    if run["model_gflops"] is not None and not pd.isna(run["model_gflops"]):
        parts.append(f"{float(run['model_gflops']):.2f} GFLOPs")
    return ", ".join(parts)


def _num(run: pd.Series, field: str, digits: int = 2, prefix: str = "") -> str:
    """A figure of a run as a table cell tagged with where it comes from ("no price"/"" if none)."""
    value = run[field]
    attrs = f'class="n" data-run="{escape(str(run["run_id"]))}" data-field="{field}"'
    if value is None or pd.isna(value):
        missing = "no price" if field in _COST_FIELDS else ""
        return f"<td {attrs}>{missing}</td>"
    return f"<td {attrs}>{prefix}{float(value):,.{digits}f}</td>"


_COST_FIELDS = ("usd_per_hour", "usd_per_1m", "inferences_per_usd", "tps_per_usd_hour")


def _text(value: object) -> str:
    return f"<td>{escape('' if value is None else str(value))}</td>"


def _table(headers: Sequence[str], rows: Sequence[str]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f"<table><tr>{head}</tr>{''.join(f'<tr>{r}</tr>' for r in rows)}</table>"


def _measured(runs: pd.DataFrame) -> pd.DataFrame:
    """Finished runs whose figures describe the configuration (status ok, some requests)."""
    return runs[(runs["status"] == "ok") & (runs["requests"].astype(int) > 0)]


def _summary(runs: pd.DataFrame, slo_p99_ms: float | None) -> str:
    """Fastest, cheapest and the SLO's choice, per model: runs of two models are never compared."""
    good = _measured(runs)
    if good.empty:
        return "<p>No finished run (status ok) to compare: see the provenance table.</p>"
    models = good["model"].fillna("resnet50")
    if models.nunique() == 1:
        return f"<p>Model: <b>{escape(str(models.iloc[0]))}</b>.</p>" + _model_summary(
            good, slo_p99_ms
        )
    return "".join(
        f"<h3>Model: {escape(str(model))}</h3>{_model_summary(group, slo_p99_ms)}"
        for model, group in good.groupby(models, sort=True)
    )


def _model_summary(good: pd.DataFrame, slo_p99_ms: float | None) -> str:
    lines = []
    fastest = good.loc[good["tps"].astype(float).idxmax()]
    lines.append(("Fastest", fastest, "tps", "TPS"))
    priced = good[good["usd_per_1m"].notna()]
    if not priced.empty:
        lines.append(
            ("Cheapest per 1M inferences", priced.loc[priced["usd_per_1m"].astype(float).idxmin()],
             "usd_per_1m", "$ per 1M")
        )  # fmt: skip
    rows = [
        f"<td>{escape(what)}</td><td>{escape(_label(run))}</td>{_num(run, field)}"
        f"<td>{unit}</td>{_num(run, 'p99_ms')}<td>p99 ms</td>"
        for what, run, field, unit in lines
    ]
    out = [_table(("", "configuration", "figure", "", "p99", ""), rows)]
    if priced.empty:
        out.append("<p>No finished run has a price: no price, so no cost comparison.</p>")
    if slo_p99_ms is not None:
        meets = good[good["p99_ms"].astype(float) <= slo_p99_ms]
        if meets.empty:
            out.append(f'<p class="bad">No finished run meets p99 &le; {slo_p99_ms:g} ms.</p>')
        else:
            ranked = meets[meets["usd_per_1m"].notna()]
            best = (
                ranked.loc[ranked["usd_per_1m"].astype(float).idxmin()]
                if not ranked.empty
                else meets.loc[meets["tps"].astype(float).idxmax()]
            )
            why = "cheapest per 1M" if not ranked.empty else "fastest (none has a price)"
            out.append(
                f"<p>SLO p99 &le; {slo_p99_ms:g} ms: {len(meets)} of {len(good)} finished runs "
                f"meet it; {why}: <b>{escape(_label(best))}</b></p>"
                + _table(
                    ("run", "TPS", "p99 ms", "$ per 1M"),
                    [
                        f"{_text(best['run_id'])}{_num(best, 'tps')}{_num(best, 'p99_ms')}"
                        f"{_num(best, 'usd_per_1m')}"
                    ],
                )  # fmt: skip
            )
    return "".join(out)


def _sweeps(runs: pd.DataFrame) -> str:
    curves = sweep_curves(runs)
    if not curves:
        return (
            "<p>No sweep among these runs "
            "(a sweep: `rnbench test CONFIG --concurrency 1,4,16`).</p>"
        )
    out = []
    for sweep_id, curve in curves.items():
        points = list(zip(curve["x"].astype(float), curve["p99_ms"].astype(float), strict=True))
        at = knee(points)
        open_loop = curve["rate"].notna().all()
        config = ", ".join(sorted(set(curve["config"])))
        knee_text = (
            f"knee at {points[at][0]:.2f} {'req/s offered' if open_loop else 'TPS'}, "
            f"p99 {points[at][1]:.2f} ms" if at is not None else "no knee: latency never outgrew "
            "throughput"
        )  # fmt: skip
        out.append(
            svg.line_chart(
                f"sweep {sweep_id} ({config}): p99 latency against throughput",
                [(config, points, at)],
                "offered rate, req/s" if open_loop else "measured throughput, TPS",
                "p99 latency, ms",
            )
            + f'<p class="note">{escape(knee_text)}</p>'
        )
    return "".join(out)


def _percentiles(runs: pd.DataFrame) -> str:
    shown = runs[runs["requests"].astype(int) > 0]
    labels = [_label(r) for _, r in shown.iterrows()]
    series = [(name, [float(v) for v in shown[f"{name}_ms"]]) for name in ("p50", "p90", "p99")]
    return svg.bar_chart("latency percentiles per run", labels, series, "ms")  # type: ignore[arg-type]


def _histograms(runs: pd.DataFrame) -> str:
    out = []
    for _, run in runs.iterrows():
        buckets = latency_buckets(str(run["latency_histogram"]))
        if buckets:
            out.append(svg.histogram_chart(f"latency histogram: {_label(run)}", buckets))
        else:
            why = "its status is " + str(run["status"]) if run["status"] != "ok" else "none stored"
            out.append(f'<p class="note">{escape(_label(run))}: no histogram ({escape(why)}).</p>')
    return f'<div class="charts">{"".join(out)}</div>'


def _costs(runs: pd.DataFrame) -> str:
    shown = runs[runs["requests"].astype(int) > 0]
    labels = [_label(r) for _, r in shown.iterrows()]

    def values(field: str) -> list[float | None]:
        return [None if v is None or pd.isna(v) else float(v) for v in shown[field]]

    charts = [
        svg.bar_chart("$ per 1M inferences (n/a: no price)", labels,
                      [("$ per 1M", values("usd_per_1m"))], "$"),
        svg.bar_chart("inferences per dollar (n/a: no price)", labels,
                      [("inferences per $", values("inferences_per_usd"))], "inferences"),
        svg.bar_chart("transactions per hour", labels,
                      [("per hour", values("transactions_per_hour"))], "transactions"),
    ]  # fmt: skip
    rows = [
        f"{_text(_label(r))}{_num(r, 'usd_per_hour', 3, '$')}{_num(r, 'usd_per_1m', 4, '$')}"
        f"{_num(r, 'inferences_per_usd', 0)}{_num(r, 'transactions_per_hour', 0)}"
        f"{_text(r['price_source'] or 'no price')}"
        for _, r in shown.iterrows()
    ]
    headers = (
        "run",
        "$/h",
        "$ per 1M",
        "inferences per $",
        "per hour",
        "price source (region, date)",
    )
    return f'<div class="charts">{"".join(charts)}</div>' + _table(headers, rows)


def _study(records: Sequence[RunRecord]) -> str:
    overlay = study_overlay(published_rows(), records)
    labels = [row.label for row in overlay]
    series: list[tuple[str, list[float | None]]] = [
        ("published", [row.published_latency_ms for row in overlay]),
        ("threads / TPS", [row.littles_law_latency_ms for row in overlay]),
        ("rnbench mean", [row.measured.mean_ms if row.measured else None for row in overlay]),
    ]
    chart = svg.bar_chart("study latency: published vs implied vs measured", labels, series, "ms")
    rows = [
        f"{_text(row.label)}<td class='n'>{row.published_tps:.2f}</td>"
        f"<td class='n'>{row.published_latency_ms:.2f}</td>"
        f"<td class='n'>{row.littles_law_latency_ms:.2f}</td><td class='n'>{row.ratio:.1f}</td>"
        + (f"{_num(runs_frame([row.measured]).iloc[0], 'tps')}"
           f"{_num(runs_frame([row.measured]).iloc[0], 'mean_ms')}" if row.measured
           else "<td>not measured</td><td></td>")
        for row in overlay
    ]  # fmt: skip
    headers = ("study", "TPS", "latency ms as published", "threads/TPS ms", "ratio",
               "rnbench TPS", "rnbench mean ms")  # fmt: skip
    return (
        f"<p>{escape(STUDY_LATENCY_ERROR)}</p>{chart}{_table(headers, rows)}"
        f'<p class="note">Published figures: {escape(STUDY_SOURCE)}. They are not rnbench '
        "measurements.</p>"
    )


def _versions(run: pd.Series) -> str:
    return f"rnbench {run['rnbench_version']}, torch {run['torch_version'] or '-'}"


def _provenance(runs: pd.DataFrame) -> str:
    headers = ("run", "started (UTC)", "config", "model", "runtime", "compiled", "weights",
               "device", "instance", "region", "load", "s", "requests", "errors", "TPS", "p99 ms",
               "Little's law residual %", "versions", "status", "notes")  # fmt: skip
    rows = [
        f"{_text(r['run_id'])}{_text(r['started_at'])}{_text(r['config'])}{_text(_model(r))}"
        f"{_text(r['runtime'])}"
        f"{_text('yes' if r['compiled'] else 'no')}{_text(r['weights'])}{_text(r['device'])}"
        f"{_text(r['instance_type'])}{_text(r['region'] or '-')}{_text(_label(r))}"
        f"{_num(r, 'duration_s', 1)}{_num(r, 'requests', 0)}{_num(r, 'errors', 0)}{_num(r, 'tps')}"
        f"{_num(r, 'p99_ms')}{_num(r, 'littles_law_residual_pct', 1)}"
        f"{_text(_versions(r))}"
        f"{_text(r['status'])}{_text(r['note'])}"
        for _, r in runs.iterrows()
    ]
    return _table(headers, rows)


def report_html(
    records: Sequence[RunRecord], slo_p99_ms: float | None = None, now: datetime | None = None
) -> str:
    """The whole page for `records` (oldest first), as text."""
    runs = runs_frame(records)
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    sections = [
        ("Summary", _summary(runs, slo_p99_ms)),
        ("Sweeps: throughput against latency", _sweeps(runs)),
        ("Latency percentiles", _percentiles(runs)),
        ("Latency histograms", _histograms(runs)),
        ("Cost", _costs(runs)),
        ("The reference study beside rnbench", _study(records)),
        ("Provenance", _provenance(runs)),
    ]
    body = "".join(f"<h2>{escape(title)}</h2>{html}" for title, html in sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>rnbench report</title><style>{STYLE}</style></head><body>"
        f"<h1>rnbench report</h1><p class='note'>{len(runs)} runs, written {when}. "
        "Status and notes of each run: see Provenance.</p>"
        f"{body}</body></html>\n"
    )


def write_report(records: Sequence[RunRecord], path: Path, slo_p99_ms: float | None = None) -> Path:
    """Write the report of `records` to `path` atomically; returns `path`.

    Raises:
        ResultsUsageError: no records, or the path cannot be written.
        ResultsError: a stored histogram is unreadable.
    """
    if not records:
        raise ResultsUsageError("no stored runs to report on: run a test first")
    page = report_html(records, slo_p99_ms)

    write_atomically(path, lambda: page.encode("utf-8"))
    return path

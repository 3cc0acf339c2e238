"""Small charts as inline SVG text, for the HTML report: no library, no script, no network.

Every chart is one `<svg class="chart">` element with a `<title>`, axes with a few labelled
ticks, and its marks (`<rect class="mark">`, `<circle class="mark">`); text is escaped. Values
are plain floats; the caller decides units and labels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 56
COLOURS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1")


def _ticks(high: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least `high`."""
    if high <= 0 or not math.isfinite(high):
        return [0.0, 1.0]
    raw = high / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(count + 2) if i == 0 or (i - 1) * step < high]


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _frame(title: str, x_label: str, y_label: str, y_top: float, body: list[str]) -> str:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img">',
        f"<title>{escape(title)}</title>",
        f'<text x="{LEFT}" y="16" class="ct">{escape(title)}</text>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" class="ax"/>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        'class="ax"/>',
    ]
    for tick in _ticks(y_top):
        y = TOP + plot_h - plot_h * tick / y_top
        parts.append(f'<line x1="{LEFT - 4}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                     'class="grid"/>')  # fmt: skip
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>')
    parts.append(
        f'<text x="14" y="{TOP + plot_h / 2:.0f}" transform="rotate(-90 14 {TOP + plot_h / 2:.0f})"'
        f' text-anchor="middle">{escape(y_label)}</text>'
    )
    parts.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.0f}" y="{HEIGHT - 6}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
    )
    return "".join([*parts, *body, "</svg>"])


def _top(values: Sequence[float]) -> float:
    ticks = _ticks(max([v for v in values if math.isfinite(v)], default=0.0))
    return ticks[-1] if ticks[-1] > 0 else 1.0


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    y_label: str,
) -> str:
    """Grouped bars: one group per category, one bar per series (None: no bar, `n/a` shown)."""
    values = [v for _, vs in series for v in vs if v is not None]
    y_top = _top(values)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(categories), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    body: list[str] = []
    for i, category in enumerate(categories):
        x0 = LEFT + i * group_w + group_w * 0.1
        for j, (name, vs) in enumerate(series):
            value = vs[i]
            x = x0 + j * bar_w
            if value is None:
                body.append(f'<text x="{x + bar_w / 2:.1f}" y="{TOP + plot_h - 4}" '
                            'text-anchor="middle" class="na">n/a</text>')  # fmt: skip
                continue
            h = plot_h * value / y_top
            body.append(
                f'<rect class="mark" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w:.1f}" '
                f'height="{max(h, 0.5):.1f}" fill="{COLOURS[j % len(COLOURS)]}">'
                f"<title>{escape(category)} {escape(name)}: {_fmt(value)}</title></rect>"
            )
        label = category if len(category) <= 22 else category[:21] + "…"
        body.append(f'<text x="{x0 + group_w * 0.4:.1f}" y="{TOP + plot_h + 14}" '
                    f'text-anchor="middle" class="cat">{escape(label)}</text>')  # fmt: skip
    body.extend(_legend([name for name, _ in series]))
    return _frame(title, "", y_label, y_top, body)


def _legend(names: Sequence[str]) -> list[str]:
    if len(names) < 2:
        return []
    out = []
    for j, name in enumerate(names):
        x = LEFT + 8 + j * 120
        y = HEIGHT - 30
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" '
                   f'fill="{COLOURS[j % len(COLOURS)]}"/>')  # fmt: skip
        out.append(f'<text x="{x + 14}" y="{y}">{escape(name)}</text>')
    return out


def line_chart(
    title: str,
    lines: Sequence[tuple[str, Sequence[tuple[float, float]], int | None]],
    x_label: str,
    y_label: str,
) -> str:
    """Lines of (x, y) points; each line's marked point (its knee, an index or None) is ringed."""
    xs = [x for _, pts, _ in lines for x, _ in pts]
    ys = [y for _, pts, _ in lines for _, y in pts]
    x_top, y_top = _top(xs), _top(ys)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    body: list[str] = []
    for tick in _ticks(x_top):
        x = LEFT + plot_w * tick / x_top
        body.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 14}" text-anchor="middle">'
                    f"{_fmt(tick)}</text>")  # fmt: skip
    for j, (name, points, knee) in enumerate(lines):
        colour = COLOURS[j % len(COLOURS)]
        coords = [(LEFT + plot_w * x / x_top, TOP + plot_h - plot_h * y / y_top) for x, y in points]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, ((cx, cy), (x, y)) in enumerate(zip(coords, points, strict=True)):
            body.append(
                f'<circle class="mark" cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{colour}">'
                f"<title>{escape(name)}: {_fmt(x)}, {_fmt(y)}</title></circle>"
            )
            if i == knee:
                body.append(f'<circle class="knee" cx="{cx:.1f}" cy="{cy:.1f}" r="9" '
                            f'fill="none" stroke="#222" stroke-width="2"/>')  # fmt: skip
                body.append(f'<text x="{cx + 11:.1f}" y="{cy - 8:.1f}">knee</text>')
    body.extend(_legend([name for name, _, _ in lines]))
    return _frame(title, x_label, y_label, y_top, body)


def histogram_chart(title: str, buckets: Sequence[tuple[float, int]]) -> str:
    """Counts per latency bucket ((upper bound in ms, count), logarithmic buckets), as bars."""
    y_top = _top([float(c) for _, c in buckets])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bar_w = plot_w / max(len(buckets), 1)
    body: list[str] = []
    for i, (upper, count) in enumerate(buckets):
        h = plot_h * count / y_top
        x = LEFT + i * bar_w
        body.append(
            f'<rect class="mark" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w * 0.9:.1f}" '
            f'height="{max(h, 0.5 if count else 0):.1f}" fill="{COLOURS[0]}">'
            f"<title>up to {_fmt(upper)} ms: {count}</title></rect>"
        )
        if i % max(1, len(buckets) // 6) == 0 or i == len(buckets) - 1:
            body.append(f'<text x="{x + bar_w / 2:.1f}" y="{TOP + plot_h + 14}" '
                        f'text-anchor="middle">{_fmt(upper)}</text>')  # fmt: skip
    return _frame(title, "latency, ms (bucket upper bound, log scale)", "requests", y_top, body)

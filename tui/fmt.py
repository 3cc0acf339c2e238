"""Number formats shared by every screen: short, aligned, and '—' where there is no value."""

from __future__ import annotations

NONE = "—"
"""Shown where a figure does not exist (no price, no run): never a made-up number."""


def ms(value: float | None) -> str:
    if value is None:
        return NONE
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:.0f}"


def tps(value: float | None) -> str:
    if value is None:
        return NONE
    return f"{value:.1f}" if value < 1000 else f"{value:.0f}"


def usd(value: float | None, digits: int = 2) -> str:
    if value is None:
        return NONE
    return f"${value:,.{digits}f}"


def count(value: float | None) -> str:
    """Large counts compactly: 269k, 1.2M."""
    if value is None:
        return NONE
    if value >= 1e6:
        return f"{value / 1e6:.2f}M"
    if value >= 1e4:
        return f"{value / 1e3:.0f}k"
    return f"{value:.0f}"


def duration(seconds: float | None) -> str:
    """Up time: 45s, 12m03s, 3h07m."""
    if seconds is None:
        return NONE
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def address(text: str, width: int) -> str:
    """A foreign target's `host:port/path` in `width` characters: the host and port whole, then
    the path's end after an ellipsis (`10.0.0.5:8080/…/resnet50`); the whole text in the row's
    details."""
    if len(text) <= width:
        return text
    host, slash, path = text.partition("/")
    room = width - len(host) - 2  # "/…"
    if not slash or room < 3:
        return text[: width - 1] + "…"
    return f"{host}/…{path[-room:]}"

"""Python's cyclic garbage collector around the explorer's start: paused by `rnbench-tui`
(`launch.main`) until the first frame, then resumed by the main screen.

Start-up makes hundreds of thousands of objects (Textual and its CSS, the screen's first layout)
that all live as long as the app. The collector walked them about 140 times before the first
frame, 55-75 ms of a start of about a second on a 2-core VM.
"""

from __future__ import annotations

import gc


def pause() -> None:
    """Stop collecting until `resume`."""
    gc.disable()


def resume() -> None:
    """After the first frame: freeze what start-up made, so that later full collections skip it,
    and collect again, if `pause` stopped the collector (never in tests, which start the app with
    it running)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()

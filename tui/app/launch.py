"""`rnbench-tui`'s entry point: the explorer, with Python's cyclic garbage collector paused until
its first frame is on screen.

Start-up makes hundreds of thousands of objects (Textual and its CSS, the screen's first layout)
that all live as long as the app. The collector walked them about 140 times before the first
frame, 55-75 ms of a start of about a second on a 2-core VM. The main screen turns it back on
after the first frame (`MainScreen.after_first_frame`) and freezes what start-up made, so that
later full collections skip those objects too.
"""

from __future__ import annotations

import gc


def main(argv: list[str] | None = None) -> int:
    """`rnbench-tui`: see `rnbench.tui.app.main.main`."""
    gc.disable()
    try:
        from rnbench.tui.app.main import main as explorer

        return explorer(argv)
    finally:
        gc.enable()


def resume_collector() -> None:
    """After the first frame: freeze what start-up made and collect again, if `main` paused the
    collector (never in tests, which start the app with it running)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


if __name__ == "__main__":
    raise SystemExit(main())

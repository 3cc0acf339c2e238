"""`rnbench-tui`'s entry point: the explorer, with Python's garbage collector paused until its
first frame is on screen (see `collector`)."""

from __future__ import annotations

from rnbench.tui.app import collector


def main(argv: list[str] | None = None) -> int:
    """`rnbench-tui`: see `rnbench.tui.app.main.main`."""
    collector.pause()
    try:
        from rnbench.tui.app.main import main as explorer

        return explorer(argv)
    finally:
        collector.resume()


if __name__ == "__main__":
    raise SystemExit(main())

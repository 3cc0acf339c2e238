"""What keeps the explorer quick (issue 19): little imported before the first frame, and charts
that are not rebuilt when nothing of theirs changed. Speed itself is measured by
`make bench-tui`; these check the mechanisms."""

from __future__ import annotations

import subprocess
import sys

from textual.app import App, ComposeResult

from rnbench.tui.app.widgets.cached_plot import CachedPlot

NOT_AT_START = (
    "numpy",
    "rnbench.core.loadgen.hist",
    "rnbench.core.loadgen.run",
    "rnbench.core.backends.sagemaker.backend",
    "rnbench.tui.app.screens.results",
    "torch",
    "boto3",
    "http.client",
    "zipfile",
    "importlib.metadata",
    "plotext",  # the live panel (charts) and the log (rich.pretty) come after the first frame
    "rich.pretty",
)


def test_the_explorer_module_imports_none_of_the_engines_heavy_parts() -> None:
    probe = (
        "import sys, rnbench.tui.app.main\n"
        f"print([m for m in {NOT_AT_START!r} if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_launcher_pauses_the_collector_until_the_first_frame_and_freezes_startup() -> None:
    probe = (
        "import gc\n"
        "from rnbench.tui.app import collector\n"
        "collector.pause()\n"  # as launch.main does before importing the explorer
        "print(gc.isenabled())\n"
        "collector.resume()\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 0)\n"
        "collector.resume()\n"  # a second call (tests: the collector runs) changes nothing
        "print(gc.isenabled())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["False", "True", "True", "True"]


class _PlotApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CachedPlot(id="plot")


async def test_a_cached_plot_builds_again_only_when_redrawn_or_resized() -> None:
    app = _PlotApp()
    async with app.run_test(size=(60, 20)) as pilot:
        plot = app.query_one(CachedPlot)
        builds: list[int] = []
        build = plot.plt.build

        def counted() -> str:
            builds.append(1)
            return build()

        plot.plt.build = counted  # type: ignore[method-assign]
        plot.plt.plot([1, 2, 3], [3, 1, 2])
        plot.redraw()
        await pilot.pause()
        assert len(builds) == 1
        for _ in range(3):  # refreshes that are not redraws (another widget's layout change)
            plot.refresh(layout=True)
            await pilot.pause()
        assert len(builds) == 1
        plot.redraw()
        await pilot.pause()
        assert len(builds) == 2
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert len(builds) == 3

"""The main screen: the grid, the selected row's live panel, the log; every key's action.

Keys (compile, deploy, test, tear down, settings, export, results, help, quit) and the
teardown, quit and start-up leftovers flows live here; worker messages are handled in
`main_events.py`, state, helpers and the sampling timer in `main_base.py`.
"""

from __future__ import annotations

import threading
from pathlib import Path

from rnbench.core.test_settings import TestSettings
from rnbench.tui.app import messages as m
from rnbench.tui.app import settings as stored
from rnbench.tui.app import workers
from rnbench.tui.app.keys import MAIN_KEYS, bindings
from rnbench.tui.app.rows import is_deployed
from rnbench.tui.app.screens.confirm import ConfirmScreen
from rnbench.tui.app.screens.export import ExportScreen
from rnbench.tui.app.screens.help import HelpScreen
from rnbench.tui.app.screens.leftovers import LeftoversScreen
from rnbench.tui.app.screens.main_base import ACTIVITY
from rnbench.tui.app.screens.main_events import MainEvents
from rnbench.tui.app.screens.quit import QuitScreen
from rnbench.tui.app.screens.results import ResultsScreen
from rnbench.tui.app.screens.settings import SettingsScreen


class MainScreen(MainEvents):
    """Configurations, their state, their tests."""

    BINDINGS = bindings(MAIN_KEYS)

    # ---- actions -------------------------------------------------------------------------

    def _act(self, action: str) -> None:
        config = self._ready_config(action)
        if config is None:
            return
        self.activity[config.key] = ACTIVITY[action]
        self.log_line(f"{config.key}: {action}…")
        self._thread(workers.act, f"row:{config.key}", action, config)
        self._show_rows()

    def action_compile(self) -> None:
        self._act("compile")

    def action_deploy(self) -> None:
        self._act("deploy")

    def action_test(self) -> None:
        config = self._ready_config("test")
        if config is None:
            return
        if not is_deployed(self.statuses.get(config.key)):
            self._explain(f"{config.key} is not in service: deploy it first (d)")
            return
        self.activity[config.key] = "testing"
        self.snapshots.pop(config.key, None)
        specs = self.settings.specs()
        stop = self._stops[config.key] = threading.Event()
        self._thread(workers.run_tests, f"row:{config.key}", config, specs, self._body, stop)
        self._show_rows()

    def action_teardown(self) -> None:
        config = self.selected
        if config is None:
            return
        run = self.tests.get(config.key)
        status = self.statuses.get(config.key)
        if run is None and (self._ready_config("tear down") is None):
            return
        if status is None or status.deployment is None:
            self._explain(f"{config.key}: nothing is deployed")
            return
        what = status.deployment.resource_id
        if config.backend == "sagemaker":
            what += " (endpoint, endpoint configuration and model rnbench created)"
        body = f"This deletes {config.key}: {what}."
        if run is not None:
            body += "\nThe test in progress is cancelled first."

        def answer(yes: bool | None) -> None:
            if not yes:
                self.log_line(f"{config.key}: tear down cancelled")
                return
            self._stop_tests(config.key)
            self.activity[config.key] = "tearing down"
            self._thread(workers.act, f"row:{config.key}", "teardown", config)
            self._show_rows()

        self.app.push_screen(ConfirmScreen(f"Tear down {config.key}?", body, "Tear down"), answer)

    def action_teardown_all(self) -> None:
        if not self._have_engine("tear down"):
            return
        up = [c.key for c in self.configs if is_deployed(self.statuses.get(c.key))]
        listed = ", ".join(up) if up else "none known to this screen"
        body = f"This deletes every deployment rnbench created ({listed}), local and SageMaker."
        self.app.push_screen(
            ConfirmScreen("Tear down everything?", body, "Tear all down"),
            lambda yes: self._teardown_all() if yes else None,
        )

    def _teardown_all(self) -> None:
        for key in self.tests:
            self.activity[key] = "tearing down"
        self._stop_tests()
        for config in self.configs:
            if is_deployed(self.statuses.get(config.key)):
                self.activity[config.key] = "tearing down"
        self.log_line("tearing down everything rnbench deployed…")
        self._thread(workers.teardown_all, "teardown-all")
        self._show_rows()

    def action_settings(self) -> None:
        def saved(settings: TestSettings | None) -> None:
            if settings is None:
                return
            self.settings = settings
            try:
                stored.save(self._settings_path, settings)
            except Exception as exc:  # noqa: BLE001
                self._fail(workers.one_line(exc))
                return
            self.log_line(f"test settings: {settings.describe()} (saved)", "ok")
            self._show_selected()

        self.app.push_screen(SettingsScreen(self.settings), saved)

    def action_export(self) -> None:
        if not self._have_engine("export"):
            return

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.log_line(f"exporting runs to {path}…")
                self._thread(workers.export, "export", path)

        self.app.push_screen(ExportScreen(Path.cwd() / "rnbench-runs.csv"), chosen)

    def action_results(self) -> None:
        if self.engine is None:
            self._have_engine("results")
            return
        self.app.push_screen(ResultsScreen(self.engine))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_request_quit(self) -> None:
        if self.engine is None:
            self._exit()
            return
        self.log_line("checking what is still deployed…")
        self._thread(workers.list_owned, "quit")

    # ---- quit and start-up leftovers ---------------------------------------------------

    def on_owned_listed(self, message: m.OwnedListed) -> None:
        """What is still up: at start, offer it for teardown; on quit, ask before leaving."""
        if message.purpose == "start":
            self._offer_leftovers(message)
            return
        if not message.deployments:
            self._exit()
            return
        self.app.push_screen(QuitScreen(message.deployments, message.prices), self._quit_choice)

    def _offer_leftovers(self, message: m.OwnedListed) -> None:
        """At start: show what is still up from earlier and ask what to do with it."""
        if not message.deployments:
            self.log_line("nothing rnbench created is still up")
            return
        self.leftovers = {d.config_key: d for d in message.deployments}
        keys = ", ".join(sorted(self.leftovers))
        self.log_line(f"still up from earlier: {keys}", "warning")
        self._show_rows()
        screen = LeftoversScreen(message.deployments, message.prices, self._clock())
        self.app.push_screen(screen, self._leftovers_choice)

    def _leftovers_choice(self, choice: str | None) -> None:
        if choice == "teardown":
            self._teardown_all()
        elif choice == "keep":
            self.log_line(f"keeping {', '.join(sorted(self.leftovers))} up")
        else:
            self.log_line("leftovers: decide later (X tears everything down)")

    def _quit_choice(self, choice: str | None) -> None:
        if choice == "keep":
            self.log_line("leaving deployments up")
            self._exit()
        elif choice == "teardown":
            self._quitting = True
            self._teardown_all()

    def _exit(self) -> None:
        self._stop_tests()
        for run in self.tests.values():
            run.cancel()
        self.app.exit()

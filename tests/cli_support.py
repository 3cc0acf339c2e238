"""Running the `rnbench` command line in-process, as the CLI tests do."""

from __future__ import annotations

import pytest

from rnbench.tui.cli.main import main


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `rnbench ARGV`."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse exits on bad options
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err

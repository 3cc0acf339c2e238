"""Errors results code raises: each carries a one-line, user-facing message.

The engine (core) maps them to its own errors, so front ends see `UsageError` (exit 2 on the
CLI) for `ResultsUsageError` and `RnbenchError` (exit 1) for any other `ResultsError`.
"""


class ResultsError(Exception):
    """Base of every error results code raises on purpose: the results database cannot be
    read or written."""


class ResultsUsageError(ResultsError):
    """Bad input: an unknown run id, a bad price override, an unwritable export path, an
    impossible cost or SLO figure."""

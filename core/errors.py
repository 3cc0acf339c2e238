"""Errors the engine raises: each carries a one-line, user-facing message.

Front ends (CLI, TUI) print `str(error)` and never a traceback. `UsageError` is the user's
mistake (exit 2 on the CLI); everything else derived from `RnbenchError` is a failed run (exit 1).
"""


class RnbenchError(Exception):
    """Base of every error the engine raises on purpose; str() is one line for the user."""


class UsageError(RnbenchError):
    """Bad input: unknown configuration, bad option value, unreadable image, unwritable path."""


class BackendUnavailable(RnbenchError):
    """The backend cannot act for this configuration (missing credentials, region, role, CUDA)."""


class NotDeployedError(RnbenchError):
    """The configuration has no deployment in service."""


class DeployError(RnbenchError):
    """Packaging, compiling or deploying failed; the message says why."""


class TeardownError(RnbenchError):
    """A resource could not be deleted; the message names it."""


class ControlPlaneError(RnbenchError):
    """AWS did not answer or refused a control-plane call, so what is deployed is unknown."""

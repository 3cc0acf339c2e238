"""Errors the engine raises: each carries a one-line, user-facing message.

Front ends (CLI, TUI) print `str(error)` and never a traceback. `UsageError` is the user's
mistake (exit 2 on the CLI); everything else derived from `RnbenchError` is a failed run (exit 1).

`inference/` and `results/` import nothing of the engine and raise errors of their own;
`leaf_errors_mapped` re-raises those as the engine's, where the engine calls into them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from rnbench.inference.errors import DeviceUnavailable, InferenceError, InferenceUsageError
from rnbench.results.errors import ResultsError, ResultsUsageError

_P = ParamSpec("_P")
_R = TypeVar("_R")


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


@contextmanager
def leaf_errors_mapped() -> Iterator[None]:
    """Re-raise an error of `inference/` or `results/` as the engine's, with the same message:
    their usage errors as `UsageError`, an unavailable device as `BackendUnavailable`, any
    other as `RnbenchError`."""
    try:
        yield
    except (InferenceUsageError, ResultsUsageError) as exc:
        raise UsageError(str(exc)) from exc
    except DeviceUnavailable as exc:
        raise BackendUnavailable(str(exc)) from exc
    except (InferenceError, ResultsError) as exc:
        raise RnbenchError(str(exc)) from exc


def speaks_engine_errors(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """`function`, raising the engine's errors for those of `inference/` and `results/`."""

    @functools.wraps(function)
    def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with leaf_errors_mapped():
            return function(*args, **kwargs)

    return call

"""Errors the inference side raises: each carries a one-line message for whoever runs it.

The server and the compile step print them and exit with status 2; the engine (core) maps them
to its own errors when it calls inference code in-process.
"""


class InferenceError(Exception):
    """Base of every error inference code raises on purpose; str() is one line."""


class InferenceUsageError(InferenceError):
    """Bad input: unknown runtime or device, a missing or unusable weights file."""


class DeviceUnavailable(InferenceError):
    """The requested device cannot be used here (CUDA asked for, none present)."""

"""Foreign targets: endpoints rnbench did not create, brought by the user to be load-tested.

A foreign target is an existing SageMaker endpoint (`endpoint:NAME`) or any HTTP endpoint that
speaks the SageMaker container contract (`url:http://HOST:PORT/invocations`). rnbench only
load-tests it: it never deploys, compiles or tears one down, never lists one among what it owns,
and prices it only when the user gives a price. Its key is the configuration key its runs are
stored under, so a foreign target is a grid row and a record like any configuration.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Final, Literal

from rnbench.core.configs import Configuration
from rnbench.core.errors import UsageError
from rnbench.inference.contract import INVOCATIONS_PATH, PING_PATH

ForeignKind = Literal["sagemaker-endpoint", "url"]

BACKEND: Final = "foreign"
"""The `backend` of a foreign target's configuration and of its stored runs."""
INSTANCE = "foreign"
"""The `instance_type` of a foreign target's configuration: no price is looked up for it."""
REFUSAL = "foreign target: rnbench does not deploy or tear it down"
"""What compile, deploy and tear down say of a foreign target."""
USER_GIVEN = "given by the user (--usd-per-hour)"
"""The source of a foreign target's price: only ever the user's."""
FOREIGN_NO_PRICE = "no price: give one ($/hour in the add-target dialog, or --usd-per-hour)"
"""Why a foreign target has no price."""

_ENDPOINT_PREFIX = "endpoint:"
_URL_PREFIX = "url:"
_ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
"""SageMaker's own rule for endpoint names."""


@dataclass(frozen=True)
class ForeignTarget:
    """An endpoint rnbench did not create: load-tested, never deployed or torn down."""

    kind: ForeignKind
    """`sagemaker-endpoint` (invoked through sagemaker-runtime) or `url` (plain HTTP)."""
    address: str
    """The endpoint name, or the URL, normalised (`http://host:port/path`)."""

    @property
    def key(self) -> str:
        """`endpoint:NAME` or `url:http://...`: the configuration key runs are stored under."""
        prefix = _ENDPOINT_PREFIX if self.kind == "sagemaker-endpoint" else _URL_PREFIX
        return prefix + self.address

    @property
    def label(self) -> str:
        """A short human name: `SM endpoint NAME`, `host:port` (the contract's /invocations
        path left out) or `host:port/path`."""
        if self.kind == "sagemaker-endpoint":
            return f"SM endpoint {self.address}"
        return self.address.removeprefix("http://").removesuffix(INVOCATIONS_PATH)

    def configuration(self) -> Configuration:
        """The configuration of this target: backend `foreign`, runtime and hardware unknown."""
        return Configuration(self.key, self.label, BACKEND, INSTANCE, "unknown", "unknown")

    @classmethod
    def from_key(cls, key: str) -> ForeignTarget:
        """The target a configuration key names (`endpoint:NAME`, `url:http://...`).

        Raises:
            UsageError: the key names no valid foreign target.
        """
        if key.startswith(_ENDPOINT_PREFIX):
            return endpoint(key.removeprefix(_ENDPOINT_PREFIX))
        if key.startswith(_URL_PREFIX):
            return url(key.removeprefix(_URL_PREFIX))
        raise UsageError(f"{key!r} is not a foreign target (endpoint:NAME or url:http://...)")


def is_foreign_key(key: str) -> bool:
    return key.startswith((_ENDPOINT_PREFIX, _URL_PREFIX))


def endpoint(name: str) -> ForeignTarget:
    """An existing SageMaker endpoint, by name.

    Raises:
        UsageError: the name cannot be a SageMaker endpoint name.
    """
    name = name.strip()
    if not _ENDPOINT_NAME.match(name):
        raise UsageError(
            f"{name!r} is not a SageMaker endpoint name (letters, digits and hyphens, "
            "at most 63, starting with a letter or digit)"
        )
    return ForeignTarget("sagemaker-endpoint", name)


def url(text: str) -> ForeignTarget:
    """An HTTP endpoint speaking the SageMaker container contract, e.g.
    `http://10.0.0.5:8080/invocations` (no path: `/invocations`; no port: 80).

    Raises:
        UsageError: not an http:// URL with a host and a valid port.
    """
    text = text.strip()
    shown = redacted(text)
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"bad URL {shown!r}: {redacted(str(exc))}") from None
    if parts.scheme == "https":
        raise UsageError(f"{shown!r}: https is not supported; give an http:// URL")
    if parts.scheme != "http":
        raise UsageError(f"{shown!r} is not an http:// URL (e.g. http://HOST:8080/invocations)")
    if not parts.hostname:
        raise UsageError(f"{shown!r} has no host (e.g. http://HOST:8080/invocations)")
    if parts.username or parts.password or parts.fragment:
        raise UsageError(f"{shown!r}: credentials and #fragments are not supported in the URL")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    path = parts.path if parts.path not in ("", "/") else INVOCATIONS_PATH
    query = f"?{parts.query}" if parts.query else ""
    return ForeignTarget("url", f"http://{host}:{port or 80}{path}{query}")


def redacted(text: str) -> str:
    """`text` safe to show: a URL's user:password and its query values become `***`."""
    text = re.sub(r"(?<=://)[^/@?#\s]*@", "***@", text)
    return re.sub(r"(?<=[?&])([^=&#\s]+)=[^&#\s]*", r"\1=***", text)


def parse(text: str) -> ForeignTarget:
    """What a user typed to add a target: a URL (anything with `://`), a configuration key
    (`endpoint:NAME`, `url:...`), else a SageMaker endpoint name.

    Raises:
        UsageError: neither a valid http:// URL nor a valid endpoint name.
    """
    text = text.strip()
    if not text:
        raise UsageError("give an http:// URL or a SageMaker endpoint name")
    if is_foreign_key(text):
        return ForeignTarget.from_key(text)
    if "://" in text:
        return url(text)
    return endpoint(text)


def url_parts(target: ForeignTarget) -> tuple[str, int, str]:
    """(host, port, path with query) of a `url` target."""
    parts = urllib.parse.urlsplit(target.address)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return str(parts.hostname), int(parts.port or 80), path


def ping_path(path: str) -> str:
    """Where the container contract's health check is: `/ping` beside `/invocations`."""
    bare = path.split("?", 1)[0]
    if bare.endswith(INVOCATIONS_PATH):
        return bare.removesuffix(INVOCATIONS_PATH) + PING_PATH
    return PING_PATH

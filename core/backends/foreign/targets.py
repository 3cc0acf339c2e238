"""Foreign targets: endpoints rnbench did not create, brought by the user to be load-tested.

A foreign target is an existing SageMaker endpoint (`endpoint:NAME`) or any HTTP endpoint that
speaks the SageMaker container contract (`url:http://HOST:PORT/invocations`). rnbench only
load-tests it: it never deploys, compiles or tears one down, never lists one among what it owns,
and prices it only when the user gives a price. Its key is the configuration key its runs are
stored under, so a foreign target is a grid row and a record like any configuration.

A URL's query may carry secrets (`?X-Amz-Signature=...`, `?token=...`): its values are `***` in
the key, the label and every message, so they never reach the results database, an export, a
report, a log line or the TUI's settings file. Requests still go to the URL as given
(`ForeignTarget.sent_to`). A key with hidden values names the target only in the process the
URL was given in (`from_key` looks it up among the URLs given here); elsewhere it asks for the
URL again.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from dataclasses import dataclass, field
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
_UNSENDABLE = re.compile(r"[\x00-\x20\x7f]")
"""What http.client refuses in a URL's host or path: a request to it cannot be sent."""
HIDDEN = "***"
"""What a URL's query values and user:password are replaced with wherever they are shown."""


@dataclass(frozen=True)
class ForeignTarget:
    """An endpoint rnbench did not create: load-tested, never deployed or torn down."""

    kind: ForeignKind
    """`sagemaker-endpoint` (invoked through sagemaker-runtime) or `url` (plain HTTP)."""
    address: str
    """The endpoint name, or the URL, normalised (`http://host:port/path`), its query's values
    shown as `***`: safe to show and store."""
    secret_address: str = field(default="", repr=False, compare=False)
    """The URL with its query as given, when `address` hides its values; else empty. Only
    requests are sent to it: it is never shown, stored or part of the key. Two URLs that
    differ only in their query's values are one target (one endpoint, one key)."""

    @property
    def sent_to(self) -> str:
        """Where requests go: the URL with its real query (the endpoint name for an endpoint)."""
        return self.secret_address or self.address

    @property
    def key(self) -> str:
        """`endpoint:NAME` or `url:http://...` (query values `***`): the configuration key runs
        are stored under."""
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
        """The target a configuration key names (`endpoint:NAME`, `url:http://...`). A key whose
        query values are hidden (`***`) names the URL given in this process under that key.

        Raises:
            UsageError: the key names no valid foreign target, or its query values are hidden
                and its URL was not given in this process (give it again).
        """
        if key.startswith(_ENDPOINT_PREFIX):
            return endpoint(key.removeprefix(_ENDPOINT_PREFIX))
        if key.startswith(_URL_PREFIX):
            target = url(key.removeprefix(_URL_PREFIX))
            if target.secret_address:  # the key carries real values: it is the URL itself
                return target
            known = _given.get(target.key)
            if known is not None:
                return known
            if "?" in target.address:  # values hidden, and not given here
                raise UsageError(
                    f"{target.key}: its query's values are not kept (they may be secrets); "
                    "give the URL again (--url URL, or a in the TUI)"
                )
            return target
        raise UsageError(f"{key!r} is not a foreign target (endpoint:NAME or url:http://...)")


_given: dict[str, ForeignTarget] = {}
"""The URLs with a query given in this process, by key: what a key with hidden values names."""
_given_lock = threading.Lock()


def _remember(target: ForeignTarget) -> ForeignTarget:
    """Note a URL with hidden query values, so that its key names it in this process (the URL
    given last wins among those that differ only in their query's values)."""
    with _given_lock:
        _given[target.key] = target
    return target


def _hidden_query(query: str) -> str:
    """`query` with each value `***` (`a=1&b` -> `a=***&***`: a bare item may be a token)."""
    items = []
    for item in query.split("&"):
        name, equals, _ = item.partition("=")
        items.append(f"{name}={HIDDEN}" if equals else HIDDEN)
    return "&".join(items)


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
        UsageError: not an http:// URL with a host and a valid port; a space or control
            character in it (no HTTP client can send that).
    """
    text = text.strip()
    shown = redacted(text)
    if _UNSENDABLE.search(text):
        raise UsageError(f"bad URL {shown!r}: it has a space or control character")
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
    if port == 0:
        raise UsageError(f"bad URL {shown!r}: port 0 cannot be connected to")
    if parts.username or parts.password or parts.fragment:
        raise UsageError(f"{shown!r}: credentials and #fragments are not supported in the URL")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    path = parts.path if parts.path not in ("", "/") else INVOCATIONS_PATH
    base = f"http://{host}:{port or 80}{path}"
    if not parts.query:
        return ForeignTarget("url", base)
    shown, given = f"{base}?{_hidden_query(parts.query)}", f"{base}?{parts.query}"
    if shown == given:  # every value is already `***`: a stored key, resolved by `from_key`
        return ForeignTarget("url", shown)
    return _remember(ForeignTarget("url", shown, given))


def redacted(text: str) -> str:
    """`text` safe to show: a URL's user:password and its query values become `***`."""
    text = re.sub(r"(?<=://)[^/@?#\s]*@", "***@", text)
    return re.sub(r"(?<=\?)[^\s#'\"]+", lambda m: _hidden_query(m.group()), text)


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
    """(host, port, path with its real query) of a `url` target: where requests are sent."""
    parts = urllib.parse.urlsplit(target.sent_to)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return str(parts.hostname), int(parts.port or 80), path


def ping_path(path: str) -> str:
    """Where the container contract's health check is: `/ping` beside `/invocations`."""
    bare = path.split("?", 1)[0]
    if bare.endswith(INVOCATIONS_PATH):
        return bare.removesuffix(INVOCATIONS_PATH) + PING_PATH
    return PING_PATH

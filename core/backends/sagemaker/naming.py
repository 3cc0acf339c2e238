"""How rnbench names and tags what it creates on SageMaker, and how it recognises its own.

Every resource is named `rnbench-<config>-<shortid>` and carries `rnbench:managed=true` plus
its configuration, creation time and session id. Deletion is allowed only for resources whose
tags say they are rnbench's: the name alone never suffices.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

PREFIX = "rnbench"
MANAGED = "rnbench:managed"
CONFIG = "rnbench:config"
CREATED_AT = "rnbench:created-at"
SESSION = "rnbench:session"

SESSION_ID = secrets.token_hex(4)
"""Identifies this process's session in the tags of what it creates."""

_NAME_LIMIT = 63


def new_name(config_key: str, kind: str = "") -> str:
    """`rnbench-<config>[-<kind>]-<shortid>`, valid for SageMaker (<= 63 chars, [a-zA-Z0-9-])."""
    base = re.sub(r"[^a-zA-Z0-9-]", "-", f"{PREFIX}-{config_key}" + (f"-{kind}" if kind else ""))
    short = f"{int(time.time()):x}{secrets.token_hex(2)}"
    return f"{base[: _NAME_LIMIT - len(short) - 1]}-{short}"


def tags(config_key: str, created_at: float | None = None) -> list[dict[str, str]]:
    """The tag list every rnbench resource is created with."""
    moment = datetime.fromtimestamp(created_at if created_at else time.time(), UTC)
    return [
        {"Key": MANAGED, "Value": "true"},
        {"Key": CONFIG, "Value": config_key},
        {"Key": CREATED_AT, "Value": moment.isoformat(timespec="seconds")},
        {"Key": SESSION, "Value": SESSION_ID},
    ]


def as_dict(tag_list: Iterable[Mapping[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tag_list}


def is_owned(tag_map: Mapping[str, str]) -> bool:
    """True only when the tags mark the resource as created by rnbench."""
    return tag_map.get(MANAGED) == "true"

"""Package names loaded on first use (PEP 562), so importing a package costs only what is used.

The TUI imports parts of the engine before its first frame; a package whose `__init__` imported
every submodule would load numpy, the HDR histogram or the SageMaker backend with them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def loader(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """A module `__getattr__` for `package`: each name in `homes` comes from its submodule.

    `homes` maps an exported name to the submodule of `package` that defines it; a name once
    loaded is kept in the package, so it is looked up only once.
    """

    def load(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return load

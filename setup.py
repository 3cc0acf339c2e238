"""Map the repository's top-level parts (core/, tui/, ...) into the one `rnbench` namespace.

The user designed the repository with `core/`, `tui/`, `inference/` and `results/` at the top;
installed, they are `rnbench.core`, `rnbench.tui`, ... and never bare `core` or `tui` modules.
Every folder with an `__init__.py` below a part becomes a subpackage, so nothing is listed by hand.
"""

from pathlib import Path

from setuptools import setup

PARTS = ("core", "tui", "inference", "results")

package_dir: dict[str, str] = {}
for part in PARTS:
    for init in sorted(Path(part).rglob("__init__.py")):
        folder = init.parent
        package_dir["rnbench." + ".".join(folder.parts)] = folder.as_posix()

setup(packages=sorted(package_dir), package_dir=package_dir)

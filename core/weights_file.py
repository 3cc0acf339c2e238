"""A check of the user's ResNet-50 weights file before any server starts: it exists, can be read,
and is a PyTorch checkpoint (what the model server would load, seconds later, with torch).

Cheap: no torch import. A zip checkpoint (`torch.save`'s format since 1.6) must hold a
`data.pkl`; an older one is a pickle. Whether it holds ResNet-50's tensors only torch can tell:
the server says so, as a one-line error, when it loads the file.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from rnbench.core.errors import UsageError

_PICKLE_PROTOCOL_2_PLUS = b"\x80"
"""A pickle of protocol 2 or later starts with the PROTO opcode (legacy `torch.save`)."""


def check_weights_file(path: Path) -> None:
    """Raises UsageError, naming the problem, unless `path` looks like a PyTorch checkpoint."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except IsADirectoryError:
        raise UsageError(f"weights {path} is a directory, not a file") from None
    except OSError as exc:
        raise UsageError(f"cannot read weights {path}: {exc.strerror or exc}") from None
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise UsageError(f"weights {path} is a corrupt zip: {exc}") from None
        if not any(name.endswith("data.pkl") for name in names):
            raise UsageError(f"weights {path} is a zip but not a PyTorch checkpoint (no data.pkl)")
        return
    if not head.startswith(_PICKLE_PROTOCOL_2_PLUS):
        raise UsageError(f"weights {path} is not a PyTorch checkpoint (.pth)")

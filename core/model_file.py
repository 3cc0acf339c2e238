"""A check of the user's own model file (`--model FILE`) before any server starts: what its
structure says it is, so that a file of anything else is one line, exit 2, instead of a server
that starts and fails to load it seconds later.

Cheap: neither torch nor onnx is imported, and only the file's index is read. A TorchScript file
(`.pt`/`.pth`) is a zip archive holding the model's code (`*/code/...`; a state dict saved with
`torch.save` has none). An ONNX file (`.onnx`) is a protobuf `ModelProto` whose top-level fields
all parse, one of them the graph (field 7). Whether the code or the graph then loads only the
runtime can tell: the server says so, in one line, when it loads the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from rnbench.core.errors import UsageError
from rnbench.inference.models import ModelSpec

_ONNX_GRAPH_FIELD = 7
"""`ModelProto.graph`'s field number."""


def check_model_file(spec: ModelSpec) -> None:
    """Raises UsageError, naming the problem, unless the model's file (if it has one) is the
    TorchScript archive or ONNX graph its name says."""
    if spec.kind == "torchscript":
        _check_torchscript(Path(spec.path))
    elif spec.kind == "onnx":
        _check_onnx(Path(spec.path))


def _check_torchscript(path: Path) -> None:
    import zipfile  # only for a model file: not at start

    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        raise UsageError(f"not a TorchScript file: {path} (not a zip archive)") from None
    except OSError as exc:
        raise UsageError(f"cannot read model file {path}: {exc.strerror or exc}") from None
    if not any("/code/" in name for name in names):
        raise UsageError(
            f"not a TorchScript file: {path} (a zip without TorchScript code; save the model "
            "with torch.jit.save)"
        )


def _check_onnx(path: Path) -> None:
    try:
        with path.open("rb") as file:
            fields = _top_level_fields(file, os.fstat(file.fileno()).st_size)
    except OSError as exc:
        raise UsageError(f"cannot read model file {path}: {exc.strerror or exc}") from None
    if fields is None:
        raise UsageError(f"not an ONNX file: {path} (not a protobuf ModelProto)")
    if _ONNX_GRAPH_FIELD not in fields:
        raise UsageError(f"not an ONNX file: {path} (it has no graph)")


def _top_level_fields(file: BinaryIO, size: int) -> set[int] | None:
    """The field numbers of the protobuf message `file` holds, skipping over each field's
    value; None when it is not one (a bad tag or wire type, a value past the end)."""
    fields: set[int] = set()
    while file.tell() < size:
        key = _varint(file)
        if key is None or key >> 3 == 0:
            return None
        wire = key & 7
        if wire == 0:  # a varint
            skip = 0 if _varint(file) is not None else None
        elif wire == 1:  # 64 bits
            skip = 8
        elif wire == 2:  # a length, then that many bytes
            skip = _varint(file)
        elif wire == 5:  # 32 bits
            skip = 4
        else:  # 3 and 4 (groups) are not in ONNX; 6 and 7 do not exist
            return None
        if skip is None or file.tell() + skip > size:
            return None
        file.seek(skip, os.SEEK_CUR)
        fields.add(key >> 3)
    return fields


def _varint(file: BinaryIO) -> int | None:
    value = 0
    for shift in range(0, 64, 7):
        byte = file.read(1)
        if not byte:
            return None
        value |= (byte[0] & 0x7F) << shift
        if byte[0] < 0x80:
            return value
    return None

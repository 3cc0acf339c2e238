"""Whether a container's PyTorch can load a TorchScript file written by a newer torch.

Every SageMaker row runs an older PyTorch than the one that traces here: the study's containers
run 2.0 (c5, g4dn, Neo ml_c5 / ml_g4dn) or 1.9 (Neo ml_inf1), today's rows the newest image the
SageMaker SDK lists (2.6 to 2.8). A TorchScript file fails to load on an older torch in two ways,
and both are checked on the written file, per target, before anything is uploaded:

- its file-format version is newer than that torch reads. Operators whose meaning changed get a
  "dynamic" version (aten::gelu's `approximate` argument writes version 10); torch 1.6 to 1.11
  read up to 5 (what this check allows them), torch 1.12 and later up to 10;
- its code calls an operator that torch lacks, or lacks with the arguments written.
  `OPERATOR_SINCE` lists the aten operators torchvision's classifiers trace to and the first
  PyTorch release that loads them as written (the printer leaves out arguments at their default,
  so an operator that gained an optional argument later still loads); an operator not listed is
  refused for any container older than this torch, since nothing here says it exists there.

Where a version is not known exactly, the table says 2.0 (every container but ml_inf1's
runs 2.0 or later, so no answer changes). Neo's own compiler may still refuse an operator it
cannot compile; its job then fails with the reason, which deploy reports.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from rnbench.core.errors import UsageError

_LONG_STANDING = (
    "_convolution conv2d batch_norm relu relu_ max_pool2d adaptive_avg_pool2d avg_pool2d add add_"
    " flatten linear addmm t size view reshape dropout dropout_ cat mul mul_ sigmoid sigmoid_"
    " hardtanh hardtanh_ hardswish hardswish_ hardsigmoid hardsigmoid_ silu silu_ mean contiguous"
    " transpose permute chunk softmax layer_norm matmul unsqueeze squeeze select slice expand"
    " expand_as sub rsub div eq ne tanh exp clamp clamp_min clone fill_ zero_ masked_fill"
    " new_zeros numel pow remainder roll einsum index sum neg sqrt rsqrt erf"
)
OPERATOR_SINCE: dict[str, tuple[int, int]] = {
    **{op: (1, 7) for op in _LONG_STANDING.split()},
    "swapaxes": (1, 8),
    "linalg_vector_norm": (1, 10),
    "gelu": (1, 12),  # and file format 10
    "floor_divide": (1, 13),  # rounds towards -inf since 1.13 (truncated before)
    "pad": (2, 0),  # aten::pad appeared in 1.13
    "_native_multi_head_attention": (2, 0),
    "scaled_dot_product_attention": (2, 0),
}
"""aten operator -> first PyTorch (major, minor) that loads it as a trace writes it today."""
OLD_FORMAT_LIMIT = 5
"""Highest file-format version torch 1.6 to 1.11 read (as allowed here)."""
FORMAT_LIMIT = 10
"""Highest file-format version torch 1.12 and later read."""
_OP = re.compile(r"\btorch\.(?:ops\.aten\.)?([A-Za-z_][A-Za-z0-9_]*)\(")
_SHOWN = 4
"""Operators named in a refusal before `...`."""


def version_of(text: str) -> tuple[int, int]:
    """(major, minor) of `2.6.0`, `1.9`, `2.14.1+cu130`."""
    parts = re.findall(r"\d+", text)
    if len(parts) < 2:
        raise ValueError(f"not a version: {text!r}")
    return int(parts[0]), int(parts[1])


def _contents(path: Path) -> tuple[int, set[str]]:
    """(file-format version, operators called) of a TorchScript archive.

    Raises UsageError: not a TorchScript archive.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            roots = {n.split("/", 1)[0] for n in names}
            found = [f"{r}/{v}" for r in sorted(roots) for v in ("version", ".data/version")]
            version_name = next(n for n in found if n in names)
            version = int(archive.read(version_name).decode().strip())
            ops: set[str] = set()
            for name in names:
                if "/code/" in name and name.endswith(".py"):
                    ops.update(_OP.findall(archive.read(name).decode("utf-8")))
    except (OSError, zipfile.BadZipFile, StopIteration, ValueError, UnicodeDecodeError) as error:
        raise UsageError(f"not a TorchScript archive: {path} ({error})") from None
    return version, ops


def load_problem(path: Path, framework: str, writer: str) -> str | None:
    """Why PyTorch `framework` cannot load the TorchScript file at `path`, written by torch
    `writer`; None when it can.

    Raises UsageError: not a TorchScript archive.
    """
    version, ops = _contents(path)
    target = version_of(framework)
    limit = FORMAT_LIMIT if target >= (1, 12) else OLD_FORMAT_LIMIT
    problems = []
    if version > limit:
        problems.append(f"TorchScript file format {version} is newer than it reads (<= {limit})")
    if target < version_of(writer):
        missing = sorted(op for op in ops if OPERATOR_SINCE.get(op, (99, 0)) > target)
        if missing:
            shown = ", ".join(missing[:_SHOWN]) + (", ..." if len(missing) > _SHOWN else "")
            problems.append(f"operators it may lack: {shown}")
    return "; ".join(problems) or None


def check_torchscript(path: Path, framework: str, writer: str) -> None:
    """Raise UsageError when PyTorch `framework` cannot load `path` (see `load_problem`)."""
    problem = load_problem(path, framework, writer)
    if problem is not None:
        raise UsageError(f"PyTorch {framework} cannot load {path.name}: {problem}")

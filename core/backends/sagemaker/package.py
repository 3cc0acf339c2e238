"""The model archives SageMaker serves and Neo compiles, built once, cached, uploaded once.

`model.tar.gz` = `model.pth` (ResNet-50 traced to TorchScript, as in the study) +
`code/inference.py` (the handler from `rnbench.inference.sagemaker`). The uncompiled archive
carries the full handler; the Neo archive carries the handler that supplies input_fn/output_fn.

Loadable by old frameworks: the study's containers run PyTorch 2.0 (c5, g4dn, Neo ml_c5/ml_g4dn)
or 1.9 (Neo ml_inf1), older than the torch that traces here; today's rows run the newest image
the SageMaker SDK lists (PyTorch 2.6 / 2.8 with sagemaker 3.27), which read the same archive.
A traced (not scripted) eval-mode ResNet-50 serialises to TorchScript file-format version 3 and
calls only long-standing aten operators; `check_torchscript` verifies both on the written file
(format version <= what torch 1.6+ read, every operator in `PORTABLE_OPS`) and refuses to package
otherwise, so a newer torch that changed either is caught here rather than as a failed endpoint
after 10 minutes.

Archives are deterministic (fixed mtimes, sorted members) so their sha256 names them: the S3 key
is `rnbench/artifacts/<sha256[:16]>/model.tar.gz` and an object already there is reused.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import tarfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rnbench.core.errors import DeployError, speaks_engine_errors
from rnbench.core.paths import cache_dir
from rnbench.inference.sagemaker import HANDLER, NEO_HANDLER

Variant = Literal["eager", "neo"]
MAX_FILE_FORMAT_VERSION = 5
"""Highest TorchScript file-format version every torch since 1.6 reads."""
PORTABLE_OPS = frozenset(
    {
        "_convolution",
        "conv2d",
        "batch_norm",
        "relu",
        "relu_",
        "max_pool2d",
        "adaptive_avg_pool2d",
        "add",
        "add_",
        "flatten",
        "linear",
        "addmm",
        "t",
        "size",
        "view",
        "reshape",
    }
)
"""aten operators a traced ResNet-50 may call that exist, same signature, in torch 1.7 to 2.x."""
INPUT_SHAPE = (1, 3, 224, 224)
_OP = re.compile(r"\btorch\.(?:ops\.aten\.)?([A-Za-z_][A-Za-z0-9_]*)\(")


@dataclass(frozen=True)
class Artifact:
    """A model archive on local disk."""

    path: Path
    variant: Variant
    sha256: str
    weights: str
    """`pretrained` or `random`."""

    @property
    def s3_key(self) -> str:
        return f"rnbench/artifacts/{self.sha256[:16]}/model.tar.gz"


def _sagemaker_cache() -> Path:
    path: Path = cache_dir() / "sagemaker"
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_torchscript(path: Path) -> None:
    """Check that old torch versions can load the TorchScript file at `path`.

    Raises:
        DeployError: format version too new, or an operator outside PORTABLE_OPS.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            version_name = next(n for n in names if n.endswith("/version") and n.count("/") == 1)
            version = int(archive.read(version_name).decode().strip())
            ops: set[str] = set()
            for name in names:
                if "/code/" in name and name.endswith(".py"):
                    ops.update(_OP.findall(archive.read(name).decode("utf-8")))
    except (OSError, zipfile.BadZipFile, StopIteration, ValueError) as error:
        raise DeployError(f"not a TorchScript archive: {path} ({error})") from None
    if version > MAX_FILE_FORMAT_VERSION:
        raise DeployError(
            f"TorchScript file format {version} is newer than old containers read "
            f"(<= {MAX_FILE_FORMAT_VERSION})"
        )
    foreign = sorted(ops - PORTABLE_OPS)
    if foreign:
        raise DeployError(f"TorchScript uses operators old containers may lack: {foreign}")


@speaks_engine_errors
def traced_model(progress: Callable[[str], None]) -> tuple[Path, str]:
    """The traced TorchScript ResNet-50 (cached per weights and torch version), and weights kind.

    Raises:
        DeployError: the trace is not loadable by old containers.
        UsageError: a named weights file is unusable.
    """
    import torch

    from rnbench.inference.weights import build_model, find_weights

    found = find_weights()
    tag = f"{found.name}-{found.stat().st_size}" if found is not None else "random"
    path = _sagemaker_cache() / f"resnet50-{tag}-torch{torch.__version__}.pth"
    kind = "random" if found is None else "pretrained"
    if not path.exists():
        progress("tracing ResNet-50 to TorchScript")
        model, info = build_model()
        kind = info.kind
        partial = path.with_suffix(".partial")
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # "jit.trace is deprecated"
            traced = torch.jit.trace(model, torch.zeros(INPUT_SHAPE))  # type: ignore[no-untyped-call]
            torch.jit.save(traced, str(partial))  # type: ignore[no-untyped-call]
        check_torchscript(partial)
        partial.replace(path)
    check_torchscript(path)
    return path, kind


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _tar_gz(members: list[tuple[str, Path]], dest: Path) -> None:
    partial = dest.with_suffix(".partial")
    with (
        partial.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=1) as gz,
    ):
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for name, source in sorted(members):
                _add(tar, name, source.read_bytes())
    partial.replace(dest)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_artifact(variant: Variant, progress: Callable[[str], None]) -> Artifact:
    """The model archive for `variant`, built on first use and cached under cache_dir().

    Raises:
        DeployError, UsageError.
    """
    model_path, kind = traced_model(progress)
    handler = NEO_HANDLER if variant == "neo" else HANDLER
    handler_hash = hashlib.sha256(handler.read_bytes()).hexdigest()[:12]
    dest = _sagemaker_cache() / f"{model_path.stem}-{variant}-{handler_hash}.tar.gz"
    if not dest.exists():
        progress(f"packing model.tar.gz ({variant})")
        _tar_gz([("model.pth", model_path), ("code/inference.py", handler)], dest)
    return Artifact(dest, variant, _sha256(dest), kind)


def source_archive() -> tuple[bytes, str]:
    """`sourcedir.tar.gz` holding the Neo handler as inference.py, and its sha256."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            _add(tar, "inference.py", NEO_HANDLER.read_bytes())
    data = buffer.getvalue()
    return data, hashlib.sha256(data).hexdigest()


def ensure_bucket(s3: Any, bucket: str, region: str) -> None:
    """Create `bucket` when it does not exist (never deletes or changes an existing one)."""
    import botocore.exceptions

    try:
        s3.head_bucket(Bucket=bucket)
        return
    except botocore.exceptions.ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})


def _exists(s3: Any, bucket: str, key: str, size: int) -> bool:
    import botocore.exceptions

    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except botocore.exceptions.ClientError:
        return False
    return int(head.get("ContentLength", -1)) == size


def upload(
    s3: Any, bucket: str, artifact: Artifact, progress: Callable[[str], None]
) -> tuple[str, bool]:
    """Upload `artifact` unless the same content is already there; (s3 uri, uploaded)."""
    uri = f"s3://{bucket}/{artifact.s3_key}"
    size = artifact.path.stat().st_size
    if _exists(s3, bucket, artifact.s3_key, size):
        return uri, False
    progress(f"uploading {size / 1e6:.0f} MB to {uri}")
    from boto3.s3.transfer import TransferConfig

    s3.upload_file(
        str(artifact.path),
        bucket,
        artifact.s3_key,
        ExtraArgs={"Metadata": {"sha256": artifact.sha256}, "Tagging": "rnbench%3Amanaged=true"},
        Config=TransferConfig(multipart_threshold=1 << 30),  # one PUT: ~100 MB, under 5 GB
    )
    return uri, True


def upload_bytes(s3: Any, bucket: str, key: str, data: bytes) -> str:
    """Upload a small object unless one of the same size is there; its s3 uri."""
    if not _exists(s3, bucket, key, len(data)):
        s3.put_object(Bucket=bucket, Key=key, Body=data, Tagging="rnbench%3Amanaged=true")
    return f"s3://{bucket}/{key}"

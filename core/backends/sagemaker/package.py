"""The model archives SageMaker serves and Neo compiles, built once, cached, uploaded once.

`model.tar.gz` = `model.pth` (the chosen model as TorchScript, see `served_model`; ResNet-50
traced as in the study by default) + `code/inference.py` (the handler from
`rnbench.inference.sagemaker`) + `code/rnbench_io.py` (the input_fn and output_fn it imports) +
`code/model.json` (the model's resize, crop and normalisation, which they read). The uncompiled
archive carries the full handler; the Neo archive carries the handler that supplies
input_fn/output_fn, and the endpoint gets it (with rnbench_io.py and model.json) as
`sourcedir.tar.gz`.

Whether the target container's PyTorch can load the file is checked per configuration
(`loadable`), before anything is uploaded.

Archives are deterministic (fixed mtimes, sorted members) so their sha256 names them: the S3 key
is `rnbench/artifacts/<sha256[:16]>/model.tar.gz` and an object already there is reused. A
different model, input size or weights gives a different model.pth or model.json, so a
different archive and key.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rnbench.core.backends.sagemaker.served_model import HANDLER_CONFIG, ServedModel
from rnbench.core.paths import cache_dir
from rnbench.inference.sagemaker import HANDLER, HANDLER_IO, NEO_HANDLER

Variant = Literal["eager", "neo"]


@dataclass(frozen=True)
class Artifact:
    """A model archive on local disk."""

    path: Path
    variant: Variant
    sha256: str
    model: ServedModel
    """What model.pth is."""

    @property
    def weights(self) -> str:
        """`pretrained`, `random` or `file`."""
        return self.model.weights

    @property
    def s3_key(self) -> str:
        return f"rnbench/artifacts/{self.sha256[:16]}/model.tar.gz"


def _sagemaker_cache() -> Path:
    path: Path = cache_dir() / "sagemaker"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _tar_gz(members: list[tuple[str, Path | bytes]], dest: Path) -> None:
    partial = dest.with_suffix(".partial")
    with (
        partial.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=1) as gz,
    ):
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for name, source in sorted(members, key=lambda member: member[0]):
                _add(tar, name, source if isinstance(source, bytes) else source.read_bytes())
    partial.replace(dest)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_artifact(
    variant: Variant, model: ServedModel, progress: Callable[[str], None]
) -> Artifact:
    """The model archive of `model` for `variant`, built on first use and cached under
    cache_dir()."""
    handler = (NEO_HANDLER if variant == "neo" else HANDLER).read_bytes()
    handler_io = HANDLER_IO.read_bytes()
    config = model.handler_config()
    code_hash = hashlib.sha256(b"\0".join((handler, handler_io, config))).hexdigest()[:12]
    dest = _sagemaker_cache() / f"{model.stem}-{variant}-{code_hash}.tar.gz"
    if not dest.exists():
        progress(f"packing model.tar.gz ({variant}, {model.spec.label})")
        members: list[tuple[str, Path | bytes]] = [
            ("model.pth", model.path),
            ("code/inference.py", handler),
            (f"code/{HANDLER_IO.name}", handler_io),
            (f"code/{HANDLER_CONFIG}", config),
        ]
        _tar_gz(members, dest)
    return Artifact(dest, variant, _sha256(dest), model)


def source_archive(model: ServedModel) -> tuple[bytes, str]:
    """`sourcedir.tar.gz` holding the Neo handler as inference.py beside rnbench_io.py and
    `model`'s model.json, and its sha256."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            _add(tar, "inference.py", NEO_HANDLER.read_bytes())
            _add(tar, HANDLER_IO.name, HANDLER_IO.read_bytes())
            _add(tar, HANDLER_CONFIG, model.handler_config())
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

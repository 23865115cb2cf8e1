"""Where PGE inputs come from and where products go: local folders, ``file://`` and ``s3://``.

Products are written to a staging folder (under the scratch folder) and published only when complete:
a local output is moved into ``<output_dir>/<product_id>/`` by an atomic rename (through a hidden partial
folder on the destination file system when scratch is on another one); an ``s3://`` output is uploaded
under a hidden temporary prefix, copied into place with the met.json last, and removed again on failure, so a
reader that sees the met.json sees a complete product and a failed upload leaves nothing behind.
S3 connection settings come from the environment (``SARLAKE_S3__*``, :mod:`pges.environment`).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from pges.errors import InputValidationError, ProcessingError

__all__ = ["Publisher", "is_s3", "join_uri", "local_path", "s3_client", "split_s3"]

logger = logging.getLogger(__name__)


#: Ids that become folder names (products, acquisitions). The same rule as ``lake.names.ID_PATTERN`` (pges
#: cannot import lake; tests/test_lake_names.py asserts the two agree).
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:+-]{0,254}$"
_ID = re.compile(ID_PATTERN)


def check_product_id(product_id: str) -> str:
    """Return ``product_id`` if it is one safe folder name; else raise InputValidationError (exit 2)."""
    if not isinstance(product_id, str) or not _ID.fullmatch(product_id) or set(product_id) == {"."}:
        raise InputValidationError(
            f"product id {product_id!r} is not valid: use 1-255 letters, digits or '._:+-', starting with a "
            "letter or digit (no '/', spaces or '..')"
        )
    return product_id


def is_s3(uri: str) -> bool:
    """True for ``s3://`` (and ``s3a://``) URIs."""
    return uri.startswith(("s3://", "s3a://"))


def split_s3(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> ``("bucket", "a/b")``."""
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


def join_uri(base: str, *parts: str) -> str:
    """Join path parts to a local path or URI."""
    if is_s3(base) or base.startswith("file://"):
        return "/".join([base.rstrip("/"), *parts])
    return str(Path(base, *parts))


def local_path(uri: str) -> Path | None:
    """The local path of a plain path or ``file://`` URI; None for a remote URI."""
    if uri.startswith("file://"):
        return Path(unquote(urlparse(uri).path))
    if "://" in uri:
        return None
    return Path(uri)


def s3_client() -> Any:
    """A boto3 S3 client configured from ``SARLAKE_S3__*`` (see :mod:`pges.environment`)."""
    from pges.environment import s3_client as client

    return client()


def fetch_input(uri: str, cache_dir: Path) -> Path:
    """Return a local path for an input URI, downloading ``s3://`` objects into ``cache_dir``.

    Raises:
        InputValidationError: the file does not exist or the scheme is not supported.
    """
    path = local_path(uri)
    if path is not None:
        if not path.is_file():
            raise InputValidationError(f"input {uri} does not exist or is not a file")
        return path
    if not is_s3(uri):
        raise InputValidationError(f"input {uri}: unsupported URI scheme (use a path, file:// or s3://)")
    bucket, key = split_s3(uri)
    dest = cache_dir / bucket / key
    if not dest.is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        client = s3_client()
        try:
            client.download_file(bucket, key, str(dest))
        except Exception as exc:  # botocore raises many kinds
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code in ("404", "NoSuchKey", "NotFound"):
                raise InputValidationError(f"input {uri} does not exist") from exc
            raise ProcessingError(f"cannot download input {uri}: {exc}") from exc
    return dest


class Publisher:
    """Moves finished products from staging into ``output_dir`` (a folder or an ``s3://`` prefix)."""

    def __init__(self, output_dir: str) -> None:
        self.output_dir = output_dir.rstrip("/") if is_s3(output_dir) else output_dir
        self._swept = False  # leftovers of interrupted publishes are looked for once per publisher, not per product

    def met_uri(self, product_id: str) -> str:
        """URI of a published product's met.json (the id must be one safe folder name)."""
        check_product_id(product_id)
        if is_s3(self.output_dir):
            return f"{self.output_dir}/{product_id}/{product_id}.met.json"
        base = local_path(self.output_dir)
        assert base is not None
        return str((base / product_id / f"{product_id}.met.json").absolute())

    def exists(self, product_id: str) -> bool:
        """True when the product's met.json is already published (so the product is complete)."""
        if is_s3(self.output_dir):
            from botocore.exceptions import ClientError

            bucket, key = split_s3(self.met_uri(product_id))
            try:
                s3_client().head_object(Bucket=bucket, Key=key)
            except ClientError as exc:  # only "not found" is absent: a refusal (403) or an outage is an error,
                if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
                    return False  # not a reason to make (and overwrite) a product that may be there
                raise
            return True
        return Path(self.met_uri(product_id)).is_file()

    def publish(self, product_id: str, staged: Path) -> str:
        """Publish a staged product folder; return the met.json URI."""
        if is_s3(self.output_dir):
            self._upload(product_id, staged)
        else:
            self._move(product_id, staged)
        return self.met_uri(product_id)

    def _move(self, product_id: str, staged: Path) -> None:
        base = local_path(self.output_dir)
        assert base is not None
        check_product_id(product_id)
        try:
            base.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputValidationError(
                f"output_dir {self.output_dir} cannot be created ({exc.strerror or exc}); "
                "choose a writable output folder"
            ) from exc
        if not self._swept:  # what an interrupted publish left here (a listing of base: once, not per product)
            from pges.cleanup import sweep_partials

            sweep_partials(base)
            self._swept = True
        final = base / product_id
        token = uuid.uuid4().hex[:8]
        try:
            if os.stat(staged).st_dev == os.stat(base).st_dev:
                ready = staged
            else:
                ready = base / f".{product_id}.partial-{token}"
                shutil.copytree(staged, ready)
            if final.exists():  # re-run of the same product: swap it in, then drop the old one
                old = base / f".{product_id}.old-{token}"
                os.rename(final, old)
                os.rename(ready, final)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(ready, final)
        except OSError as exc:
            raise ProcessingError(f"cannot publish {product_id} into {base}: {exc}") from exc
        logger.info("published %s", final)

    def _upload(self, product_id: str, staged: Path) -> None:
        """Upload into a hidden temp prefix, then copy into place with the met.json last.

        S3 has no rename: the product's files are uploaded under ``.<product>.partial-<token>/`` (readers only
        look for ``<product>/<product>.met.json``), copied server-side into ``<product>/`` and the met.json
        copied last. A re-publish first removes the old met.json, so a reader never sees an old met.json beside
        new data files. On any failure everything this call wrote is deleted again: the product is either
        complete and visible or absent.
        """
        check_product_id(product_id)
        bucket, prefix = split_s3(self.output_dir)
        client = s3_client()
        files = sorted(p for p in staged.rglob("*") if p.is_file())
        met = [p for p in files if p.name.endswith(".met.json")]
        ordered = [p for p in files if p not in met] + met  # met.json last
        token = uuid.uuid4().hex[:8]

        def key(folder: str, path: Path) -> str:
            return "/".join(filter(None, [prefix, folder, str(path.relative_to(staged))]))

        temp = [key(f".{product_id}.partial-{token}", p) for p in ordered]
        final = [key(product_id, p) for p in ordered]
        written: list[str] = []
        try:
            for path, tmp_key in zip(ordered, temp, strict=True):
                written.append(tmp_key)
                client.upload_file(str(path), bucket, tmp_key)
            for final_key in final[len(final) - len(met):]:  # hide the old version before replacing its files
                client.delete_object(Bucket=bucket, Key=final_key)
            for tmp_key, final_key in zip(temp, final, strict=True):
                written.append(final_key)
                client.copy_object(Bucket=bucket, Key=final_key, CopySource={"Bucket": bucket, "Key": tmp_key})
        except Exception as exc:
            self._delete_keys(client, bucket, written)
            raise ProcessingError(f"cannot upload {product_id} to {self.output_dir}: {exc}") from exc
        self._delete_keys(client, bucket, temp)
        logger.info("uploaded %s to %s", product_id, self.output_dir)

    @staticmethod
    def _delete_keys(client: Any, bucket: str, keys: list[str]) -> None:
        """Delete ``keys`` (best effort: a failure here is logged, the caller's error is the one that counts)."""
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start:start + 1000]]
            try:
                client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
            except Exception as exc:  # noqa: BLE001 - cleanup must not hide the original error
                logger.warning("could not delete %d temporary objects in s3://%s: %s", len(batch), bucket, exc)

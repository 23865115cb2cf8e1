"""Small storage helpers that treat local paths, ``file://`` URIs and ``s3://`` URIs alike."""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from lake.settings import Settings, get_settings, is_remote

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client  # type: ignore[import-not-found]

__all__ = ["delete", "delete_many", "error_code", "exists", "join", "list_uris", "local_path", "not_found",
           "read_bytes", "read_json", "s3_client", "split_s3", "write_bytes", "write_json"]

logger = logging.getLogger(__name__)


def split_s3(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into ``(bucket, key)``."""
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


def local_path(uri: str) -> Path:
    """Path of a local path or ``file://`` URI."""
    if uri.startswith("file://"):
        return Path(unquote(urlparse(uri).path))
    return Path(uri)


def local_str(uri: str) -> str:
    """A local path as a string (no ``Path`` per file on the hot path)."""
    return str(local_path(uri)) if uri.startswith("file://") else uri


def join(base: str, *parts: str) -> str:
    """Join URI or path parts with ``/``."""
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts)])


#: (process, S3 settings, AWS credential variables) -> its boto3 client
_CLIENTS: dict[tuple[int, str, tuple[str | None, ...]], Any] = {}
_CLIENTS_LOCK = threading.Lock()
_AWS_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


def s3_client(settings: Settings | None = None) -> S3Client:
    """Return a boto3 S3 client for the configured endpoint and credentials.

    One client per process and S3 configuration is made and reused (boto3 clients are thread-safe): making one
    costs about 9 ms and its pooled connections save the handshake of every later call (``make bench``,
    section ``s3_reads``).

    Args:
        settings: the lake settings; default :func:`lake.settings.get_settings`.

    Returns:
        The client.
    """
    s3 = (settings or get_settings()).s3
    key = (os.getpid(), s3.model_dump_json(), tuple(os.environ.get(v) for v in _AWS_VARIABLES))
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            client = _CLIENTS[key] = s3.client()
    return client  # type: ignore[no-any-return]


def read_bytes(uri: str, settings: Settings | None = None) -> bytes:
    """Read a whole object or file.

    Raises:
        FileNotFoundError: nothing at ``uri``.
    """
    if is_remote(uri):
        bucket, key = split_s3(uri)
        client = s3_client(settings)
        try:
            return client.get_object(Bucket=bucket, Key=key)["Body"].read()  # type: ignore[no-any-return]
        except client.exceptions.NoSuchKey as exc:
            raise FileNotFoundError(uri) from exc
    return local_path(uri).read_bytes()


def read_json(uri: str, settings: Settings | None = None) -> Any:
    """Read and parse a JSON document."""
    return json.loads(read_bytes(uri, settings))


def write_bytes(uri: str, data: bytes, settings: Settings | None = None) -> None:
    """Write a whole object or file (creating parent folders locally)."""
    if is_remote(uri):
        bucket, key = split_s3(uri)
        s3_client(settings).put_object(Bucket=bucket, Key=key, Body=data)
        return
    path = local_path(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def write_json(uri: str, obj: Any, settings: Settings | None = None) -> None:
    """Write ``obj`` as indented JSON."""
    write_bytes(uri, json.dumps(obj, indent=2, default=str).encode(), settings)


def exists(uri: str, settings: Settings | None = None) -> bool:
    """Whether a file or object exists at ``uri``.

    Raises:
        botocore.exceptions.ClientError: S3 answered neither "here" nor "not found" (a 403: the credentials may
            not read it), so whether it exists is not known.
    """
    if is_remote(uri):
        from botocore.exceptions import ClientError

        bucket, key = split_s3(uri)
        try:
            s3_client(settings).head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if not_found(exc):
                return False
            raise
        return True
    return local_path(uri).exists()


def error_code(exc: BaseException) -> str:
    """S3's error code in a boto3 ``ClientError`` (``NoSuchKey``, ``AccessDenied``, a HEAD's bare ``404``); ``""``."""
    error = getattr(exc, "response", None)
    return str(error.get("Error", {}).get("Code", "")) if isinstance(error, dict) else ""


def not_found(exc: BaseException) -> bool:
    """Whether a boto3 ``ClientError`` is S3 saying "no such object" (a HEAD's bare 404 included)."""
    return error_code(exc) in ("404", "NoSuchKey", "NotFound")


def list_entries(
    prefix: str, suffixes: tuple[str, ...] = ("",), settings: Settings | None = None
) -> list[tuple[str, datetime]]:
    """Return ``(uri, last modified, UTC)`` of the files/objects under ``prefix`` ending with one of ``suffixes``."""
    if is_remote(prefix):
        bucket, key = split_s3(prefix)
        paginator = s3_client(settings).get_paginator("list_objects_v2")
        found = [
            (f"s3://{bucket}/{obj['Key']}", obj["LastModified"].astimezone(UTC))
            for page in paginator.paginate(Bucket=bucket, Prefix=key.rstrip("/") + "/" if key else "")
            for obj in page.get("Contents", [])
            if obj["Key"].endswith(suffixes)
        ]
        return sorted(found)
    found = []
    for folder, _, names in os.walk(local_path(prefix)):  # one scandir per folder; nothing when no folder
        for name in names:
            if name.endswith(suffixes):
                path = os.path.join(folder, name)
                found.append((path, datetime.fromtimestamp(os.stat(path).st_mtime, UTC)))
    return sorted(found)


def list_uris(prefix: str, suffix: str = "", settings: Settings | None = None) -> list[str]:
    """URIs of the files/objects under ``prefix`` (recursively) whose names end with ``suffix``, sorted."""
    if is_remote(prefix):
        return [uri for uri, _ in list_entries(prefix, (suffix,), settings)]
    return sorted(os.path.join(folder, name) for folder, _, names in os.walk(local_path(prefix))  # no stat
                  for name in names if name.endswith(suffix))


def delete(uri: str, settings: Settings | None = None) -> None:
    """Delete a file or object (nothing happens when it is already gone)."""
    if is_remote(uri):
        bucket, key = split_s3(uri)
        s3_client(settings).delete_object(Bucket=bucket, Key=key)
    else:
        local_path(uri).unlink(missing_ok=True)


S3_DELETE_BATCH = 1000  # the most keys one S3 DeleteObjects request takes


def delete_many(uris: list[str], settings: Settings | None = None) -> None:
    """Delete files or objects, S3 ones in batches of 1,000 keys per request (ones already gone are fine).

    Raises:
        OSError: S3 refused some keys; the message names the first and how many (the others are deleted).
    """
    by_bucket: dict[str, list[str]] = {}
    for uri in uris:
        if is_remote(uri):
            bucket, key = split_s3(uri)
            by_bucket.setdefault(bucket, []).append(key)
        else:
            try:
                os.unlink(local_str(uri))  # an archive roll deletes many: no Path per file
            except FileNotFoundError:
                pass
    for bucket, keys in by_bucket.items():
        client = s3_client(settings)
        for start in range(0, len(keys), S3_DELETE_BATCH):
            batch = keys[start:start + S3_DELETE_BATCH]
            errors = client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch],
                                                                  "Quiet": True}).get("Errors", [])
            if errors:
                first = errors[0]
                raise OSError(f"S3 refused to delete {len(errors)} of {len(batch)} objects in s3://{bucket}, "
                              f"first s3://{bucket}/{first.get('Key')}: {first.get('Code')} {first.get('Message')}")

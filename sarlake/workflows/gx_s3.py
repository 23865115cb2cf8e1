"""A Great Expectations store backend on the lake's S3: validation results and the Data Docs site of an S3 lake.

GX 1.x ships store backends for a local folder only. On an S3 lake the quality gate runs in a task pod whose disk
goes with it, so its validation results and the Data Docs site built from them must reach the lake itself:
:class:`S3StoreBackend` keeps them under the warehouse (:mod:`sarlake.workflows.quality_docs`), through the lake's
own S3 client (endpoint and credentials of :class:`lake.settings.Settings`).

GX makes store backends from configuration dicts (class and module names), never from objects, and an ephemeral
context's configuration is never written to disk. The lake's settings reach the backend through :func:`lake_token`:
the configuration names a token, and the backend looks the settings up in this process.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from great_expectations.data_context.store.tuple_store_backend import TupleStoreBackend
from great_expectations.exceptions import InvalidKeyError

from lake.settings import Settings
from lake.storage import s3_client, split_s3

__all__ = ["S3StoreBackend", "lake_token"]

_LAKES: dict[str, Settings] = {}
_LOCK = threading.Lock()


def lake_token(settings: Settings) -> str:
    """A name for ``settings`` that a backend's configuration can carry (the settings stay in this process).

    Equal settings share one name, so a process that gates many times keeps one entry per lake configuration.
    """
    token = "lake-" + hashlib.sha256(settings.model_dump_json().encode()).hexdigest()[:16]
    with _LOCK:
        _LAKES[token] = settings
    return token


class S3StoreBackend(TupleStoreBackend):  # type: ignore[misc]
    """Keys as objects under ``uri`` (``s3://bucket/prefix``), laid out as GX's folder backend lays out files.

    Static assets of the Data Docs site (about 4 MB of fonts, images and styles) are uploaded once: a key under
    ``static/`` already present is not written again, so each gate run uploads only its own pages.
    """

    def __init__(self, uri: str, lake: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.uri = uri.rstrip("/")
        self._bucket, self._prefix = split_s3(self.uri + "/")
        with _LOCK:
            self._settings = _LAKES[lake]
        self._config = {"uri": uri, "lake": lake, **kwargs, "module_name": self.__class__.__module__,
                        "class_name": self.__class__.__name__}
        if not self._suppress_store_backend_id:
            _ = self.store_backend_id

    @property
    def config(self) -> dict[str, Any]:
        """The configuration GX made this backend from (the settings by token, never their credentials)."""
        return self._config

    def _client(self) -> Any:
        return s3_client(self._settings)

    def _object_key(self, key: Any) -> str:
        if not isinstance(key, tuple):
            key = key.to_tuple()
        return self._prefix + self._convert_key_to_filepath(key)

    def _get(self, key: Any) -> str:  # type: ignore[override]  # GX declares None; its own backends return this
        name = self._object_key(key)
        try:
            body = self._client().get_object(Bucket=self._bucket, Key=name)["Body"].read()
        except self._client().exceptions.NoSuchKey as exc:
            raise InvalidKeyError(f"no object s3://{self._bucket}/{name}") from exc
        return body.decode("utf-8").rstrip("\n")  # type: ignore[no-any-return]

    def _get_all(self) -> list[Any]:
        return [self._get(key) for key in self.list_keys() if key != self.STORE_BACKEND_ID_KEY]

    def _set(self, key: Any, value: Any, **kwargs: Any) -> str:  # type: ignore[override]  # as _get
        name = self._object_key(key)
        if name.startswith(self._prefix + "static/") and self._has_object(name):
            return f"s3://{self._bucket}/{name}"
        body = value.encode("utf-8") if isinstance(value, str) else value
        extra = {"ContentType": kwargs["content_type"]} if kwargs.get("content_type") else {}
        self._client().put_object(Bucket=self._bucket, Key=name, Body=body, **extra)
        return f"s3://{self._bucket}/{name}"

    def _move(self, source_key: Any, dest_key: Any, **kwargs: Any) -> Any:
        source, dest = self._object_key(source_key), self._object_key(dest_key)
        if not self._has_object(source):
            return False
        self._client().copy_object(Bucket=self._bucket, Key=dest, CopySource={"Bucket": self._bucket, "Key": source})
        self._client().delete_object(Bucket=self._bucket, Key=source)
        return dest_key

    def list_keys(self, prefix: tuple[str, ...] = ()) -> list[Any]:
        """Keys of the objects under ``uri`` (and ``prefix``) that this backend's prefix and suffix select."""
        start = self._prefix + "/".join(prefix)
        keys = []
        for page in self._client().get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=start):
            for item in page.get("Contents", []):
                path = item["Key"][len(self._prefix):]
                if self._is_missing_prefix_or_suffix(self.filepath_prefix, self.filepath_suffix, path):
                    continue
                key = self._convert_filepath_to_key(path)
                if key and not self.is_ignored_key(key):
                    keys.append(key)
        return keys

    def remove_key(self, key: Any) -> bool:  # type: ignore[override]  # as _get
        """Delete the key's object; ``False`` if there was none."""
        name = self._object_key(key)
        if not self._has_object(name):
            return False
        self._client().delete_object(Bucket=self._bucket, Key=name)
        return True

    def get_url_for_key(self, key: Any, protocol: str | None = None) -> str:
        """The key's ``s3://`` URI (what the gate reports as the Data Docs location)."""
        return f"s3://{self._bucket}/{self._object_key(key)}"

    def _has_key(self, key: Any) -> bool:
        return self._has_object(self._object_key(key))

    def _has_object(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client().head_object(Bucket=self._bucket, Key=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

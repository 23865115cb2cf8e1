"""A Great Expectations store backend on the lake's S3: validation results and the Data Docs site of an S3 lake.

GX 1.x ships store backends for a local folder only. On an S3 lake the quality gate runs in a task pod whose disk
goes with it, so its validation results and the Data Docs site built from them must reach the lake itself:
:class:`S3StoreBackend` keeps them under the warehouse (:mod:`sarlake.workflows.quality_docs`) through
:mod:`lake.storage`, with the endpoint and credentials of the lake's :class:`lake.settings.Settings`.

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
from lake.storage import delete, exists, list_uris, read_bytes, split_s3, write_bytes

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

    def _uri(self, key: Any) -> str:
        return f"s3://{self._bucket}/{self._object_key(key)}"

    def _object_key(self, key: Any) -> str:
        if not isinstance(key, tuple):
            key = key.to_tuple()
        return self._prefix + self._convert_key_to_filepath(key)

    def _get(self, key: Any) -> str:  # type: ignore[override]  # GX declares None; its own backends return this
        try:
            return read_bytes(self._uri(key), self._settings).decode("utf-8").rstrip("\n")
        except FileNotFoundError as exc:
            raise InvalidKeyError(f"no object {exc}") from exc

    def _get_all(self) -> list[Any]:
        return [self._get(key) for key in self.list_keys() if key != self.STORE_BACKEND_ID_KEY]

    def _set(self, key: Any, value: Any, **kwargs: Any) -> str:  # type: ignore[override]  # as _get
        uri = self._uri(key)
        if self._object_key(key).startswith(self._prefix + "static/") and exists(uri, self._settings):
            return uri
        write_bytes(uri, value.encode("utf-8") if isinstance(value, str) else value, self._settings)
        return uri

    def _move(self, source_key: Any, dest_key: Any, **kwargs: Any) -> Any:
        source = self._uri(source_key)
        if not exists(source, self._settings):
            return False
        write_bytes(self._uri(dest_key), read_bytes(source, self._settings), self._settings)
        delete(source, self._settings)
        return dest_key

    def list_keys(self, prefix: tuple[str, ...] = ()) -> list[Any]:
        """Keys of the objects under ``uri`` (and ``prefix``) that this backend's prefix and suffix select."""
        keys = []
        for uri in list_uris("/".join([self.uri, *prefix]), "", self._settings):
            path = uri.removeprefix(f"s3://{self._bucket}/{self._prefix}")
            if self._is_missing_prefix_or_suffix(self.filepath_prefix, self.filepath_suffix, path):
                continue
            key = self._convert_filepath_to_key(path)
            if key and not self.is_ignored_key(key):
                keys.append(key)
        return keys

    def remove_key(self, key: Any) -> bool:  # type: ignore[override]  # as _get
        """Delete the key's object; ``False`` if there was none."""
        if not exists(self._uri(key), self._settings):
            return False
        delete(self._uri(key), self._settings)
        return True

    def get_url_for_key(self, key: Any, protocol: str | None = None) -> str:
        """The key's ``s3://`` URI (what the gate reports as the Data Docs location)."""
        return self._uri(key)

    def _has_key(self, key: Any) -> bool:
        return exists(self._uri(key), self._settings)

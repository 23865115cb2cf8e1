"""S3 prefixes among ingest's inputs: ``s3://bucket/prefix/`` is read as the folder it stands for.

HyP3 and other services leave their results under a prefix, and a pod's inputs live there. Every object under
the prefix is downloaded into the run's work folder as ``inputs/<bucket>/<prefix>/...``, its layout kept (headers,
coherence, a LiCSAR frame's ``metadata/`` and zips stay where the readers look for them), and that folder is
expanded as a local one; objects whose names say no reader opens them (:func:`pges.readers.kinds.never_read`: DEMs,
amplitudes, look vectors) are only counted as left out. A prefix is downloaded whole, so one holding more than
:data:`MAX_OBJECTS` objects or :data:`MAX_BYTES` bytes to download is refused before anything is downloaded.
What is read from it is recorded as its ``s3://`` URI (provenance, left-out notes and errors), never as the scratch
copy, which is gone after the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pges.errors import InputValidationError, ProcessingError
from pges.readers.kinds import never_read
from pges.storage import is_s3, s3_client, split_s3

__all__ = ["MAX_BYTES", "MAX_OBJECTS", "Downloaded"]

#: the most objects ingest downloads from one prefix
MAX_OBJECTS = 2000
#: the most bytes ingest downloads from one prefix (20 GiB)
MAX_BYTES = 20 * 1024**3


def _size(n: int) -> str:
    return f"{n / 1024**3:.3g} GiB" if n >= 1024**3 else f"{n / 1024**2:.3g} MiB"


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


@dataclass
class Downloaded:
    """The S3 prefixes of one run, downloaded into ``cache_dir/<bucket>/<prefix>``, and the objects left out.

    That is :meth:`pges.runner.RunContext.fetch`'s layout, so a file's S3 URI is its path under ``cache_dir``.
    """

    cache_dir: Path
    #: objects not downloaded, whose names say no reader opens them (:func:`pges.readers.kinds.never_read`): their
    #: local path had they been, kind and ``name``, as a folder's left-out files
    left: list[tuple[Path, str, str]] = field(default_factory=list)

    def download(self, uri: str) -> Path | None:
        """Download the objects under prefix ``uri`` into their folder and return it; None if ``uri`` is no prefix.

        ``uri`` is a prefix when it ends in ``/`` (or names a bucket) or when objects lie under ``<uri>/``.

        Raises:
            InputValidationError: no object under the prefix, more than the limits, or a key that would land outside
                the prefix's folder.
            ProcessingError: the listing or a download failed.
        """
        if not is_s3(uri):
            return None
        bucket, key = split_s3(uri)
        client = s3_client()
        prefix = key if key.endswith("/") or not key else key + "/"
        objects = self._list(client, uri, bucket, prefix, probe=prefix != key)
        if objects is None:
            return None
        if not objects:
            raise InputValidationError(f"input {uri}: no objects under this S3 prefix (check the bucket and prefix)")
        root = self.cache_dir / bucket / prefix
        folder = root.resolve()
        for name, _ in objects:
            dest = root / name[len(prefix):].lstrip("/")
            if not dest.resolve().is_relative_to(folder):
                raise InputValidationError(f"input {uri}: object {name!r} would download outside the prefix's "
                                           "folder; name the objects to ingest")
            unread = never_read(dest)
            if unread is not None:  # a HyP3 product's DEM, amplitude, look vectors: counted, not downloaded
                self.left.append((dest, *unread))
                continue
            if dest.is_file():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                client.download_file(bucket, name, str(dest))
            except Exception as exc:  # botocore raises many kinds
                raise ProcessingError(f"cannot download s3://{bucket}/{name}: {exc}") from exc
        return root

    @staticmethod
    def _list(client: Any, uri: str, bucket: str, prefix: str, probe: bool) -> list[tuple[str, int]] | None:
        """The keys and sizes under ``prefix`` (no folder markers); None when ``probe`` finds none or may not list.

        ``probe``: ``uri`` had no trailing ``/`` and may name one object, which is then fetched as before.
        """
        objects: list[tuple[str, int]] = []
        total = 0
        try:
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    if obj["Key"].endswith("/"):
                        continue  # a console's "folder" marker
                    objects.append((obj["Key"], int(obj.get("Size", 0))))
                    if never_read(Path(obj["Key"])) is None:  # what is not downloaded does not count
                        total += objects[-1][1]
                    if len(objects) > MAX_OBJECTS or total > MAX_BYTES:
                        held = (f"more than {MAX_OBJECTS} objects" if len(objects) > MAX_OBJECTS
                                else f"more than {_size(MAX_BYTES)}")
                        raise InputValidationError(
                            f"input {uri}: holds {held}; ingest downloads a prefix whole, up to {MAX_OBJECTS} "
                            f"objects and {_size(MAX_BYTES)}: name a narrower prefix (one product's or frame's "
                            "folder) or the files themselves")
                if probe and not objects:
                    return None
        except InputValidationError:
            raise
        except Exception as exc:  # botocore raises many kinds
            code = _error_code(exc)
            if probe and code in ("AccessDenied", "403"):
                return None  # may read objects, not list them: fetched as one object
            if code == "NoSuchBucket":
                raise InputValidationError(f"input {uri}: bucket {bucket} does not exist") from exc
            raise ProcessingError(f"cannot list input {uri}: {exc}") from exc
        return objects

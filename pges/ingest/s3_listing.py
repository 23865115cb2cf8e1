"""Listing and downloading ``s3://`` inputs into a run's work folder, within the limits of one listing.

:class:`S3Listing` holds what every S3 read of a run shares: where objects land (``cache_dir/<bucket>/<key>``,
:meth:`pges.runner.RunContext.fetch`'s layout), the limits of one listing (``max_objects``, ``max_gib``: the
run-config's, from the settings ``SARLAKE_INGEST__MAX_OBJECTS`` and ``SARLAKE_INGEST__MAX_GIB``) and the refusal that
names the setting to raise, and the objects left out because no reader opens them. What to download for an
input (a prefix whole, one object's siblings, a coherence folder, a stack's files) is
:class:`pges.ingest.prefixes.Downloaded`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pges.errors import InputValidationError, ProcessingError
from pges.ingest.config import MAX_GIB, MAX_OBJECTS
from pges.readers.kinds import never_read
from pges.storage import s3_client

__all__ = ["S3Listing", "to_download"]

#: the setting that raises each limit (passed into the run-config by the application layer)
_SETTING = {"objects": "SARLAKE_INGEST__MAX_OBJECTS", "bytes": "SARLAKE_INGEST__MAX_GIB"}
_PARAMETER = {"objects": "max_objects", "bytes": "max_gib"}


def _size(n: float) -> str:
    return f"{n / 1024**3:.3g} GiB" if n >= 1024**3 else f"{n / 1024**2:.3g} MiB"


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def to_download(key: str) -> bool:
    """Whether an object under a prefix is downloaded: all but those no reader opens."""
    return never_read(Path(key)) is None


@dataclass
class S3Listing:
    """The S3 objects of one run, downloaded into ``cache_dir/<bucket>/<key>``, and the objects left out."""

    cache_dir: Path
    #: the most objects and GiB downloaded from one listing (the run-config's ``max_objects``, ``max_gib``)
    max_objects: int = MAX_OBJECTS
    max_gib: float = MAX_GIB
    #: the PGE whose inputs these are, as refusals name it (``ingest``, ``unwrap``)
    pge: str = "ingest"
    #: objects not downloaded, whose names say no reader opens them (:func:`pges.readers.kinds.never_read`): their
    #: local path had they been, kind and ``name``, as a folder's left-out files
    left: list[tuple[Path, str, str]] = field(default_factory=list)

    def origin(self, path: Path) -> str:
        """The ``s3://`` URI a file of ``cache_dir`` was downloaded from; any other path as it is."""
        if path.is_relative_to(self.cache_dir):
            return "s3://" + path.relative_to(self.cache_dir).as_posix()
        return str(path)

    def _get_tree(self, uri: str, bucket: str, prefix: str, objects: list[tuple[str, int]]) -> None:
        """Download the listed ``objects`` under ``prefix``, layout kept, but those no reader opens (counted)."""
        for name, _ in objects:
            dest = self._dest(uri, bucket, prefix, name)
            unread = never_read(dest)
            if unread is not None:  # a HyP3 product's DEM, amplitude, look vectors: counted, not downloaded
                self.left.append((dest, *unread))
                continue
            self._get(bucket, name, dest)

    def _fetch_folder(self, uri: str, bucket: str, folder: str, wanted: Callable[[str], bool], *, over: str,
                      probe: bool = True) -> tuple[int, int] | None:
        """List ``folder``'s own objects (not its subfolders) and download those whose name ``wanted`` takes.

        Returns:
            The objects listed and downloaded; None when ``probe`` and the folder may not be listed.
        """
        objects = self._list(uri, bucket, folder, probe=probe, delimit=True,
                             wanted=lambda key: wanted(key[len(folder):]), over=over)
        if objects is None:
            return None
        taken = [key for key, _ in objects if wanted(key[len(folder):])]
        for key in taken:
            self._get(bucket, key, self._dest(uri, bucket, folder, key))
        return len(objects), len(taken)

    def _dest(self, uri: str, bucket: str, prefix: str, name: str) -> Path:
        """Where object ``name`` of ``prefix`` is downloaded; refused when it would land outside the prefix's folder."""
        root = self.cache_dir / bucket / prefix
        dest = root / name[len(prefix):].lstrip("/")
        if not dest.resolve().is_relative_to(root.resolve()):
            raise InputValidationError(f"input {uri}: object {name!r} would download outside the prefix's "
                                       f"folder; name the objects to {self.pge}")
        return dest

    @staticmethod
    def _get(bucket: str, name: str, dest: Path) -> None:
        if dest.is_file():
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            s3_client().download_file(bucket, name, str(dest))
        except Exception as exc:  # botocore raises many kinds
            raise ProcessingError(f"cannot download s3://{bucket}/{name}: {exc}") from exc

    def _refusal(self, uri: str, over: str, by: str) -> InputValidationError:
        """The refusal of a listing over a limit: what, which limits, and the setting that raises the one passed."""
        max_bytes = self.max_gib * 1024**3
        held = f"more than {self.max_objects} objects" if by == "objects" else f"more than {_size(max_bytes)}"
        limits = f"{self.max_objects} objects and {_size(max_bytes)}"
        remedy = f"raise the limit with the setting {_SETTING[by]} (the {self.pge} run-config's {_PARAMETER[by]})"
        return InputValidationError(over.format(uri=uri, held=held, limits=limits, remedy=remedy, pge=self.pge))

    def _list(self, uri: str, bucket: str, prefix: str, *, wanted: Callable[[str], bool], over: str,
              probe: bool = False, delimit: bool = False) -> list[tuple[str, int]] | None:
        """The keys and sizes under ``prefix`` (no folder markers); None when ``probe`` finds none or may not list.

        ``probe``: ``uri`` may name one object (or may not be listed), and None says so. ``delimit``: the folder's own
        objects only, and only those ``wanted`` count against ``max_objects``; else every object does (the
        listing itself is bounded). The bytes of those ``wanted`` count against ``max_gib``.
        """
        objects: list[tuple[str, int]] = []
        count = total = 0
        try:
            pages = s3_client().get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=prefix, **({"Delimiter": "/"} if delimit else {}))
            for page in pages:
                contents = [o for o in page.get("Contents", []) if not o["Key"].endswith("/")]  # no "folder" markers
                for obj in contents:
                    objects.append((obj["Key"], int(obj.get("Size", 0))))
                    taken = wanted(obj["Key"])
                    count += 1 if taken or not delimit else 0
                    total += objects[-1][1] if taken else 0
                    if count > self.max_objects or total > self.max_gib * 1024**3:
                        raise self._refusal(uri, over, "objects" if count > self.max_objects else "bytes")
                if probe and not objects and not delimit:
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

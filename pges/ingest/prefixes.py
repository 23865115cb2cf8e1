"""S3 prefixes among ingest's inputs: ``s3://bucket/prefix/`` is read as the folder it stands for.

HyP3 and other services leave their results under a prefix, and a pod's inputs live there. Every object under
the prefix is downloaded into the run's work folder as ``inputs/<bucket>/<prefix>/...``, its layout kept (headers,
coherence, a LiCSAR frame's ``metadata/`` and zips stay where the readers look for them), and that folder is
expanded as a local one; objects whose names say no reader opens them (:func:`pges.readers.kinds.never_read`: DEMs,
amplitudes, look vectors) are only counted as left out. One ``s3://`` object is read with what a reader opens beside
it, downloaded from its folder (:meth:`Downloaded.beside`, :func:`pges.ingest.beside.read_beside`), an ISCE2 or
GMTSAR file (one, or those of a prefix) with what its reader looks for above its folder
(:mod:`pges.ingest.stack_files`: the run's XMLs, the stack's baselines), and a
``coherence_dirs`` prefix gives its coherence files only (:meth:`Downloaded.coherence_dir`). A listing that would
download more than ``max_objects`` objects or ``max_gib`` GiB (the run-config's, from the settings
``SARLAKE_INGEST__MAX_OBJECTS`` and ``SARLAKE_INGEST__MAX_GIB``; a prefix counts every object under it) is refused
before anything is downloaded. What is read from S3 is recorded as its ``s3://`` URI (provenance, left-out notes and
errors), never as the scratch copy, which is gone after the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pges.errors import InputValidationError, ProcessingError
from pges.ingest.beside import is_coherence, is_licsar_metadata, licsar_metadata_prefixes, read_beside
from pges.ingest.config import MAX_GIB, MAX_OBJECTS
from pges.ingest.stack_files import isce_metadata_candidates, stack_baseline_candidates, stack_format
from pges.readers.kinds import never_read
from pges.storage import is_s3, s3_client, split_s3

__all__ = ["Downloaded"]

logger = logging.getLogger(__name__)

#: the setting that raises each limit (passed into the run-config by the application layer)
_SETTING = {"objects": "SARLAKE_INGEST__MAX_OBJECTS", "bytes": "SARLAKE_INGEST__MAX_GIB"}
_PARAMETER = {"objects": "max_objects", "bytes": "max_gib"}


def _size(n: float) -> str:
    return f"{n / 1024**3:.3g} GiB" if n >= 1024**3 else f"{n / 1024**2:.3g} MiB"


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _to_download(key: str) -> bool:
    """Whether an object under a prefix is downloaded: all but those no reader opens."""
    return never_read(Path(key)) is None


@dataclass
class Downloaded:
    """The S3 objects of one run, downloaded into ``cache_dir/<bucket>/<key>``, and the objects left out.

    That is :meth:`pges.runner.RunContext.fetch`'s layout, so a file's S3 URI is its path under ``cache_dir``.
    """

    cache_dir: Path
    #: the most objects and GiB downloaded from one listing (the run-config's ``max_objects``, ``max_gib``)
    max_objects: int = MAX_OBJECTS
    max_gib: float = MAX_GIB
    #: the PGE whose inputs these are, as refusals name it (``ingest``, ``unwrap``)
    pge: str = "ingest"
    #: objects not downloaded, whose names say no reader opens them (:func:`pges.readers.kinds.never_read`): their
    #: local path had they been, kind and ``name``, as a folder's left-out files
    left: list[tuple[Path, str, str]] = field(default_factory=list)
    #: what a listing for stack-wide files took, by prefix (pairs of one stack share them: listed once per run)
    _stack_listed: dict[str, list[str]] = field(default_factory=dict)

    def origin(self, path: Path) -> str:
        """The ``s3://`` URI a file of ``cache_dir`` was downloaded from; any other path as it is."""
        if path.is_relative_to(self.cache_dir):
            return "s3://" + path.relative_to(self.cache_dir).as_posix()
        return str(path)

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
        prefix = key if key.endswith("/") or not key else key + "/"
        objects = self._list(uri, bucket, prefix, probe=prefix != key, wanted=_to_download,
                             over="input {uri}: holds {held}; {pge} downloads a prefix whole, up to {limits}: "
                             "name a narrower prefix (one product's or frame's folder) or the files themselves, or "
                             "{remedy}")
        if objects is None:
            return None
        if not objects:
            raise InputValidationError(f"input {uri}: no objects under this S3 prefix (check the bucket and prefix)")
        self._get_tree(uri, bucket, prefix, objects)
        done: set[str] = set()  # an ISCE2 or GMTSAR stack's files above the prefix, once per folder of its files
        for name, _ in objects:
            local = self.cache_dir / bucket / name
            if name.rpartition("/")[0] not in done and local.is_file() and (fmt := stack_format(local)):
                done.add(name.rpartition("/")[0])
                self._stack_files(uri, bucket, name, fmt, within=prefix)
        return self.cache_dir / bucket / prefix

    def _get_tree(self, uri: str, bucket: str, prefix: str, objects: list[tuple[str, int]]) -> None:
        """Download the listed ``objects`` under ``prefix``, layout kept, but those no reader opens (counted)."""
        for name, _ in objects:
            dest = self._dest(uri, bucket, prefix, name)
            unread = never_read(dest)
            if unread is not None:  # a HyP3 product's DEM, amplitude, look vectors: counted, not downloaded
                self.left.append((dest, *unread))
                continue
            self._get(bucket, name, dest)

    def beside(self, uri: str) -> bool:
        """Download what a reader opens beside the object ``uri`` from its folder (not its subfolders).

        A SNAP ``.dim`` is downloaded with its ``<stem>.data/`` folder (its bands), all but what no reader opens; a
        LiCSAR pair with its frame's E/N/U rasters, ``metadata.txt`` and ``baselines`` (``<frame>/metadata/``, or
        LiCSBAS's ``GEOC/`` above the pair's folder); an ISCE2 or GMTSAR file with its stack's baselines from above
        its folder (:mod:`pges.ingest.stack_files`).

        Returns:
            False when the folder may not be listed (the caller then fetches the usual headers by name).

        Raises:
            InputValidationError: more to download than the limits.
            ProcessingError: the listing or a download failed.
        """
        bucket, key = split_s3(uri)
        folder, _, name = key.rpartition("/")
        prefix = folder + "/" if folder else ""
        found = self._fetch_folder(uri, bucket, prefix, lambda sibling: read_beside(name, sibling),
                                   over="input {uri}: its folder holds {held} to download beside it (headers, "
                                   "coherence); {pge} downloads up to {limits} from one folder: {remedy}")
        if found is None:
            return False
        if name.lower().endswith(".dim"):  # SNAP's BEAM-DIMAP: its bands are the ENVI rasters of <stem>.data/
            data = f"{prefix}{name[:-4]}.data/"
            bands = self._list(uri, bucket, data, probe=True, wanted=_to_download,
                               over="input {uri}: its SNAP band folder holds {held}; {pge} downloads up to "
                               "{limits} from it: {remedy}")
            if bands:  # none: the reader says the .data folder is missing
                self._get_tree(uri, bucket, data, bands)
        for meta in licsar_metadata_prefixes(key):  # a LiCSAR pair: its frame's LOS rasters, metadata.txt, baselines
            self._fetch_folder(uri, bucket, meta, is_licsar_metadata,
                               over="input {uri}: its LiCSAR metadata folder holds {held}; {pge} downloads up to "
                               "{limits} from it: {remedy}")
        self._stack_files(uri, bucket, key, stack_format(self.cache_dir / bucket / key))
        return True

    def _stack_files(self, uri: str, bucket: str, key: str, fmt: str | None, within: str | None = None) -> None:
        """Download what an ISCE2 or GMTSAR object's reader looks for above its folder (pges.ingest.stack_files).

        That is the run's XMLs (ISCE2) and the stack's baselines (the nearest). ``within``: a prefix downloaded
        whole, whose folders are not listed again.
        """
        for prefix, wanted, own in isce_metadata_candidates(key) if fmt == "isce2" else []:
            if within is None or not prefix.startswith(within):
                self._fetch_listed(uri, bucket, prefix, wanted, own=own, what="the ISCE2 run's XMLs above it")
        for prefix, wanted in stack_baseline_candidates(key, fmt):
            if within is not None and prefix.startswith(within):
                found = (self.cache_dir / bucket / prefix).exists()
            else:
                found = self._fetch_listed(uri, bucket, prefix, wanted, own=False, what="its stack's baselines")
            if found:
                return

    def _fetch_listed(self, uri: str, bucket: str, prefix: str, wanted: Callable[[str], bool], *, own: bool,
                      what: str) -> bool:
        """List ``prefix`` (once per run) and download the keys ``wanted`` takes; whether there were any."""
        if prefix not in self._stack_listed:
            listed = self._list(uri, bucket, prefix, probe=True, delimit=own, wanted=wanted,
                                over=f"input {{uri}}: {what} hold {{held}}; {{pge}} downloads up to {{limits}} of "
                                "them: {remedy}")
            self._stack_listed[prefix] = [name for name, _ in listed or [] if wanted(name)]
        folder = prefix[:prefix.rfind("/") + 1]  # "a/reference" lists a/reference*/: its layout is under a/
        for name in self._stack_listed[prefix]:
            self._get(bucket, name, self._dest(uri, bucket, folder, name))
        return bool(self._stack_listed[prefix])

    def coherence_dir(self, uri: str) -> Path:
        """Download the coherence files of prefix ``uri`` (not its subfolders; by name) and return their folder.

        Raises:
            InputValidationError: no object under the prefix, or more coherence files than the limits.
            ProcessingError: the listing or a download failed.
        """
        bucket, key = split_s3(uri)
        prefix = key if key.endswith("/") or not key else key + "/"
        listed, fetched = self._fetch_folder(
            uri, bucket, prefix, is_coherence, probe=False,
            over="coherence folder {uri}: holds {held} of coherence files; {pge} downloads up to {limits} from one "
            "coherence folder: name a narrower prefix, or {remedy}") or (0, 0)
        if not listed:
            raise InputValidationError(f"coherence folder {uri}: no objects in this S3 folder, its subfolders not "
                                       "searched (check the bucket and prefix)")
        if not fetched:
            logger.warning("coherence folder %s holds no coherence file (by name)", uri)
        return self.cache_dir / bucket / prefix

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

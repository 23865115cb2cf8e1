"""S3 prefixes among ingest's inputs: ``s3://bucket/prefix/`` is read as the folder it stands for.

HyP3 and other services leave their results under a prefix, and a pod's inputs live there. Every object under
the prefix (or every one a run's ``Downloaded.keep`` takes by name: the unwrap PGE's pairs) is downloaded into the
run's work folder as ``inputs/<bucket>/<prefix>/...``, its layout kept (headers,
coherence, a LiCSAR frame's ``metadata/`` and zips stay where the readers look for them), and that folder is
expanded as a local one; objects whose names say no reader opens them (:func:`pges.readers.kinds.never_read`: DEMs,
amplitudes, look vectors) are only counted as left out. One ``s3://`` object is read with what a reader opens beside
it, downloaded from its folder (:meth:`Downloaded.beside`, :func:`pges.ingest.beside.read_beside`), an ISCE2 or
GMTSAR file (one, or those of a prefix) with what its reader looks for above its folder
(:mod:`pges.ingest.stack_files`: the run's XMLs, the stack's baselines), and a
``coherence_dirs`` prefix gives its coherence files only (:meth:`Downloaded.coherence_dir`). A listing that would
download more than ``max_objects`` objects or ``max_gib`` GiB (the run-config's, from the settings
``SARLAKE_INGEST__MAX_OBJECTS`` and ``SARLAKE_INGEST__MAX_GIB``; a prefix counts every object under it) is refused
before anything is downloaded (:mod:`pges.ingest.s3_listing`). What is read from S3 is recorded as its ``s3://``
URI (provenance, left-out notes and errors), never as the scratch copy, which is gone after the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pges.errors import InputValidationError
from pges.ingest.beside import is_coherence, is_licsar_metadata, licsar_metadata_prefixes, read_beside
from pges.ingest.s3_listing import S3Listing, to_download
from pges.ingest.stack_files import isce_metadata_candidates, stack_baseline_candidates, stack_format
from pges.storage import is_s3, split_s3

__all__ = ["Downloaded"]

logger = logging.getLogger(__name__)

@dataclass
class Downloaded(S3Listing):
    """The S3 objects of one run, downloaded into ``cache_dir/<bucket>/<key>``, and the objects left out.

    That is :meth:`pges.runner.RunContext.fetch`'s layout, so a file's S3 URI is its path under ``cache_dir``.
    """

    #: what a listing for stack-wide files took, by prefix (pairs of one stack share them: listed once per run)
    _stack_listed: dict[str, list[str]] = field(default_factory=dict)
    #: the objects of a prefix to download, by their keys under it (None: all a reader opens), e.g. those of the
    #: pairs asked for
    keep: Callable[[str], bool] | None = None
    #: the keys of prefixes that ``keep`` left out
    passed_over: list[str] = field(default_factory=list)

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
        chosen = self.keep or (lambda _: True)

        def keep(name: str) -> bool:  # judged by its name under the prefix: the prefix's own folders name no choice
            return chosen(name[len(prefix):])

        whole = "a prefix whole" if self.keep is None else "what a prefix holds of the pairs asked for"
        objects = self._list(uri, bucket, prefix, probe=prefix != key, wanted=lambda k: to_download(k) and keep(k),
                             over="input {uri}: holds {held}; {pge} downloads " + whole + ", up to {limits}: "
                             "name a narrower prefix (one product's or frame's folder) or the files themselves, or "
                             "{remedy}")
        if objects is None:
            return None
        if not objects:
            raise InputValidationError(f"input {uri}: no objects under this S3 prefix (check the bucket and prefix)")
        taken = [(name, size, keep(name)) for name, size in objects]
        self.passed_over += [f"s3://{bucket}/{name}" for name, _, kept in taken if not kept]
        objects = [(name, size) for name, size, kept in taken if kept]
        if not objects:
            raise InputValidationError(f"input {uri}: each of its objects is named after a pair of dates not asked "
                                       f"for (e.g. {self.passed_over[-1]}): check the pairs")
        self._get_tree(uri, bucket, prefix, objects)
        done: set[str] = set()  # an ISCE2 or GMTSAR stack's files above the prefix, once per folder of its files
        for name, _ in objects:
            local = self.cache_dir / bucket / name
            if name.rpartition("/")[0] not in done and local.is_file() and (fmt := stack_format(local)):
                done.add(name.rpartition("/")[0])
                self._stack_files(uri, bucket, name, fmt, within=prefix)
        return self.cache_dir / bucket / prefix

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
            bands = self._list(uri, bucket, data, probe=True, wanted=to_download,
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

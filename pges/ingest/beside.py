"""Which objects of an S3 "folder" ingest downloads beside one object, or from a coherence prefix, by name alone.

A local interferogram is read with what lies beside it: its header or parameter file (ROI_PAC's ``.rsc``, GAMMA's
``.par``, ISCE2's ``.xml``/``.vrt``, HyP3's ``<base>.txt``), its coherence (by name or by its dates,
:mod:`pges.readers.coherence`) and connected components. An ``s3://`` object is read the same way once those
siblings are downloaded next to it (:meth:`pges.ingest.prefixes.Downloaded.beside`); the folder's other
interferograms and what no reader opens (DEMs, amplitudes, look vectors: :func:`pges.readers.kinds.never_read`),
browse images and documents are not, nor is a sibling whose name holds another pair of dates than the object's (the
coherence of another pair in a folder of many).
"""

from __future__ import annotations

import re
from datetime import date

from pges.errors import InputValidationError
from pges.readers import dates_from_name
from pges.readers.kinds import kind_by_name

__all__ = ["is_coherence", "is_licsar_metadata", "licsar_metadata_prefixes", "read_beside"]

#: the kinds of file a reader may open beside an interferogram
_BESIDE = ("header", "coherence", "conncomp")
#: a LiCSAR frame's metadata the LiCSAR reader opens (:mod:`pges.readers.licsar`): LOS rasters, metadata.txt, baselines
_LICSAR_METADATA = re.compile(r"(\.geo\.[enu]\.tif|^metadata\.txt|^baselines)$", re.IGNORECASE)
#: side files by name that no reader opens: browse images, documents, logs, overviews
_NOT_READ = (".png", ".jpg", ".jpeg", ".kml", ".kmz", ".pdf", ".ps", ".md", ".log", ".ovr", ".csv", ".npy", ".cpt")


def _dates(name: str) -> frozenset[date] | None:
    try:
        found = dates_from_name(name)
    except InputValidationError:  # digits that are no dates: the name gives none
        return None
    return frozenset(found) if found else None


def read_beside(name: str, sibling: str) -> bool:
    """Whether a reader may open the file ``sibling`` when reading the interferogram ``name`` beside it.

    Both are names in one folder (an S3 key's last part). A header, coherence or connected-components file is,
    unless it is a browse image or document, or its name holds another pair of dates than ``name``'s.
    """
    if sibling == name:
        return False
    if kind_by_name(sibling) not in _BESIDE or sibling.lower().endswith(_NOT_READ):
        return False
    ours, theirs = _dates(name), _dates(sibling)
    return ours is None or theirs is None or ours == theirs


def is_coherence(name: str) -> bool:
    """Whether the file ``name`` is coherence by its name, or the header beside one (``x.cor`` -> ``x.cor.rsc``)."""
    kind = kind_by_name(name)
    return kind == "coherence" or (kind == "header" and kind_by_name(name.rsplit(".", 1)[0]) == "coherence")


def is_licsar_metadata(name: str) -> bool:
    """Whether ``name`` is LiCSAR frame metadata its reader opens: ``.geo.E/N/U.tif``, metadata.txt, baselines."""
    return _LICSAR_METADATA.search(name) is not None


def licsar_metadata_prefixes(key: str) -> list[str]:
    """The S3 "folders" where a LiCSAR pair ``key`` may have its frame's metadata; none for any other name.

    ``key`` is ``.../<frame>/interferograms/<pair>/<pair>.geo.unw.tif``; the folders are those
    :func:`pges.readers.licsar.metadata_folders` looks in locally: the frame's ``metadata/`` (the portal) and the
    pairs' folder (LiCSBAS's ``GEOC/``).
    """
    if not key.lower().endswith(".geo.unw.tif"):
        return []
    pair_dir = key.rpartition("/")[0]
    if not pair_dir:  # no pair folder: nothing above it to look in
        return []
    pairs_dir = pair_dir.rpartition("/")[0]
    frame_dir = pairs_dir.rpartition("/")[0]
    return [f"{frame_dir}/metadata/" if frame_dir else "metadata/", f"{pairs_dir}/" if pairs_dir else ""]

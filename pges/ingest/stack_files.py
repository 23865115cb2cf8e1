"""Where a stack processor's run-wide files lie above an interferogram on S3, for ingest to download them.

ISCE2 and GMTSAR write some of what a pair's reader needs once for the whole run or stack, in folders above the
pair's own, and the readers look for it from the interferogram's folder up. An ``s3://`` object is read from a copy
of its S3 layout (:class:`pges.ingest.prefixes.Downloaded`), so those files must be downloaded to the same place in
the copy, or the product is refused for want of a wavelength, or catalogued without the baseline its stack gives:

* ISCE2 (an ``.xml`` or ``.vrt`` beside the object):
  - the run's XMLs, where :func:`pges.readers.isce.isce_wavelength_meta` finds the radar wavelength
    (``topsProc.xml``, ``reference/IW1.xml``): the ``.xml`` objects of the two folders above the object's, and of
    the ``reference*/`` folders in those and in its own;
  - the stack's ``baselines/`` (:mod:`pges.readers.stack_baselines`): that of the nearest of the four folders from
    the object's up that has one, its files and those one folder down (topsStack's ``<ref>_<sec>/``);
* GMTSAR (a ``.grd`` or ``.nc`` grid): ``baseline_table.dat`` or ``raw/baseline_table.dat`` of the nearest of the
  three folders from the object's up.

Each candidate is one S3 listing; the baselines' search stops at the first that holds something.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path

__all__ = ["isce_metadata_candidates", "stack_baseline_candidates", "stack_format"]

#: how many folders, from the object's own up, the readers search (pges.readers.stack_baselines, .isce)
_ISCE_LEVELS, _GMTSAR_LEVELS, _ISCE_XML_LEVELS = 4, 3, 3
#: an ISCE2 reference's XMLs below a folder (``reference/IW1.xml``, ``referencedir/...``): relative to the folder
_REFERENCE_XML = re.compile(r"^reference[^/]*/[^/]+\.xml$", re.IGNORECASE)


def stack_format(local: Path) -> str | None:
    """``isce2`` or ``gmtsar`` when the downloaded object ``local`` (its siblings beside it) is read so; else None.

    A file whose name says what it is (a header, coherence, a DEM: :func:`pges.readers.kinds.kind_by_name`) is no
    interferogram and is not looked at further: a prefix of many products asks this of each of its files.
    """
    from pges.errors import InputValidationError
    from pges.readers import detect_format
    from pges.readers.kinds import kind_by_name

    if kind_by_name(local) is not None:
        return None
    try:
        fmt = detect_format(local)
    except InputValidationError:  # no reader: the read that follows says so
        return None
    return fmt if fmt in ("isce2", "gmtsar") else None


def _folders(key: str, levels: int) -> list[str]:
    """The S3 "folders" (``a/b/``, ``a/``, ``""`` for the bucket) from ``key``'s own up, at most ``levels``."""
    parts = key.split("/")[:-1]
    return [("/".join(parts[:n]) + "/") if n else "" for n in range(len(parts), -1, -1)][:levels]


def stack_baseline_candidates(key: str, fmt: str | None) -> list[tuple[str, Callable[[str], bool]]]:
    """The prefixes to list, nearest first, and which of their keys to download, for the object ``key``.

    Args:
        key: the object's key in its bucket.
        fmt: its format (:func:`stack_format`); none but ``isce2`` and ``gmtsar`` have stack-wide baselines.
    """
    if fmt == "isce2":
        prefixes = [f"{folder}baselines/" for folder in _folders(key, _ISCE_LEVELS)]
        return [(prefix, partial(_baseline_file, prefix)) for prefix in prefixes]
    if fmt == "gmtsar":
        tables = [f"{folder}{sub}baseline_table.dat" for folder in _folders(key, _GMTSAR_LEVELS)
                  for sub in ("", "raw/")]
        return [(table, partial(str.__eq__, table)) for table in tables]
    return []


def isce_metadata_candidates(key: str) -> list[tuple[str, Callable[[str], bool], bool]]:
    """The prefixes to list for an ISCE2 object's run XMLs, with which of their keys to download.

    The third value says whether the listing is of the folder's own objects only (the ``.xml`` of the folders
    above) or goes down (``reference*/``).
    """
    out: list[tuple[str, Callable[[str], bool], bool]] = []
    for n, folder in enumerate(_folders(key, _ISCE_XML_LEVELS)):
        if n:  # the object's own folder's XMLs came with it (read beside it)
            out.append((folder, partial(_own_xml, folder), True))
        out.append((f"{folder}reference", partial(_reference_xml, folder), False))
    return out


def _baseline_file(prefix: str, key: str) -> bool:
    """A ``.txt`` in the ``baselines/`` folder ``prefix`` or one folder down."""
    return key[len(prefix):].count("/") <= 1 and key.lower().endswith(".txt")


def _own_xml(folder: str, key: str) -> bool:
    return "/" not in key[len(folder):] and key.lower().endswith(".xml")


def _reference_xml(folder: str, key: str) -> bool:
    return _REFERENCE_XML.match(key[len(folder):]) is not None

"""``qa score`` on ``s3://`` objects: each downloaded with what its reader opens beside it, read, named by its URI.

The rules are ingest's (:func:`pges.ingest.inputs.fetch_object`): a ROI_PAC ``.unw`` comes with its ``.rsc``, a
SNAP ``.dim`` with its ``.data/`` bands, an ISCE2 file with its ``.xml``/``.vrt``, a product with the coherence beside
it; a ``--coherence`` or ``--dem`` object comes alone. The copies live in a scratch folder only while the product is
read: what is scored is in memory, and the records name the objects, not the copies.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from pges.ingest.config import MAX_GIB, MAX_OBJECTS
from pges.ingest.inputs import fetch_object
from pges.ingest.prefixes import Downloaded
from pges.qa.any_format import read_inputs
from pges.qa.score import ProductInputs
from pges.readers.los_sign import LosSign
from pges.storage import fetch_input, is_s3

__all__ = ["read_any"]


def read_any(unw: str, coherence: str | None = None, dem: str | None = None, *, los_sign: LosSign | None = None,
             max_objects: int = MAX_OBJECTS, max_gib: float = MAX_GIB) -> list[ProductInputs]:
    """:func:`pges.qa.any_format.read_inputs` of local paths or ``s3://`` objects (any of the three).

    Args:
        unw: the product (any format ingest reads), a path or an ``s3://`` object.
        coherence: its coherence, a path or an object.
        dem: its DEM heights, a path or an object.
        los_sign: ``--los-sign`` (:mod:`pges.readers.los_sign`).
        max_objects: the most objects downloaded from the product's S3 folder (ingest's ``SARLAKE_INGEST__*``).
        max_gib: the most GiB downloaded from it.

    Raises:
        InputValidationError: an object that does not exist, a folder over the limits, or a file the readers
            refuse (named).
        ProcessingError: a download failed.
    """
    if not any(is_s3(uri) for uri in (unw, coherence or "", dem or "")):
        return read_inputs(unw, coherence, dem, los_sign=los_sign)
    with tempfile.TemporaryDirectory(prefix="sarlake-qa-score-") as tmp:
        cache = Path(tmp)
        local = str(fetch_object(unw, Downloaded(cache, max_objects, max_gib, pge="qa score"))) if is_s3(unw) else unw
        layers = [str(fetch_input(uri, cache)) if uri and is_s3(uri) else uri for uri in (coherence, dem)]
        products = read_inputs(local, *layers, los_sign=los_sign)
    return [dataclasses.replace(p, name=unw + p.name.removeprefix(local), extra=_by_uri(p.extra, unw, local))
            for p in products]


def _by_uri(extra: dict, unw: str, local: str) -> dict:
    """``extra`` with a coherence found beside the scratch copy of ``unw`` named as the object beside ``unw``."""
    found = extra.get("coherence_found")
    if not found or not is_s3(unw) or Path(found).parent != Path(local).parent:
        return extra
    return {**extra, "coherence_found": f"{unw.rpartition('/')[0]}/{Path(found).name}"}

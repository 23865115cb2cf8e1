"""Which files of an L2 interferogram the QA features read, found from its met.json.

A product in a local folder is read where it is (:func:`pges.qa.score.read_product_folder`). A product on S3 (a
hot lake on S3, a DAAC bucket) has no folder here: its met.json lists its assets, and only the five rasters QA
reads are fetched, under the names ``read_product_folder`` expects; amplitude, displacement and browse are not.
Both the ``qa`` PGE and the application layer (:mod:`sarlake.workflows.qa_inputs`) find the files this way.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pges.errors import InputValidationError
from pges.storage import local_path

__all__ = ["QA_ASSETS", "gather_product", "qa_asset_uris"]

#: met.json asset key -> the file name :func:`pges.qa.score.read_product_folder` reads
QA_ASSETS = {
    "unwrapped_phase": "unwrapped_phase.tif",
    "coherence": "coherence.tif",
    "wrapped_phase": "wrapped_phase.tif",
    "connected_components": "connected_components.tif",
    "dem": "dem.tif",
}


def qa_asset_uris(document: Any, met_uri: str) -> dict[str, str]:
    """Asset key -> URI of each QA raster a met.json lists (relative hrefs resolved against the met.json's URI).

    Raises:
        InputValidationError: naming ``met_uri``: the document lists no ``unwrapped_phase`` (not an L2
            interferogram), or an asset without ``href``.
    """
    assets = document.get("assets") if isinstance(document, dict) else None
    if not isinstance(assets, dict) or "unwrapped_phase" not in assets:
        raise InputValidationError(f"{met_uri}: no unwrapped_phase asset (not an L2 interferogram)")
    uris = {}
    for key in QA_ASSETS:
        if key not in assets:
            continue
        href = assets[key].get("href") if isinstance(assets[key], dict) else None
        if not isinstance(href, str) or not href:
            raise InputValidationError(f"{met_uri}: asset {key!r} has no href")
        uris[key] = href if "://" in href or href.startswith("/") else posixpath.join(posixpath.dirname(met_uri),
                                                                                       href)
    return uris


def gather_product(met_uri: str, fetch: Callable[[str], Path], dest: Path) -> tuple[Path, str, str | None]:
    """A local folder holding the product's QA rasters under their standard names.

    Args:
        met_uri: the product's met.json (a path, ``file://`` or ``s3://`` URI).
        fetch: returns a local path for a URI (a PGE's ``RunContext.fetch``): a local file is its own path.
        dest: an empty folder for links to the fetched files; used only when the product has no local folder.

    Returns:
        The folder, the URI of the unwrapped phase the features read, and the product's id (met.json ``id``).

    Raises:
        InputValidationError: naming the met.json or the file: missing, not JSON, no unwrapped phase, an asset
            without href, or a listed file that is not there.
    """
    met = fetch(met_uri)
    try:
        document = json.loads(met.read_text())
    except ValueError as exc:  # UnicodeDecodeError is a ValueError
        raise InputValidationError(f"{met_uri}: not a JSON document ({exc})") from exc
    uris = qa_asset_uris(document, met_uri)
    item_id = document.get("id") if isinstance(document.get("id"), str) else None
    if local_path(met_uri) is not None:
        return met.parent, str(met.parent / QA_ASSETS["unwrapped_phase"]), item_id
    dest.mkdir(parents=True, exist_ok=True)
    for key, uri in uris.items():
        try:
            local = fetch(uri)
        except InputValidationError as exc:
            raise InputValidationError(f"{uri}: listed in {met_uri} but not there ({exc})") from exc
        link = dest / QA_ASSETS[key]
        link.unlink(missing_ok=True)
        link.symlink_to(local.resolve())
    return dest, uris["unwrapped_phase"], item_id

"""Where QA reads a catalogued interferogram's files: its folder on disk, or a local copy of what is on S3.

The QA features read five rasters of an L2 interferogram folder (:func:`pges.qa.score.read_product_folder`).
A product of a hot lake on S3, or one rolled to a DAAC bucket, has no folder on this machine: its met.json lists
its assets, and the ones QA reads are copied into a scratch folder under their standard names, the others
(amplitude, displacement, browse) are not downloaded.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pges.qa.inputs import QA_ASSETS, qa_asset_uris

if TYPE_CHECKING:
    from pges.errors import InputValidationError
    from pges.qa.score import ProductInputs

__all__ = ["FETCH_THREADS", "QA_ASSETS", "met_location", "product_folder", "read_products"]


def met_location(uri: str | None, met_uri: str | None) -> str:
    """The met.json of a catalogued product: its ``met_uri``, else ``<uri>/<name>.met.json``."""
    return met_uri or posixpath.join(uri or "", f"{posixpath.basename((uri or '').rstrip('/'))}.met.json")


def product_folder(uri: str | None, met_uri: str | None, scratch: Path, settings: Any) -> tuple[Path, str]:
    """A local folder with the product's QA rasters (its own folder when local, else a copy in ``scratch``).

    Args:
        uri: the product's ``uri`` (its folder or prefix).
        met_uri: its met.json.
        scratch: an empty folder for the copies of a remote product.
        settings: the lake settings (S3 endpoint and credentials).

    Returns:
        The folder, and where the unwrapped phase the features read comes from (a path or URI).

    Raises:
        InputValidationError: the product has no location, its met.json is missing or not a met.json, or its
            unwrapped phase is missing.
    """
    from lake.settings import is_remote
    from lake.storage import local_path, read_bytes, read_json
    from pges.errors import InputValidationError

    if not (uri or met_uri):
        raise InputValidationError("the product has neither uri nor met_uri")
    if not is_remote(uri or met_uri or ""):
        folder = local_path(uri) if uri else local_path(met_uri or "").parent
        return folder, str(folder / QA_ASSETS["unwrapped_phase"])
    met = met_location(uri, met_uri)
    try:
        document = read_json(met, settings)
    except FileNotFoundError as exc:
        raise InputValidationError(f"{met}: no met.json there (the product's files are gone)") from exc
    except ValueError as exc:  # json.JSONDecodeError, or bytes that are not text
        raise InputValidationError(f"{met}: not a JSON document ({exc})") from exc
    sources = qa_asset_uris(document, met)
    scratch.mkdir(parents=True, exist_ok=True)
    for key, source in sources.items():
        try:
            (scratch / QA_ASSETS[key]).write_bytes(read_bytes(source, settings))
        except FileNotFoundError as exc:
            raise InputValidationError(f"{source}: listed in {met} but not there") from exc
    return scratch, sources["unwrapped_phase"]


#: products fetched and read at the same time by :func:`read_products` (S3 reads wait on the network)
FETCH_THREADS = 8


def read_products(rows: list[tuple[str, str | None, str | None]], scratch: Path,
                  settings: Any) -> dict[str, tuple[ProductInputs, str] | InputValidationError]:
    """The QA inputs of each ``(product_id, uri, met_uri)``, :data:`FETCH_THREADS` products at a time.

    Each product goes through :func:`product_folder` and :func:`pges.qa.score.read_product_folder`; a remote
    product's copies are removed once read.

    Returns:
        product id -> ``(its rasters, where the unwrapped phase comes from)``, or the ``InputValidationError`` that
        product raised (the others are still read), in the order of ``rows``.
    """
    import shutil
    from concurrent.futures import ThreadPoolExecutor

    from pges.errors import InputValidationError
    from pges.qa.score import read_product_folder

    def one(row: tuple[str, str | None, str | None]) -> tuple[ProductInputs, str] | InputValidationError:
        try:
            folder, unw = product_folder(row[1], row[2], scratch / row[0], settings)
            return read_product_folder(folder, name=row[0]), unw
        except InputValidationError as exc:
            return exc
        finally:
            shutil.rmtree(scratch / row[0], ignore_errors=True)

    with ThreadPoolExecutor(max_workers=FETCH_THREADS) as pool:
        return dict(zip((r[0] for r in rows), pool.map(one, rows), strict=True))

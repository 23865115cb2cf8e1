"""Ingest -> catalogue: external interferograms become L2_IFG products in the lake."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

__all__ = ["ingest_and_catalogue"]


def ingest_and_catalogue(paths: list[str], output_dir: str | None = None, aoi: str | None = None,
                         **params: Any) -> tuple[str, list[str]]:
    """Read, check and publish external interferograms with the ingest PGE code, then catalogue them.

    Every input is read and checked before anything is published; if any is bad, nothing is catalogued.

    Args:
        paths: interferogram files (GeoTIFF, ROI_PAC ``.unw``, GAMMA).
        output_dir: where the products go; default ``<products_root>/L2_IFG/<aoi or 'ingested'>``.
        aoi: AOI the products belong to.
        **params: further ingest parameters (``mission``, ``track``, ``wavelength_m``, ``coherence``, ...).

    Returns:
        The output folder and the catalogued product ids.
    """
    from lake.catalogue import catalogue_products
    from lake.settings import get_settings
    from pges.ingest import ingest as run_ingest

    settings = get_settings()
    if aoi is not None:
        params["aoi"] = aoi
    target = output_dir or f"{settings.products_root.rstrip('/')}/L2_IFG/{aoi or 'ingested'}"
    run_id = f"manual__ingest__{datetime.now(UTC):%Y%m%dT%H%M%S}"
    met_uris = [str(m) for m in run_ingest(list(paths), target, run_id=run_id, **params)]
    ids = catalogue_products(met_uris, {"run_id": run_id, "task_id": "ingest", "runner": "local"})
    return target, ids

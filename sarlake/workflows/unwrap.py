"""Unwrap -> catalogue: wrapped interferograms other processors formed become L2_IFG products in the lake."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

__all__ = ["unwrap_and_catalogue"]


def unwrap_and_catalogue(paths: list[str], output_dir: str | None = None, aoi: str | None = None,
                         **params: Any) -> tuple[str, list[str], list[dict[str, Any]]]:
    """Run the ``unwrap`` PGE on wrapped interferograms and catalogue the products.

    Args:
        paths: wrapped interferograms (any format the readers take), local files or ``s3://`` objects.
        output_dir: default ``<products_root>/L2_IFG/<aoi or 'unwrapped'>``.
        aoi: AOI the products belong to (must exist).
        **params: unwrap PGE parameters (``looks_range``, ``looks_azimuth``, ``unwrap``, ``coherence``, ...);
            ``max_objects`` and ``max_gib``, how much one S3 listing may download, come from the settings
            (``SARLAKE_INGEST__*``).

    Returns:
        The output folder, the catalogued product ids, and the PGE's product records.

    Raises:
        CatalogError: the lake was never initialised (``sarlake init``): refused before any input is read.
        InvalidAOIError: unknown AOI.
        InputValidationError: bad input or parameters (nothing published).
    """
    from lake.catalog import require_lake
    from lake.catalogue import catalogue_products
    from lake.settings import get_settings
    from sarlake.workflows.ingest import aoi_polygon
    from sarlake.workflows.pge import run_pge

    settings = get_settings()
    require_lake(settings)  # before hours of unwrapping whose products could not be catalogued
    if aoi is not None:
        params["aoi_wkt"] = aoi_polygon(aoi)  # refuses an unknown AOI before any work
        params["aoi"] = aoi
    params = {"max_objects": settings.ingest.max_objects, "max_gib": settings.ingest.max_gib, **params}
    target = output_dir or f"{settings.products_root.rstrip('/')}/L2_IFG/{aoi or 'unwrapped'}"
    run_id = f"manual__unwrap__{datetime.now(UTC):%Y%m%dT%H%M%S}"
    result = run_pge("unwrap", {"pge": "unwrap", "run_id": run_id, "inputs": [str(p) for p in paths],
                                "output_dir": target, "parameters": params})
    ids = catalogue_products([p["met_uri"] for p in result["products"]],
                             {"run_id": run_id, "task_id": "unwrap", "runner": "local"})
    return target, ids, result["products"]

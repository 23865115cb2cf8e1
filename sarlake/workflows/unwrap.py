"""Unwrap -> catalogue: wrapped interferograms other processors formed become L2_IFG products in the lake.

``sarlake unwrap`` and the ``unwrap`` DAG make the same run-config (:func:`unwrap_run_config`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

__all__ = ["unwrap_and_catalogue", "unwrap_run_config"]


def unwrap_run_config(paths: list[str], aoi: str | None = None, output_dir: str | None = None,
                      run_id: str | None = None, what: str = "--aoi", **params: Any) -> dict[str, Any]:
    """The ``unwrap`` PGE's run-config: the same for ``sarlake unwrap`` and the ``unwrap`` DAG.

    Args:
        paths: wrapped interferograms (any format the readers take), folders, ``s3://`` objects or prefixes.
        aoi: AOI the products belong to: must exist; its polygon goes in as ``aoi_wkt``.
        output_dir: default ``<products_root>/L2_IFG/<aoi or 'unwrapped'>``.
        run_id: the run recorded in provenance (the DAG run's); default ``manual__unwrap__<UTC time>``.
        what: how a refused AOI is named in the message (``--aoi`` for the CLI, ``aoi`` for the DAG form).
        **params: unwrap PGE parameters (``looks_range``, ``looks_azimuth``, ``unwrap``, ``coherence``, ...);
            ``max_objects`` and ``max_gib``, how much one S3 listing may download, come from the settings
            (``SARLAKE_INGEST__*``).

    Raises:
        CatalogError: the lake was never initialised (``sarlake init``): refused before any input is read.
        InvalidNameError: ``aoi`` breaks the naming rule of :mod:`lake.names`.
        InvalidAOIError: ``aoi`` is not in the lake.
    """
    from lake.aoi import require_aoi
    from lake.catalog import require_lake
    from lake.names import join_under
    from lake.settings import get_settings
    from sarlake.workflows.ingest import aoi_polygon

    settings = get_settings()
    require_lake(settings)  # before hours of unwrapping whose products could not be catalogued
    if aoi is not None:
        require_aoi(aoi, settings, what=what)
        params["aoi_wkt"] = aoi_polygon(aoi)  # refuses an unknown AOI before any work
        params["aoi"] = aoi
    params = {"max_objects": settings.ingest.max_objects, "max_gib": settings.ingest.max_gib, **params}
    target = output_dir or join_under(settings.products_root, "L2_IFG", aoi or "unwrapped", what="output folder")
    run_id = run_id or f"manual__unwrap__{datetime.now(UTC):%Y%m%dT%H%M%S}"
    return {"pge": "unwrap", "run_id": run_id, "inputs": [str(p) for p in paths], "output_dir": target,
            "parameters": params}


def unwrap_and_catalogue(paths: list[str], output_dir: str | None = None, aoi: str | None = None,
                         **params: Any) -> tuple[str, list[str], list[dict[str, Any]]]:
    """Run the ``unwrap`` PGE on wrapped interferograms and catalogue the products.

    Args:
        paths: wrapped interferograms (any format the readers take), local files or ``s3://`` objects.
        output_dir: default ``<products_root>/L2_IFG/<aoi or 'unwrapped'>``.
        aoi: AOI the products belong to (must exist).
        **params: unwrap PGE parameters (see :func:`unwrap_run_config`).

    Returns:
        The output folder, the catalogued product ids, and the PGE's product records.

    Raises:
        CatalogError: the lake was never initialised (``sarlake init``): refused before any input is read.
        InvalidAOIError: unknown AOI.
        InputValidationError: bad input or parameters (nothing published).
    """
    from lake.catalogue import catalogue_products
    from sarlake.workflows.pge import run_pge

    config = unwrap_run_config(paths, aoi, output_dir, **params)
    result = run_pge("unwrap", config)
    ids = catalogue_products([p["met_uri"] for p in result["products"]],
                             {"run_id": config["run_id"], "task_id": "unwrap", "runner": "local"})
    return config["output_dir"], ids, result["products"]

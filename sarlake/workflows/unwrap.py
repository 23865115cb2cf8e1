"""Unwrap -> catalogue: wrapped interferograms other processors formed become L2_IFG products in the lake.

``sarlake unwrap`` and the ``unwrap`` DAG make the same run-config (:func:`unwrap_run_config`).
"""

from __future__ import annotations

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
        **params: unwrap PGE parameters (``looks_range``, ``looks_azimuth``, ``unwrap``, ``coherence``, ...).

    Raises:
        As :func:`sarlake.workflows.ingest.external_run_config`.
    """
    from sarlake.workflows.ingest import external_run_config

    return external_run_config("unwrap", paths, aoi, output_dir, run_id, what, **params)


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
    from sarlake.workflows.pge import kept_ids, run_pge

    config = unwrap_run_config(paths, aoi, output_dir, **params)
    result = run_pge("unwrap", config)
    ids = catalogue_products([p["met_uri"] for p in result["products"]],
                             {"run_id": config["run_id"], "task_id": "unwrap", "runner": "local"},
                             kept=kept_ids([result]))
    return config["output_dir"], ids, result["products"]

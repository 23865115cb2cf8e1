"""Select good interferograms -> time series PGE -> catalogue the L3 product."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

__all__ = ["select_interferograms", "timeseries_for_aoi"]


def select_interferograms(aoi: str, max_p_error: float, include_quarantined: bool = False) -> list[str]:
    """Return the met.json URIs of the AOI's usable L2 interferograms, oldest pair first.

    Usable means a QA p(error) below ``max_p_error`` (products not yet scored are used) and, unless
    ``include_quarantined``, not quarantined by the data-quality gate.
    """
    from lake.query import connect

    rows = connect().execute(
        "SELECT met_uri FROM products WHERE product_type = 'L2_IFG' AND aoi = ? "
        "AND (p_error IS NULL OR p_error < ?) AND (? OR coalesce(status, '') <> 'quarantined') "
        "ORDER BY secondary_date, reference_date",
        [aoi, max_p_error, include_quarantined],
    ).fetchall()
    return [r[0] for r in rows]


def timeseries_for_aoi(aoi: str, max_p_error: float = 0.5, include_quarantined: bool = False,
                       parameters: dict[str, Any] | None = None) -> tuple[list[str], list[str], int]:
    """Make and catalogue an L3 time series for ``aoi`` from its good interferograms.

    Returns:
        The catalogued product ids, the met.json URIs written, and the number of interferograms used.

    Raises:
        LakeError: fewer than two usable interferograms.
    """
    from lake.catalogue import catalogue_products
    from lake.exceptions import LakeError
    from lake.settings import get_settings
    from sarlake.workflows.pge import run_pge

    settings = get_settings()
    inputs = select_interferograms(aoi, max_p_error, include_quarantined)
    if len(inputs) < 2:
        raise LakeError(f"AOI {aoi!r} has {len(inputs)} usable interferogram(s); a time series needs at least 2 "
                        "(run the forward DAG or `sarlake ingest` first)")
    params: dict[str, Any] = {"aoi": aoi, **(parameters or {})}
    run_id = f"manual__timeseries__{datetime.now(UTC):%Y%m%dT%H%M%S}"
    result = run_pge("timeseries", {
        "pge": "timeseries", "run_id": run_id, "inputs": inputs,
        "output_dir": f"{settings.products_root.rstrip('/')}/L3_TS/{aoi}", "parameters": params,
    })
    met_uris = [p["met_uri"] for p in result["products"]]
    ids = catalogue_products(met_uris, {"run_id": run_id, "task_id": "timeseries", "runner": "local"})
    return ids, met_uris, len(inputs)

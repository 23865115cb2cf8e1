"""Ingest -> catalogue: external interferograms become L2_IFG products in the lake.

The AOI, when named, must exist in the lake; its polygon goes to the ingest PGE, which refuses inputs whose
footprint does not overlap it. Every input is read and checked before anything is published; one bad input
publishes and catalogues nothing unless ``skip_bad`` (then it is left out and reported).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["IngestReport", "aoi_polygon", "ingest_and_catalogue"]


@dataclass
class IngestReport:
    """What an ingest did: where, which products, which inputs were left out (skip_bad) and why."""

    target: str
    ids: list[str]
    rejected: list[dict[str, str]] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # already published and not replaced
    left_out: list[dict[str, str]] = field(default_factory=list)  # a folder's files read as other rasters

    def __iter__(self):  # type: ignore[no-untyped-def]
        """Unpack as ``target, ids`` (the earlier return value)."""
        return iter((self.target, self.ids))


def aoi_polygon(aoi: str) -> str:
    """The WKT polygon of a stored AOI.

    Raises:
        InvalidAOIError: the name breaks the AOI name rule or no such AOI is stored.
    """
    from lake.aoi import get_aoi
    from lake.exceptions import InvalidAOIError

    stored = get_aoi(aoi)
    if stored is None:
        raise InvalidAOIError(f"unknown AOI {aoi!r}: add it with `sarlake aoi add {aoi} --bbox W S E N` "
                              "(see `sarlake aoi list`)")
    return stored.geometry_wkt


def ingest_and_catalogue(paths: list[str], output_dir: str | None = None, aoi: str | None = None,
                         **params: Any) -> IngestReport:
    """Read, check and publish external interferograms with the ingest PGE, then catalogue them.

    Args:
        paths: interferogram files or folders (GeoTIFF, ROI_PAC, GAMMA, ISCE2, GMTSAR, MintPy stacks).
        output_dir: where the products go; default ``<products_root>/L2_IFG/<aoi or 'ingested'>``.
        aoi: AOI the products belong to (must exist; footprints must overlap it).
        **params: further ingest parameters (``mission``, ``track``, ``wavelength_m``, ``coherence``,
            ``overwrite`` (``--replace``), ``skip_bad``, ...).

    Returns:
        The report (unpacks as ``target, ids``).

    Raises:
        InvalidNameError: ``aoi`` breaks the naming rule of :mod:`lake.names`.
        InvalidAOIError: ``aoi`` is not in the lake.
        InputValidationError: a bad input (nothing published or catalogued) or none left after skip_bad.
    """
    from lake.aoi import require_aoi
    from lake.catalogue import catalogue_products
    from lake.names import join_under
    from lake.settings import get_settings
    from sarlake.workflows.pge import run_pge

    settings = get_settings()
    if aoi is not None:
        require_aoi(aoi, settings, what="--aoi")
        params["aoi"] = aoi
        params["aoi_wkt"] = aoi_polygon(aoi)
    target = output_dir or join_under(settings.products_root, "L2_IFG", aoi or "ingested", what="output folder")
    run_id = f"manual__ingest__{datetime.now(UTC):%Y%m%dT%H%M%S}"
    result = run_pge("ingest", {"pge": "ingest", "run_id": run_id, "inputs": [str(p) for p in paths],
                                "output_dir": target, "parameters": params})
    met_uris = [p["met_uri"] for p in result["products"]]
    kept = [p["id"] for p in result["products"] if p.get("skipped")]
    ids = catalogue_products(met_uris, {"run_id": run_id, "task_id": "ingest", "runner": "local"})
    return IngestReport(target, ids, list(result.get("rejected") or []), kept, list(result.get("left_out") or []))

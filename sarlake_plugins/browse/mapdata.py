"""Map data: AOI outlines and product footprints as GeoJSON, for the filters of the current view.

Reverse lookups: the search filters carry ``aoi`` (all products within an AOI) and ``region`` (AOIs and
products whose bounding boxes touch a drawn polygon).
"""

from __future__ import annotations

import logging
from typing import Any

from sarlake_plugins.browse.filters import Query
from sarlake_plugins.browse.geo import wkt_to_geojson
from sarlake_plugins.browse.search import _conditions, _ensure_browse, _where

__all__ = ["MAX_FOOTPRINTS", "map_features"]

logger = logging.getLogger(__name__)

#: at most this many footprints are drawn (the first by the view's sort)
MAX_FOOTPRINTS = 2000


def map_features(q: Query, con: Any) -> dict[str, Any]:
    """``{"aois": FeatureCollection, "products": FeatureCollection, "truncated": bool}``."""
    aoi_sql, aoi_params = "SELECT name, geometry_wkt, west, south, east, north FROM aois", []
    if q.region:
        w, s, e, n = q.region
        aoi_sql += " WHERE east >= ? AND west <= ? AND north >= ? AND south <= ?"
        aoi_params = [w, e, s, n]
    aois = []
    for name, wkt, *bbox in con.execute(aoi_sql, aoi_params).fetchall():
        geom = wkt_to_geojson(wkt, tuple(bbox))  # type: ignore[arg-type]
        if geom:
            aois.append({"type": "Feature", "geometry": geom, "properties": {"name": name}})
    _ensure_browse(con)
    where, params = _where(_conditions(q))
    sql = ("SELECT product_id, aoi, footprint_wkt, west, south, east, north "
           f"FROM browse{where} ORDER BY reference_date DESC NULLS LAST, product_id LIMIT ?")
    rows = con.execute(sql, [*params, MAX_FOOTPRINTS + 1]).fetchall()
    products = []
    for pid, aoi, wkt, *bbox in rows[:MAX_FOOTPRINTS]:
        geom = wkt_to_geojson(wkt, tuple(bbox))  # type: ignore[arg-type]
        if geom:
            products.append({"type": "Feature", "geometry": geom, "properties": {"product_id": pid, "aoi": aoi}})
    return {"aois": {"type": "FeatureCollection", "features": aois},
            "products": {"type": "FeatureCollection", "features": products},
            "truncated": len(rows) > MAX_FOOTPRINTS}

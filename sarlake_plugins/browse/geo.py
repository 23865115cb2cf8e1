"""Regions and outlines for the map: parse a drawn region (WKT or GeoJSON polygon), turn WKT outlines into GeoJSON.

A region selects products and AOIs whose bounding box intersects the region's bounding box (the lake keeps
west/south/east/north per row, so the test is four bound comparisons that Parquet statistics can prune).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

__all__ = ["parse_region", "wkt_to_geojson"]

logger = logging.getLogger(__name__)

_NUM = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_WKT_POLYGON = re.compile(r"^\s*POLYGON\s*\(\s*\((?P<ring>[^()]*)\)(?:\s*,\s*\([^()]*\))*\s*\)\s*$", re.I)


def _ring_from_wkt(text: str) -> list[list[float]]:
    ring = []
    for pair in text.split(","):
        parts = pair.split()
        if len(parts) != 2 or not all(re.fullmatch(_NUM, p) for p in parts):
            raise ValueError(f"bad coordinate pair {pair.strip()!r}")
        ring.append([float(parts[0]), float(parts[1])])
    return ring


def _check_ring(ring: list[list[float]]) -> None:
    if len(ring) < 4 or ring[0] != ring[-1]:
        raise ValueError("a polygon ring needs at least 4 positions, the first equal to the last")
    for lon, lat in ring:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(f"position ({lon}, {lat}) is outside lon -180..180, lat -90..90")


def parse_region(text: str) -> tuple[tuple[float, float, float, float], str]:
    """A drawn region: ``POLYGON((lon lat, ...))`` or a GeoJSON Polygon (geometry or Feature).

    Returns:
        ``(west, south, east, north)`` and the region as WKT.

    Raises:
        FilterError: not a polygon (a point, a line, malformed text), or coordinates out of range.
    """
    from sarlake_plugins.browse.filters import FilterError

    text = text.strip()
    try:
        if text.startswith("{"):
            obj = json.loads(text)
            geom = obj.get("geometry", obj) if isinstance(obj, dict) else {}
            if not isinstance(geom, dict) or geom.get("type") != "Polygon":
                kind = geom.get("type") if isinstance(geom, dict) else type(geom).__name__
                raise ValueError(f"a GeoJSON {kind}, not a Polygon")
            ring = [[float(c[0]), float(c[1])] for c in geom["coordinates"][0]]
        else:
            m = _WKT_POLYGON.match(text)
            if not m:
                raise ValueError(f"{text[:40]!r} is not POLYGON((lon lat, ...))")
            ring = _ring_from_wkt(m.group("ring"))
        _check_ring(ring)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise FilterError(f"region is not a polygon: {exc}; draw a polygon or give WKT POLYGON((lon lat, ...)) "
                          "or a GeoJSON Polygon") from None
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    wkt = "POLYGON((" + ", ".join(f"{x:.6f} {y:.6f}" for x, y in ring) + "))"
    return (min(lons), min(lats), max(lons), max(lats)), wkt


def wkt_to_geojson(wkt: str | None, bbox: tuple[Any, Any, Any, Any] | None = None) -> dict[str, Any] | None:
    """GeoJSON geometry of a WKT POLYGON (outer ring), else of the bounding box; ``None`` if neither is known."""
    if wkt:
        m = _WKT_POLYGON.match(wkt)
        if m:
            try:
                return {"type": "Polygon", "coordinates": [_ring_from_wkt(m.group("ring"))]}
            except ValueError:
                logger.warning("unreadable footprint WKT %.60s", wkt)
    if bbox and all(v is not None for v in bbox):
        w, s, e, n = (float(v) for v in bbox)
        return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}
    return None

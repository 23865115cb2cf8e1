"""Areas of interest: validated polygons that forward processing monitors."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lake.exceptions import InvalidAOIError, InvalidNameError
from lake.names import check_aoi_name
from lake.settings import Settings, get_settings

__all__ = ["AOI", "add_aoi", "get_aoi", "list_aois", "require_aoi", "validate_geometry"]

logger = logging.getLogger(__name__)


class AOI(BaseModel):
    """An area of interest, small enough to pass through Airflow XCom (see :meth:`to_dict`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(..., description="Unique name.")
    geometry_wkt: str = Field(..., description="Polygon as WKT (EPSG:4326).")
    bbox: tuple[float, float, float, float] = Field(..., description="west, south, east, north (degrees).")
    active: bool = Field(True, description="Monitored by forward processing.")
    tracks: list[int] = Field(default_factory=list, description="Tracks to process; empty means the default.")
    pairing_neighbours: int | None = Field(None, ge=1, le=20, description="Nearest-n pairs; None = default.")
    description: str | None = Field(None, description="Free text.")
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict (for XCom)."""
        return self.model_dump(mode="json")

    def to_row(self) -> dict[str, Any]:
        """Row of the ``aois`` table."""
        west, south, east, north = self.bbox
        return {
            "name": self.name, "geometry_wkt": self.geometry_wkt, "west": west, "south": south, "east": east,
            "north": north, "active": self.active, "tracks": list(self.tracks),
            "pairing_neighbours": self.pairing_neighbours, "description": self.description,
        }


def validate_geometry(bbox: Any = None, geojson: Any = None) -> tuple[str, tuple[float, float, float, float]]:
    """Turn a bbox or GeoJSON into a valid polygon.

    Args:
        bbox: ``(west, south, east, north)`` in degrees.
        geojson: a GeoJSON geometry, Feature or single-feature FeatureCollection (dict, JSON text or path).

    Returns:
        ``(wkt, (west, south, east, north))``.

    Raises:
        InvalidAOIError: neither or both given, not a polygon, empty, self-intersecting, out of range.
    """
    from shapely import box, to_wkt

    if (bbox is None) == (geojson is None):
        raise InvalidAOIError("give exactly one of bbox (W S E N) or a GeoJSON polygon")
    if bbox is not None:
        try:
            west, south, east, north = (float(v) for v in bbox)
        except (TypeError, ValueError) as exc:
            raise InvalidAOIError(f"bbox must be four numbers W S E N, got {bbox!r}") from exc
        _check_range(west, south, east, north)
        if west >= east or south >= north:
            crossing = " (W > E would cross the antimeridian: " + _ONE_SIDE + ")" if west > east else ""
            raise InvalidAOIError(f"bbox must have W < E and S < N, got {west} {south} {east} {north}{crossing}")
        geom = box(west, south, east, north)
    else:
        is_file = isinstance(geojson, Path) or (isinstance(geojson, str) and not geojson.lstrip().startswith("{"))
        try:
            geom = _geojson_polygon(geojson)
        except InvalidAOIError as exc:
            named = not is_file or str(geojson) in str(exc)  # name the file once
            raise InvalidAOIError(str(exc) if named else f"GeoJSON file {geojson}: {exc}") from exc.__cause__
    w, s, e, n = geom.bounds
    return to_wkt(geom, rounding_precision=6), (float(w), float(s), float(e), float(n))


def _geojson_polygon(geojson: Any) -> Any:
    from shapely.geometry import shape
    from shapely.validation import explain_validity

    doc = _load_geojson(geojson)
    kind = doc.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise InvalidAOIError(f"AOI must be a GeoJSON Polygon or MultiPolygon, got type {kind!r}")
    try:
        geom = shape(doc)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise InvalidAOIError(f"not a GeoJSON geometry: {exc}") from exc
    if geom.is_empty:
        raise InvalidAOIError("AOI polygon is empty")
    if not geom.is_valid:
        raise InvalidAOIError(f"AOI polygon is invalid: {explain_validity(geom)}")
    if geom.area == 0:
        raise InvalidAOIError("AOI polygon is empty (zero area)")
    _check_range(*geom.bounds)
    west, _, east, _ = geom.bounds
    if east - west > 180.0:  # a polygon drawn across 180 deg, or split at it (RFC 7946): its box is the globe's
        raise InvalidAOIError(f"AOI spans {east - west:.1f} degrees of longitude ({west:g} to {east:g}): it crosses "
                              f"the antimeridian, and its bounding box would be the whole latitude band: {_ONE_SIDE}")
    return geom


#: what to do with an area across 180 deg: an AOI is one box of longitudes, west < east
_ONE_SIDE = "add one AOI on each side of 180 degrees (e.g. W to 180 and -180 to E)"


def _check_range(west: float, south: float, east: float, north: float) -> None:
    if not all(-180.0 <= v <= 180.0 for v in (west, east)) or not all(-90.0 <= v <= 90.0 for v in (south, north)):
        raise InvalidAOIError(
            f"AOI outside lon [-180, 180] / lat [-90, 90]: W={west} S={south} E={east} N={north}"
        )


def _load_geojson(geojson: Any) -> dict[str, Any]:
    doc = geojson
    if isinstance(doc, Path) or (isinstance(doc, str) and not doc.lstrip().startswith("{")):
        try:
            doc = Path(doc).read_text()
        except OSError as exc:
            raise InvalidAOIError(f"cannot read GeoJSON file {geojson}: {exc.strerror}") from exc
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except json.JSONDecodeError as exc:
            raise InvalidAOIError(f"GeoJSON is not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(doc, dict):
        raise InvalidAOIError("GeoJSON must be an object")
    if doc.get("type") == "FeatureCollection":
        features = doc.get("features") or []
        if len(features) != 1:
            raise InvalidAOIError(f"GeoJSON FeatureCollection must hold exactly one feature, has {len(features)}")
        doc = features[0]
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = doc.get("geometry") or {}
    source = f"GeoJSON {geojson}" if isinstance(geojson, str | Path) and not str(geojson).lstrip().startswith(
        "{") else "GeoJSON"
    if not isinstance(doc, dict) or not isinstance(doc.get("type"), str) or "coordinates" not in doc:
        raise InvalidAOIError(
            f"{source}: field 'type'/'coordinates' missing or not a geometry (want a Polygon or MultiPolygon, "
            "or a Feature / one-feature FeatureCollection of one)"
        )
    return doc  # type: ignore[no-any-return]


def add_aoi(
    name: str,
    bbox: Any = None,
    geojson: Any = None,
    tracks: list[int] | None = None,
    active: bool = True,
    pairing_neighbours: int | None = None,
    description: str | None = None,
    settings: Settings | None = None,
) -> AOI:
    """Validate and store (insert or update) an AOI.

    Args:
        name: unique name: letters, digits, ``-`` and ``_``, at most 63 characters.
        bbox: ``(west, south, east, north)`` in degrees, or
        geojson: a GeoJSON polygon (dict, JSON text or file path).
        tracks: relative orbits to process (default: the archive's default track).
        active: whether forward processing monitors it.
        pairing_neighbours: nearest-n pairing for this AOI (default: ``settings.pairing_neighbours``).
        description: free text.
        settings: the lake settings; default :func:`lake.settings.get_settings`.

    Returns:
        The stored AOI.

    Raises:
        InvalidAOIError: bad name, geometry or tracks (nothing is written).
    """
    from lake.write import upsert

    try:
        check_aoi_name(name)
    except InvalidNameError as exc:
        raise InvalidAOIError(str(exc)) from None
    tracks = sorted(set(tracks or []))
    if any(not isinstance(t, int) or not 1 <= t <= 175 for t in tracks):
        raise InvalidAOIError(f"tracks must be relative orbits 1..175, got {tracks}")
    if pairing_neighbours is not None and not 1 <= pairing_neighbours <= 20:
        raise InvalidAOIError(f"pairing_neighbours must be 1..20, got {pairing_neighbours}")
    wkt, box = validate_geometry(bbox=bbox, geojson=geojson)
    aoi = AOI(name=name, geometry_wkt=wkt, bbox=box, active=active, tracks=tracks,
              pairing_neighbours=pairing_neighbours, description=description)
    settings = settings or get_settings()
    result = upsert("aois", [aoi.to_row()], settings)
    logger.info("AOI %s: %s", name, "added" if result.inserted else "updated" if result.updated else "unchanged")
    return get_aoi(name, settings) or aoi


def _from_row(row: dict[str, Any]) -> AOI:
    return AOI(
        name=row["name"], geometry_wkt=row["geometry_wkt"],
        bbox=(row["west"], row["south"], row["east"], row["north"]),
        active=bool(row["active"]), tracks=list(row["tracks"] or []),
        pairing_neighbours=row["pairing_neighbours"], description=row["description"],
        created_at=row["created_at"], updated_at=row["updated_at"],
    )


def list_aois(active_only: bool = True, settings: Settings | None = None) -> list[AOI]:
    """Return the stored AOIs, sorted by name.

    Args:
        active_only: only those monitored by forward processing.
        settings: the lake settings; default :func:`lake.settings.get_settings`.

    Returns:
        The AOIs.
    """
    from pyiceberg.expressions import AlwaysTrue, EqualTo

    from lake.catalog import load_table

    table = load_table("aois", settings or get_settings())
    # mypy misreads the init of pyiceberg's pydantic expressions; at run time it is (term, literal).
    row_filter = EqualTo("active", True) if active_only else AlwaysTrue()  # type: ignore[call-arg,arg-type,misc]
    rows = table.scan(row_filter=row_filter).to_arrow().to_pylist()
    return sorted((_from_row(r) for r in rows), key=lambda a: a.name)


def get_aoi(name: str, settings: Settings | None = None) -> AOI | None:
    """Return the AOI called ``name``, or None."""
    from pyiceberg.expressions import EqualTo

    from lake.catalog import load_table

    by_name = EqualTo("name", name)  # type: ignore[call-arg,arg-type,misc]
    rows = load_table("aois", settings or get_settings()).scan(row_filter=by_name).to_arrow().to_pylist()
    return _from_row(rows[0]) if rows else None


def require_aoi(name: object, settings: Settings | None = None, what: str = "AOI") -> AOI:
    """Return the stored AOI called ``name``; the name must be valid and the AOI must exist.

    Args:
        name: the AOI name (checked with :func:`lake.names.check_aoi_name`).
        settings: the lake settings; default :func:`lake.settings.get_settings`.
        what: how the message names the argument (e.g. ``"--aoi"``).

    Returns:
        The AOI.

    Raises:
        InvalidNameError: the name breaks the naming rule.
        InvalidAOIError: no such AOI (the message lists the AOIs that exist).
    """
    check_aoi_name(name, what)
    assert isinstance(name, str)
    found = get_aoi(name, settings)
    if found is None:
        known = ", ".join(a.name for a in list_aois(active_only=False, settings=settings)) or "(none)"
        raise InvalidAOIError(f"{what} {name!r} does not exist; the lake's AOIs are: {known} "
                              "(add one with `sarlake aoi add NAME --bbox W S E N`)")
    return found

"""Earthquake event feeds: USGS GeoJSON summary feeds and FDSN event query output, parsed into :class:`Event`.

Formats (detected from the content, not the file name):

* GeoJSON ``FeatureCollection``: the USGS summary feeds
  (``https://earthquake.usgs.gov/earthquakes/feed/v1.0/summary/*.geojson``) and the FDSN event service with
  ``format=geojson`` (``https://earthquake.usgs.gov/fdsnws/event/1/query?format=geojson&...``; add
  ``includedeleted=true`` to see deletions). Times are milliseconds since the epoch; the point's third
  coordinate is the depth in km; ``alert`` is the PAGER level.
* a single GeoJSON ``Feature`` (the FDSN query with ``eventid=``, or a USGS detail feed);
* FDSN ``format=text``: ``#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|
  ContributorID|MagType|Magnitude|MagAuthor|EventLocationName[|EventType]`` (no ``updated`` and no PAGER alert).

A feed that is not one of these (truncated JSON, a missing or mistyped field) raises :class:`FeedError`
naming the feed, the feature and the field.
"""

from __future__ import annotations

import json
import logging
import math
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["Event", "FeedError", "parse_feed", "read_feed"]

log = logging.getLogger(__name__)

FDSN_TEXT_COLUMNS = (
    "EventID", "Time", "Latitude", "Longitude", "Depth/km", "Author", "Catalog", "Contributor", "ContributorID",
    "MagType", "Magnitude", "MagAuthor", "EventLocationName",
)


class FeedError(ValueError):
    """A feed that cannot be read: what was wrong, where, and what to do (exit code 2, not retried)."""

    code = "INVALID_FEED"
    exit_code = 2


@dataclass(frozen=True)
class Event:
    """One event of a feed.

    Attributes:
        event_id: the feed's id (USGS: network + code, e.g. ``us6000len8``).
        time: origin time (UTC).
        lon: epicentre longitude, degrees.
        lat: epicentre latitude, degrees.
        depth_km: hypocentre depth, km (None when the feed has none).
        magnitude: magnitude (None when the feed has none yet).
        updated: when the feed last changed the event (UTC); None for FDSN text output.
        alert: PAGER alert level (``green``, ``yellow``, ``orange``, ``red``) or None.
        status: ``automatic``, ``reviewed`` or ``deleted`` (lower case).
        event_type: ``earthquake``, ``quarry blast``, ``explosion``, ...
        mag_type: magnitude type (``mww``, ``mb``, ...).
        place: place description.
        url: event page.
        source: the network or service that reported it (``us``, ``nc``, ...).
        raw: the feed's record, for the ``events.raw`` column.
    """

    event_id: str
    time: datetime
    lon: float
    lat: float
    depth_km: float | None
    magnitude: float | None
    updated: datetime | None = None
    alert: str | None = None
    status: str = "reviewed"
    event_type: str = "earthquake"
    mag_type: str | None = None
    place: str | None = None
    url: str | None = None
    source: str = "usgs"
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def deleted(self) -> bool:
        """True when the feed says the event was deleted (its pending work must be cancelled)."""
        return self.status == "deleted"

    @property
    def revision(self) -> datetime:
        """The event's version: ``updated``, or the origin time when the feed gives no update time."""
        return self.updated or self.time

    def to_row(self) -> dict[str, Any]:
        """Row of the lake's ``events`` table (without the decision columns)."""
        return {
            "event_id": self.event_id, "source": self.source, "time": self.time, "magnitude": self.magnitude,
            "lat": self.lat, "lon": self.lon, "depth_km": self.depth_km, "place": self.place, "alert": self.alert,
            "updated": self.updated, "url": self.url, "raw": json.dumps(self.raw, sort_keys=True),
        }


def read_feed(source: str | Path, *, timeout_s: float = 30.0) -> list[Event]:
    """Read and parse a feed from a file path, a ``file://`` URL or an ``http(s)://`` URL.

    Args:
        source: where the feed is.
        timeout_s: network timeout for URLs.

    Returns:
        The feed's events, in feed order.

    Raises:
        FeedError: the feed is missing, unreadable or malformed.
    """
    text = str(source)
    scheme = urllib.parse.urlparse(text).scheme
    try:
        if scheme in ("http", "https"):
            with urllib.request.urlopen(text, timeout=timeout_s) as resp:  # noqa: S310 (scheme checked)
                body = resp.read().decode("utf-8")
        else:
            path = Path(urllib.parse.unquote(urllib.parse.urlparse(text).path)) if scheme == "file" else Path(text)
            body = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedError(
            f"{text}: cannot read the feed ({exc}); check the path or URL (SARLAKE_URGENT__FEED_URL)"
        ) from exc
    return parse_feed(body, name=text)


def parse_feed(body: str | bytes, *, name: str = "feed") -> list[Event]:
    """Parse a feed's content (GeoJSON collection or feature, or FDSN text).

    Args:
        body: the feed's content.
        name: the feed's name or URL, used in error messages.

    Returns:
        The events, in feed order (an empty feed gives an empty list).

    Raises:
        FeedError: malformed content, naming the feature and field at fault.
    """
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    stripped = text.lstrip()
    if not stripped:
        return []  # FDSN answers an empty query with 204 and no body
    if stripped.startswith("#"):
        return _parse_fdsn_text(stripped, name)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedError(
            f"{name}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); the feed may be truncated"
        ) from exc
    if not isinstance(doc, dict):
        raise FeedError(f"{name}: expected a GeoJSON object, got a JSON {type(doc).__name__}")
    kind = doc.get("type")
    if kind == "Feature":
        return [_parse_feature(doc, name, "feature")]
    if kind != "FeatureCollection":
        raise FeedError(f"{name}: GeoJSON type is {kind!r}; expected 'FeatureCollection' (a USGS/FDSN event feed)")
    features = doc.get("features")
    if not isinstance(features, list):
        raise FeedError(f"{name}: 'features' is {type(features).__name__}, expected a list")
    return [_parse_feature(f, name, f"features[{i}]") for i, f in enumerate(features)]


def _ms(value: Any, where: str, key: str, *, required: bool) -> datetime | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FeedError(f"{where}: properties.{key} is {value!r}, expected milliseconds since 1970 (a number)")
    return datetime.fromtimestamp(value / 1000.0, tz=UTC)


def _number(value: Any, where: str, key: str, *, required: bool) -> float | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FeedError(f"{where}: {key} is {value!r}, expected a number" + ("" if required else " or null"))
    return float(value)


def _text(value: Any, where: str, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise FeedError(f"{where}: properties.{key} is {value!r}, expected a string or null")
    return value


def _parse_feature(feature: Any, name: str, index: str) -> Event:
    where = f"{name}: {index}"
    if not isinstance(feature, dict):
        raise FeedError(f"{where} is a {type(feature).__name__}, expected a GeoJSON Feature object")
    event_id = feature.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise FeedError(f"{where}: 'id' is {event_id!r}, expected the event id (a non-empty string)")
    where = f"{where} ({event_id})"
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise FeedError(f"{where}: 'properties' is missing or not an object")
    status = (_text(props.get("status"), where, "status") or "reviewed").lower()
    geometry = feature.get("geometry")
    deleted = status == "deleted"
    if geometry is None and deleted:
        coords: list[Any] = [0.0, 0.0, None]
    elif not isinstance(geometry, dict) or geometry.get("type") != "Point":
        raise FeedError(f"{where}: 'geometry' must be a GeoJSON Point [lon, lat, depth_km]")
    else:
        coords = geometry.get("coordinates")  # type: ignore[assignment]
        if not isinstance(coords, list) or len(coords) < 2:
            raise FeedError(f"{where}: geometry.coordinates is {coords!r}, expected [lon, lat, depth_km]")
    lon = _number(coords[0], where, "geometry.coordinates[0] (longitude)", required=True)
    lat = _number(coords[1], where, "geometry.coordinates[1] (latitude)", required=True)
    assert lon is not None and lat is not None
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise FeedError(f"{where}: epicentre ({lon}, {lat}) is outside -180..180 / -90..90 degrees")
    depth = _number(coords[2] if len(coords) > 2 else None, where, "geometry.coordinates[2] (depth km)",
                    required=False)
    if "time" not in props:
        raise FeedError(f"{where}: properties.time is missing (the origin time, ms since 1970)")
    time = _ms(props["time"], where, "time", required=True)
    assert time is not None
    alert = _text(props.get("alert"), where, "alert")
    return Event(
        event_id=event_id,
        time=time,
        lon=lon,
        lat=lat,
        depth_km=depth,
        magnitude=_number(props.get("mag"), where, "properties.mag", required=False),
        updated=_ms(props.get("updated"), where, "updated", required=False),
        alert=alert.lower() if alert else None,
        status=status,
        event_type=(_text(props.get("type"), where, "type") or "earthquake").lower(),
        mag_type=_text(props.get("magType"), where, "magType"),
        place=_text(props.get("place"), where, "place"),
        url=_text(props.get("url"), where, "url"),
        source=_text(props.get("net"), where, "net") or "usgs",
        raw=feature,
    )


def _parse_fdsn_text(text: str, name: str) -> list[Event]:
    lines = text.splitlines()
    header = [h.strip() for h in lines[0].lstrip("#").split("|")]
    if [h.lower() for h in header[: len(FDSN_TEXT_COLUMNS)]] != [c.lower() for c in FDSN_TEXT_COLUMNS]:
        raise FeedError(f"{name}: line 1 is not an FDSN text header ({'|'.join(FDSN_TEXT_COLUMNS)}[|EventType])")
    events = []
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("|")
        where = f"{name}: line {lineno}"
        if len(cells) < len(FDSN_TEXT_COLUMNS):
            raise FeedError(f"{where}: {len(cells)} columns, expected {len(header)}; the feed may be truncated")
        row = dict(zip(header, cells, strict=False))

        def num(key: str, required: bool, row: dict[str, str] = row, where: str = where) -> float | None:
            value = row.get(key, "").strip()
            if not value and not required:
                return None
            try:
                return float(value)
            except ValueError:
                raise FeedError(f"{where}: {key} is {value!r}, expected a number") from None

        try:
            when = datetime.fromisoformat(row["Time"].strip().replace("Z", "+00:00"))
        except ValueError:
            raise FeedError(f"{where}: Time is {row['Time']!r}, expected ISO 8601") from None
        lon, lat = num("Longitude", True), num("Latitude", True)
        assert lon is not None and lat is not None
        events.append(Event(
            event_id=row["EventID"].strip(),
            time=when if when.tzinfo else when.replace(tzinfo=UTC),
            lon=lon,
            lat=lat,
            depth_km=num("Depth/km", False),
            magnitude=num("Magnitude", False),
            mag_type=row["MagType"].strip() or None,
            place=row["EventLocationName"].strip() or None,
            event_type=(row.get("EventType") or "earthquake").strip().lower() or "earthquake",
            source=row["Catalog"].strip().lower() or row["Contributor"].strip().lower() or "fdsn",
            raw=row,
        ))
    return events

"""The urgent-response evaluator: which earthquakes start coseismic processing, where, and why.

Default rules (ARIA's urgent-response evaluator, see DESIGN.md): trigger when

* M >= 7; or
* M >= 6 with a PAGER alert of yellow or worse; or
* PAGER red (any magnitude);

and the hypocentre is at most 70 km deep (shallow earthquakes; deeper ones barely deform the surface),
the feed calls it an ``earthquake``, it is not deleted, and (when regions are configured) the epicentre lies
inside a monitored region. A triggering event gets a circular AOI of radius ``(M - 5) / 2 * 150`` km around
the epicentre, processed per track whose footprint intersects it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sarlake.events.feed import Event

__all__ = ["ALERT_LEVELS", "Decision", "Region", "Rules", "TrackFootprint", "aoi_radius_km", "evaluate"]

#: PAGER alert levels, least to most severe.
ALERT_LEVELS = ("green", "yellow", "orange", "red")
AlertLevel = Literal["green", "yellow", "orange", "red"]
EARTH_RADIUS_KM = 6371.0088


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Region(_Strict):
    """A monitored region: events outside every region are ignored when any region is configured."""

    name: str = Field(..., min_length=1, description="Region name, quoted in the decision's reason.")
    bbox: tuple[float, float, float, float] = Field(..., description="west, south, east, north (degrees).")

    @model_validator(mode="after")
    def _ordered(self) -> Region:
        w, s, e, n = self.bbox
        if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            raise ValueError(f"region {self.name}: bbox {self.bbox} is not west < east, south < north in degrees")
        return self


class TrackFootprint(_Strict):
    """Where one track (relative orbit) images: its footprint polygon as WKT (EPSG:4326)."""

    track: int = Field(..., ge=1, le=175, description="Relative orbit number.")
    direction: Literal["A", "D"] = Field(..., description="Orbit direction.")
    footprint_wkt: str = Field(..., min_length=10, description="Footprint polygon (WKT, EPSG:4326).")


class Rules(_Strict):
    """Evaluator rules; every field has ARIA's default (settable as ``SARLAKE_URGENT__RULES__<FIELD>``)."""

    min_magnitude: float = Field(7.0, ge=0, le=10, description="Trigger at or above this magnitude alone.")
    min_magnitude_with_alert: float = Field(
        6.0, ge=0, le=10, description="Trigger at or above this magnitude when the PAGER alert is min_alert or worse."
    )
    min_alert: AlertLevel = Field("yellow", description="PAGER level that, with min_magnitude_with_alert, triggers.")
    trigger_alert: AlertLevel | None = Field("red", description="PAGER level that triggers at any magnitude.")
    max_depth_km: float = Field(70.0, gt=0, description="Deeper events are ignored (little surface deformation).")
    event_types: tuple[str, ...] = Field(("earthquake",), description="Feed event types considered.")
    regions: tuple[Region, ...] = Field((), description="Monitored regions; empty means anywhere.")
    tracks: tuple[TrackFootprint, ...] = Field(
        (), description="Track footprints; empty means the acquisition source's default tracks cover everywhere."
    )
    km_per_magnitude_unit: float = Field(75.0, gt=0, description="AOI radius slope: (M - 5) / 2 * 150 km.")
    min_radius_km: float = Field(25.0, gt=0, description="Smallest AOI radius (a PAGER red below M5.3).")
    pre_days: int = Field(30, ge=1, le=365, description="Days before the origin time searched for pre-event scenes.")
    post_days: int = Field(30, ge=1, le=365, description="Days after the origin time searched for post-event scenes.")


def aoi_radius_km(magnitude: float, rules: Rules | None = None) -> float:
    """AOI radius of an event: ``(M - 5) / 2 * 150`` km (ARIA), at least ``rules.min_radius_km``."""
    rules = rules or Rules()  # type: ignore[call-arg]  # every field has a default
    return round(max((magnitude - 5.0) * rules.km_per_magnitude_unit, rules.min_radius_km), 3)


@dataclass(frozen=True)
class Decision:
    """What the evaluator decided for one event.

    Attributes:
        event_id: the event.
        decision: ``trigger`` or ``ignore``.
        reason: one line saying which rule decided.
        radius_km: AOI radius (triggers only).
        aoi_wkt: AOI polygon, a geodesic circle around the epicentre (triggers only).
        bbox: AOI bounding box (west, south, east, north), clipped to -180..180 (triggers only).
        tracks: ``[(track, direction), ...]`` whose footprint intersects the AOI; empty = the default tracks.
        window: ``(start, end)`` searched for pre- and post-event acquisitions (triggers only).
    """

    event_id: str
    decision: Literal["trigger", "ignore"]
    reason: str
    radius_km: float | None = None
    aoi_wkt: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    tracks: list[tuple[int, str]] = field(default_factory=list)
    window: tuple[datetime, datetime] | None = None

    @property
    def triggered(self) -> bool:
        """True for a trigger."""
        return self.decision == "trigger"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able record (for ``--json`` and XCom)."""
        return {
            "id": self.event_id,
            "decision": self.decision,
            "reason": self.reason,
            "radius_km": self.radius_km,
            "aoi_wkt": self.aoi_wkt,
            "bbox": list(self.bbox) if self.bbox else None,
            "tracks": [{"track": t, "direction": d} for t, d in self.tracks],
            "window": [w.isoformat() for w in self.window] if self.window else None,
        }


def _alert_rank(alert: str | None) -> int:
    return ALERT_LEVELS.index(alert) if alert in ALERT_LEVELS else -1


def _why_triggered(event: Event, rules: Rules) -> tuple[bool, str]:
    m, alert = event.magnitude, event.alert
    assert m is not None
    if m >= rules.min_magnitude:
        return True, f"M{m:g} >= {rules.min_magnitude:g}"
    if rules.trigger_alert and _alert_rank(alert) >= _alert_rank(rules.trigger_alert):
        return True, f"PAGER {alert} (>= {rules.trigger_alert} triggers at any magnitude)"
    alert_ok = _alert_rank(alert) >= _alert_rank(rules.min_alert)
    if m >= rules.min_magnitude_with_alert and alert_ok:
        return True, f"M{m:g} >= {rules.min_magnitude_with_alert:g} with PAGER {alert} (>= {rules.min_alert})"
    pager = f"PAGER {alert}" if alert else "no PAGER alert"
    if m < rules.min_magnitude_with_alert:
        return False, f"M{m:g} < {rules.min_magnitude_with_alert:g} and {pager}"
    return False, f"M{m:g} < {rules.min_magnitude:g} and {pager} (below {rules.min_alert})"


def circle_points(lon: float, lat: float, radius_km: float, n: int = 72) -> list[tuple[float, float]]:
    """Vertices of a geodesic circle on the sphere (longitudes unwrapped around ``lon``, may pass +-180)."""
    d = radius_km / EARTH_RADIUS_KM
    phi1, lam1 = math.radians(lat), math.radians(lon)
    points = []
    for k in range(n):
        theta = 2 * math.pi * k / n
        phi2 = math.asin(math.sin(phi1) * math.cos(d) + math.cos(phi1) * math.sin(d) * math.cos(theta))
        lam2 = lam1 + math.atan2(math.sin(theta) * math.sin(d) * math.cos(phi1),
                                 math.cos(d) - math.sin(phi1) * math.sin(phi2))
        points.append((round(math.degrees(lam2), 6), round(math.degrees(phi2), 6)))
    points.append(points[0])
    return points


def _intersecting_tracks(circle: Any, rules: Rules) -> list[tuple[int, str]]:
    from shapely import from_wkt
    from shapely.affinity import translate

    hits = []
    for t in rules.tracks:
        footprint = from_wkt(t.footprint_wkt)
        if any(circle.intersects(translate(footprint, xoff=shift)) for shift in (0.0, -360.0, 360.0)):
            hits.append((t.track, t.direction))
    return sorted(set(hits))


def evaluate(event: Event, rules: Rules | None = None) -> Decision:
    """Decide whether ``event`` starts urgent-response processing.

    Args:
        event: a parsed feed event.
        rules: the rules; the defaults when None.

    Returns:
        The decision with its reason; for a trigger also the AOI, the tracks and the acquisition window.
    """
    from shapely import Polygon, to_wkt

    rules = rules or Rules()  # type: ignore[call-arg]  # every field has a default
    eid = event.event_id
    if event.deleted:
        return Decision(eid, "ignore", "deleted by the feed: pending work for it is cancelled")
    if event.event_type not in rules.event_types:
        return Decision(eid, "ignore", f"type {event.event_type!r} is not one of {', '.join(rules.event_types)}")
    if event.magnitude is None:
        return Decision(eid, "ignore", "no magnitude yet")
    if event.depth_km is not None and event.depth_km > rules.max_depth_km:
        return Decision(eid, "ignore", f"depth {event.depth_km:g} km > {rules.max_depth_km:g} km limit")
    if rules.regions:
        inside = [r.name for r in rules.regions
                  if r.bbox[0] <= event.lon <= r.bbox[2] and r.bbox[1] <= event.lat <= r.bbox[3]]
        if not inside:
            names = ", ".join(r.name for r in rules.regions)
            return Decision(eid, "ignore", f"outside the monitored regions ({names})")
    triggered, why = _why_triggered(event, rules)
    if not triggered:
        return Decision(eid, "ignore", why)
    radius = aoi_radius_km(event.magnitude, rules)
    circle = Polygon(circle_points(event.lon, event.lat, radius))
    tracks: list[tuple[int, str]] = []
    if rules.tracks:
        tracks = _intersecting_tracks(circle, rules)
        if not tracks:
            return Decision(eid, "ignore", f"{why}, but no configured track covers its {radius:g} km AOI")
    w, s, e, n = circle.bounds
    bbox = (max(w, -180.0), max(s, -90.0), min(e, 180.0), min(n, 90.0))
    clipped = ""
    if w < -180.0 or e > 180.0:  # an AOI is one box of longitudes: the epicentre's side of 180 degrees is kept
        beyond = (-180.0 - w) if w < -180.0 else (e - 180.0)
        clipped = (f"; the AOI crosses the antimeridian: its {beyond:.2f} degrees of longitude beyond "
                   f"{-180 if w < -180.0 else 180} are not processed")
    window = (event.time - timedelta(days=rules.pre_days), event.time + timedelta(days=rules.post_days))
    return Decision(eid, "trigger", f"{why}; AOI radius {radius:g} km{clipped}", radius_km=radius,
                    aoi_wkt=to_wkt(circle, rounding_precision=5), bbox=bbox, tracks=tracks, window=window)

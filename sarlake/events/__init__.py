"""Earthquake event feeds and the urgent-response evaluator (pure: no lake, no Airflow).

``parse_feed`` reads a USGS GeoJSON summary feed, FDSN event query output (GeoJSON or ``format=text``) or a
single-event GeoJSON; ``evaluate`` applies :class:`Rules` to each event and returns a :class:`Decision`
saying ``trigger`` or ``ignore``, why, and (for a trigger) the AOI and the tracks to process.
"""

from sarlake.events.feed import Event, FeedError, parse_feed, read_feed
from sarlake.events.rules import Decision, Region, Rules, TrackFootprint, aoi_radius_km, evaluate

__all__ = [
    "Decision",
    "Event",
    "FeedError",
    "Region",
    "Rules",
    "TrackFootprint",
    "aoi_radius_km",
    "evaluate",
    "parse_feed",
    "read_feed",
]

"""The simulated radar grid: rows = azimuth (flight direction), columns = ground range (right-looking).

The grid is a rectangle in a local tangent plane at the AOI centre, rotated so its rows run along the
flight heading (about -10 deg ascending, 190 deg descending, clockwise from north) and wide enough to
hold the AOI. Positions use a spherical Earth (R = 6371 km) and an equirectangular local mapping, exact
to well under a pixel over a few tens of kilometres. The incidence angle grows across range like
Sentinel-1 IW (30 to 46 deg over 250 km, i.e. 0.064 deg/km).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["EARTH_RADIUS_M", "ORBIT_HEIGHT_M", "RadarGrid", "grid_for_bbox"]

EARTH_RADIUS_M = 6_371_000.0
ORBIT_HEIGHT_M = 693_000.0  # Sentinel-1
INCIDENCE_SLOPE_DEG_PER_M = 16.0 / 250_000.0


@dataclass(frozen=True)
class RadarGrid:
    """A radar grid fixed by the frame geometry; every date of a frame shares it (coregistered)."""

    center_lon: float
    center_lat: float
    heading_deg: float
    posting_m: float
    rows: int
    cols: int
    incidence_deg: float  # at the centre column

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)`` = (azimuth, range)."""
        return (self.rows, self.cols)

    @cached_property
    def grid_id(self) -> str:
        """Short hash of the geometry: two products are coregistered iff their grid ids match."""
        blob = json.dumps([round(self.center_lon, 9), round(self.center_lat, 9), self.heading_deg,
                           self.posting_m, self.rows, self.cols, self.incidence_deg])
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def _axes(self) -> tuple[np.ndarray, np.ndarray]:
        az = (np.arange(self.rows) - (self.rows - 1) / 2) * self.posting_m
        rg = (np.arange(self.cols) - (self.cols - 1) / 2) * self.posting_m
        return az, rg

    def east_north(self) -> tuple[np.ndarray, np.ndarray]:
        """Local east and north offsets (m) of every pixel from the grid centre, each ``(rows, cols)``."""
        h = np.deg2rad(self.heading_deg)
        az, rg = self._axes()
        a, r = az[:, None], rg[None, :]
        east = a * np.sin(h) + r * np.cos(h)
        north = a * np.cos(h) - r * np.sin(h)
        return east, north

    def lonlat(self) -> tuple[np.ndarray, np.ndarray]:
        """Longitude and latitude (degrees, float64) of every pixel: the lookup rasters."""
        east, north = self.east_north()
        lat = self.center_lat + np.rad2deg(north / EARTH_RADIUS_M)
        lon = self.center_lon + np.rad2deg(east / (EARTH_RADIUS_M * np.cos(np.deg2rad(self.center_lat))))
        return lon, lat

    def incidence(self) -> np.ndarray:
        """Incidence angle (degrees) per column, shape ``(cols,)``."""
        _, rg = self._axes()
        return self.incidence_deg + rg * INCIDENCE_SLOPE_DEG_PER_M

    def los_enu(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unit vector from the ground to the satellite (east, north, up), each broadcastable to the grid.

        Right-looking: the look direction points along ``heading + 90 deg``; the vector back to the
        satellite has horizontal part ``-sin(inc)`` along it and vertical part ``cos(inc)``.
        """
        h = np.deg2rad(self.heading_deg)
        inc = np.deg2rad(self.incidence())[None, :]
        look_e, look_n = np.cos(h), -np.sin(h)
        return -look_e * np.sin(inc), -look_n * np.sin(inc), np.cos(inc)

    def slant_range(self) -> np.ndarray:
        """Slant range (m) per column for a flat Earth at the orbit height, shape ``(cols,)``."""
        return ORBIT_HEIGHT_M / np.cos(np.deg2rad(self.incidence()))

    def to_dict(self) -> dict[str, object]:
        """JSON-ready description (stored in the SLC met.json as ``sarlake:grid``)."""
        return {"id": self.grid_id, "shape": [self.rows, self.cols], "center": [self.center_lon, self.center_lat],
                "heading_deg": self.heading_deg, "posting_m": self.posting_m, "incidence_deg": self.incidence_deg}


def grid_for_bbox(
    bbox: tuple[float, float, float, float], heading_deg: float, posting_m: float, incidence_deg: float
) -> RadarGrid:
    """The smallest heading-aligned grid whose footprint holds ``bbox`` ``[W, S, E, N]``."""
    w, s, e, n = bbox
    lon0, lat0 = (w + e) / 2, (s + n) / 2
    lon = np.array([w, e, e, w])
    lat = np.array([s, s, n, n])
    east = np.deg2rad(lon - lon0) * EARTH_RADIUS_M * np.cos(np.deg2rad(lat0))
    north = np.deg2rad(lat - lat0) * EARTH_RADIUS_M
    h = np.deg2rad(heading_deg)
    along = east * np.sin(h) + north * np.cos(h)
    across = east * np.cos(h) - north * np.sin(h)
    rows = int(np.ceil(2 * np.abs(along).max() / posting_m)) + 1
    cols = int(np.ceil(2 * np.abs(across).max() / posting_m)) + 1
    return RadarGrid(float(lon0), float(lat0), float(heading_deg), float(posting_m), rows, cols, float(incidence_deg))

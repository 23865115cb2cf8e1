"""Geocoding from the radar grid to a regular, north-up lat/lon grid (EPSG:4326) by inverse mapping.

The radar grid's lookup rasters give (lat, lon) of every radar pixel. Their inverse, the fractional
radar (row, col) of every output pixel, is solved once per grid (a polynomial first guess refined by
Newton steps on the interpolated lookups); every layer is then resampled with ``scipy.ndimage.map_coordinates`` (bilinear, or nearest for
labels). Output pixels outside the radar footprint are nodata.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rasterio.transform import Affine
from scipy.ndimage import map_coordinates

__all__ = ["GeoGrid", "RadarCoords", "geocode", "geocode_wrapped", "geogrid_for", "multilook_mean", "radar_coords"]


@dataclass(frozen=True)
class GeoGrid:
    """A north-up lat/lon grid: ``transform`` maps pixel corners, pixel size ``posting`` degrees."""

    west: float
    north: float
    posting: float
    rows: int
    cols: int

    @property
    def transform(self) -> Affine:
        """Affine of the pixel corners."""
        return Affine(self.posting, 0.0, self.west, 0.0, -self.posting, self.north)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)``."""
        return (self.west, self.north - self.rows * self.posting, self.west + self.cols * self.posting, self.north)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Longitudes ``(cols,)`` and latitudes ``(rows,)`` of the pixel centres."""
        lon = self.west + (np.arange(self.cols) + 0.5) * self.posting
        lat = self.north - (np.arange(self.rows) + 0.5) * self.posting
        return lon, lat


@dataclass
class RadarCoords:
    """Fractional radar (row, col) of every geocoded pixel; NaN outside the footprint."""

    grid: GeoGrid
    rows: np.ndarray
    cols: np.ndarray

    @property
    def inside(self) -> np.ndarray:
        """Output pixels inside the radar footprint."""
        return np.isfinite(self.rows)


def multilook_mean(x: np.ndarray, la: int, lr: int) -> np.ndarray:
    """Block mean over ``la x lr`` windows (trailing partial windows dropped), e.g. for the lookups."""
    rows, cols = (x.shape[0] // la) * la, (x.shape[1] // lr) * lr
    return x[:rows, :cols].reshape(rows // la, la, cols // lr, lr).mean(axis=(1, 3))


def geogrid_for(lat: np.ndarray, lon: np.ndarray, posting: float) -> GeoGrid:
    """The grid at ``posting`` degrees, snapped to multiples of it, covering the lookups' extent."""
    west = np.floor(np.nanmin(lon) / posting) * posting
    east = np.ceil(np.nanmax(lon) / posting) * posting
    south = np.floor(np.nanmin(lat) / posting) * posting
    north = np.ceil(np.nanmax(lat) / posting) * posting
    return GeoGrid(float(west), float(north), posting, int(round((north - south) / posting)), int(round((east - west) / posting)))


def _bilinear(a: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    return map_coordinates(a, [r, c], order=1, mode="nearest", prefilter=False)


def radar_coords(lat: np.ndarray, lon: np.ndarray, grid: GeoGrid, iterations: int = 4) -> RadarCoords:
    """Inverse-map ``grid`` to fractional radar coordinates of the lookup rasters ``lat``/``lon``.

    A quadratic least-squares fit of (row, col) against (lon, lat) on a subsample gives the first
    guess; Newton steps on the bilinearly interpolated lookups (Jacobian from their gradients) then
    solve ``lat(r, c) = lat_q, lon(r, c) = lon_q`` to well below 1e-3 pixel. Output pixels whose
    solution falls outside the radar grid are NaN.
    """
    rows, cols = lat.shape
    step = max(1, int(np.ceil(np.sqrt(rows * cols / 20_000))))
    rr, cc = np.mgrid[0:rows:step, 0:cols:step]
    lon0, lat0 = float(np.nanmean(lon)), float(np.nanmean(lat))

    def design(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x, y = (x - lon0) * 100.0, (y - lat0) * 100.0
        return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=-1)

    coef, *_ = np.linalg.lstsq(design(lon[rr, cc].ravel(), lat[rr, cc].ravel()),
                               np.column_stack([rr.ravel(), cc.ravel()]).astype(np.float64), rcond=None)
    glon, glat = grid.centres()
    qlon, qlat = np.meshgrid(glon, glat)
    guess = design(qlon, qlat) @ coef
    r, c = guess[..., 0], guess[..., 1]
    dlat_dr, dlat_dc = np.gradient(lat)
    dlon_dr, dlon_dc = np.gradient(lon)
    for _ in range(iterations):
        rq, cq = np.clip(r, 0, rows - 1), np.clip(c, 0, cols - 1)
        e_lat = qlat - _bilinear(lat, rq, cq)
        e_lon = qlon - _bilinear(lon, rq, cq)
        a, b = _bilinear(dlat_dr, rq, cq), _bilinear(dlat_dc, rq, cq)
        d, e = _bilinear(dlon_dr, rq, cq), _bilinear(dlon_dc, rq, cq)
        det = a * e - b * d
        det = np.where(det == 0, np.finfo(float).tiny, det)
        r = rq + (e * e_lat - b * e_lon) / det
        c = cq + (a * e_lon - d * e_lat) / det
    inside = (r >= -1e-6) & (r <= rows - 1 + 1e-6) & (c >= -1e-6) & (c <= cols - 1 + 1e-6)
    return RadarCoords(grid, np.where(inside, r, np.nan), np.where(inside, c, np.nan))


def geocode(values: np.ndarray, coords: RadarCoords, *, order: int = 1, nodata: float = np.nan) -> np.ndarray:
    """Resample a radar-grid layer onto the geocoded grid (bilinear ``order=1`` or nearest ``order=0``)."""
    inside = coords.inside
    r = np.where(inside, coords.rows, -10.0)
    c = np.where(inside, coords.cols, -10.0)
    if order == 0:
        r, c = np.round(r), np.round(c)
    src = values.astype(np.float64) if order else values
    out = map_coordinates(src, [r, c], order=order, mode="constant", cval=np.nan if order else nodata, prefilter=False)
    out = np.where(inside, out, nodata)
    if order and not np.isnan(nodata):
        out = np.where(np.isnan(out), nodata, out)
    return out.astype(values.dtype if values.dtype != np.float64 else np.float64)


def geocode_wrapped(ifg: np.ndarray, coords: RadarCoords) -> np.ndarray:
    """Geocode a complex interferogram's phase (interpolating the phasor, not the wrapped angle)."""
    unit = np.where(np.abs(ifg) > 0, ifg / np.maximum(np.abs(ifg), 1e-30), 0)
    re = geocode(unit.real.astype(np.float32), coords)
    im = geocode(unit.imag.astype(np.float32), coords)
    out = np.arctan2(im, re).astype(np.float32)
    return np.where(np.isfinite(re) & ((re != 0) | (im != 0)), out, np.nan).astype(np.float32)

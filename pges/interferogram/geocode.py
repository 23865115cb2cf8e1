"""Geocoding from the radar grid to a regular, north-up lat/lon grid (EPSG:4326) by inverse mapping.

The radar grid's lookup rasters give (lat, lon) of every radar pixel. Their inverse, the fractional
radar (row, col) of every output pixel, is solved once per grid (a polynomial first guess refined by
Newton steps on the interpolated lookups, one numba pass); every layer is then resampled bilinearly
(or nearest for labels), also in one numba pass. Output pixels outside the radar footprint are nodata.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from rasterio.transform import Affine

__all__ = ["GeoGrid", "RadarCoords", "geocode", "geocode_wrapped", "geogrid_for", "multilook_mean", "radar_coords",
           "radar_coords_reference"]


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
    rows, cols = int(round((north - south) / posting)), int(round((east - west) / posting))
    return GeoGrid(float(west), float(north), posting, rows, cols)


def _design(x: np.ndarray, y: np.ndarray, lon0: float, lat0: float) -> np.ndarray:
    x, y = (x - lon0) * 100.0, (y - lat0) * 100.0
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=-1)


def _first_guess(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Quadratic least-squares fit of (row, col) against (lon, lat) on ~20 000 pixels: ``(coef (6, 2), lon0, lat0)``."""
    rows, cols = lat.shape
    step = max(1, int(np.ceil(np.sqrt(rows * cols / 20_000))))
    rr, cc = np.mgrid[0:rows:step, 0:cols:step]
    lon0, lat0 = float(np.nanmean(lon)), float(np.nanmean(lat))
    sub_lon, sub_lat = lon[rr, cc].ravel(), lat[rr, cc].ravel()
    ok = np.isfinite(sub_lon) & np.isfinite(sub_lat)
    target = np.column_stack([rr.ravel(), cc.ravel()]).astype(np.float64)[ok]
    coef, *_ = np.linalg.lstsq(_design(sub_lon[ok], sub_lat[ok], lon0, lat0), target, rcond=None)
    return np.ascontiguousarray(coef), lon0, lat0


@numba.njit(cache=True, fastmath=False, nogil=True, boundscheck=False)
def _invert(lat: np.ndarray, lon: np.ndarray, qlat: np.ndarray, qlon: np.ndarray, coef: np.ndarray,
            lon0: float, lat0: float, iterations: int, r_out: np.ndarray, c_out: np.ndarray) -> None:
    """Per output pixel: quadratic first guess, then Newton steps on the bilinear interpolant of the lookups."""
    rows, cols = lat.shape
    for i in range(qlat.size):
        y = (qlat[i] - lat0) * 100.0
        for j in range(qlon.size):
            x = (qlon[j] - lon0) * 100.0
            r = coef[0, 0] + coef[1, 0] * x + coef[2, 0] * y + coef[3, 0] * x * x + coef[4, 0] * x * y
            r += coef[5, 0] * y * y
            c = coef[0, 1] + coef[1, 1] * x + coef[2, 1] * y + coef[3, 1] * x * x + coef[4, 1] * x * y
            c += coef[5, 1] * y * y
            for _ in range(iterations):
                r = min(max(r, 0.0), rows - 1.0)
                c = min(max(c, 0.0), cols - 1.0)
                i0 = min(int(r), rows - 2)
                j0 = min(int(c), cols - 2)
                fr, fc = r - i0, c - j0
                a00, a01, a10, a11 = lat[i0, j0], lat[i0, j0 + 1], lat[i0 + 1, j0], lat[i0 + 1, j0 + 1]
                b00, b01, b10, b11 = lon[i0, j0], lon[i0, j0 + 1], lon[i0 + 1, j0], lon[i0 + 1, j0 + 1]
                e_lat = qlat[i] - ((1 - fr) * ((1 - fc) * a00 + fc * a01) + fr * ((1 - fc) * a10 + fc * a11))
                e_lon = qlon[j] - ((1 - fr) * ((1 - fc) * b00 + fc * b01) + fr * ((1 - fc) * b10 + fc * b11))
                a = (1 - fc) * (a10 - a00) + fc * (a11 - a01)  # d lat / d r
                b = (1 - fr) * (a01 - a00) + fr * (a11 - a10)  # d lat / d c
                d = (1 - fc) * (b10 - b00) + fc * (b11 - b01)  # d lon / d r
                e = (1 - fr) * (b01 - b00) + fr * (b11 - b10)  # d lon / d c
                det = a * e - b * d
                if det == 0.0:
                    break
                dr = (e * e_lat - b * e_lon) / det
                dc = (a * e_lon - d * e_lat) / det
                r += dr
                c += dc
                if abs(dr) < 1e-9 and abs(dc) < 1e-9:
                    break
            inside = (r >= -1e-6) and (r <= rows - 1 + 1e-6) and (c >= -1e-6) and (c <= cols - 1 + 1e-6)
            r_out[i, j] = r if inside else np.nan
            c_out[i, j] = c if inside else np.nan


def radar_coords(lat: np.ndarray, lon: np.ndarray, grid: GeoGrid, iterations: int = 6) -> RadarCoords:
    """Inverse-map ``grid`` to fractional radar coordinates of the lookup rasters ``lat``/``lon``.

    A quadratic least-squares fit of (row, col) against (lon, lat) on a subsample gives the first
    guess; Newton steps on the bilinear interpolant of the lookups (its exact Jacobian per cell) then
    solve ``lat(r, c) = lat_q, lon(r, c) = lon_q`` to well below 1e-3 pixel. One fused numba pass over
    the output grid, no temporaries. Output pixels whose solution falls outside the radar grid are NaN.
    """
    coef, lon0, lat0 = _first_guess(lat, lon)
    glon, glat = grid.centres()
    r_out = np.empty((grid.rows, grid.cols), np.float64)
    c_out = np.empty((grid.rows, grid.cols), np.float64)
    _invert(np.ascontiguousarray(lat, np.float64), np.ascontiguousarray(lon, np.float64), glat, glon,
            np.ascontiguousarray(coef), lon0, lat0, iterations, r_out, c_out)
    return RadarCoords(grid, r_out, c_out)


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _resample(values: np.ndarray, r: np.ndarray, c: np.ndarray, nearest: bool, nodata: float, out: np.ndarray) -> None:
    rows, cols = values.shape
    for i in range(r.shape[0]):
        for j in range(r.shape[1]):
            y, x = r[i, j], c[i, j]
            if not (y == y and x == x):  # outside the footprint
                out[i, j] = nodata
            elif nearest:
                out[i, j] = values[min(int(y + 0.5), rows - 1), min(int(x + 0.5), cols - 1)]
            else:
                i0, j0 = min(int(y), rows - 2), min(int(x), cols - 2)
                fy, fx = y - i0, x - j0
                v = (1 - fy) * ((1 - fx) * values[i0, j0] + fx * values[i0, j0 + 1]) + fy * (
                    (1 - fx) * values[i0 + 1, j0] + fx * values[i0 + 1, j0 + 1]
                )
                out[i, j] = nodata if v != v else v  # a NaN neighbour gives nodata


def radar_coords_reference(lat: np.ndarray, lon: np.ndarray, grid: GeoGrid, iterations: int = 4) -> RadarCoords:
    """Whole-array numpy version of :func:`radar_coords` (``map_coordinates``, gradient Jacobian): tests, benchmarks."""
    from scipy.ndimage import map_coordinates

    def bilinear(a: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        return map_coordinates(a, [r, c], order=1, mode="nearest", prefilter=False)

    rows, cols = lat.shape
    coef, lon0, lat0 = _first_guess(lat, lon)
    glon, glat = grid.centres()
    qlon, qlat = np.meshgrid(glon, glat)
    guess = _design(qlon, qlat, lon0, lat0) @ coef
    r, c = guess[..., 0], guess[..., 1]
    dlat_dr, dlat_dc = np.gradient(lat)
    dlon_dr, dlon_dc = np.gradient(lon)
    for _ in range(iterations):
        rq, cq = np.clip(r, 0, rows - 1), np.clip(c, 0, cols - 1)
        e_lat = qlat - bilinear(lat, rq, cq)
        e_lon = qlon - bilinear(lon, rq, cq)
        a, b = bilinear(dlat_dr, rq, cq), bilinear(dlat_dc, rq, cq)
        d, e = bilinear(dlon_dr, rq, cq), bilinear(dlon_dc, rq, cq)
        det = a * e - b * d
        det = np.where(det == 0, np.finfo(float).tiny, det)
        r = rq + (e * e_lat - b * e_lon) / det
        c = cq + (a * e_lon - d * e_lat) / det
    inside = (r >= -1e-6) & (r <= rows - 1 + 1e-6) & (c >= -1e-6) & (c <= cols - 1 + 1e-6)
    return RadarCoords(grid, np.where(inside, r, np.nan), np.where(inside, c, np.nan))


def geocode(values: np.ndarray, coords: RadarCoords, *, order: int = 1, nodata: float = np.nan) -> np.ndarray:
    """Resample a radar-grid layer onto the geocoded grid (bilinear ``order=1`` or nearest ``order=0``).

    Bilinear output is NaN (or ``nodata``) where any of the four neighbours is NaN; nearest keeps the
    dtype (labels). Outside the footprint: ``nodata``.
    """
    if values.shape[0] < 2 or values.shape[1] < 2:
        raise ValueError("geocode needs a radar grid of at least 2 x 2 pixels")
    if order == 0:
        out = np.empty(coords.rows.shape, values.dtype)
        _resample(np.ascontiguousarray(values), coords.rows, coords.cols, True, nodata, out)
        return out
    dtype = np.float64 if values.dtype == np.float64 else np.float32
    out = np.empty(coords.rows.shape, dtype)
    _resample(np.ascontiguousarray(values, dtype), coords.rows, coords.cols, False, nodata, out)
    return out


def geocode_wrapped(ifg: np.ndarray, coords: RadarCoords) -> np.ndarray:
    """Geocode a complex interferogram's phase (interpolating the phasor, not the wrapped angle)."""
    unit = np.where(np.abs(ifg) > 0, ifg / np.maximum(np.abs(ifg), 1e-30), 0)
    re = geocode(unit.real.astype(np.float32), coords)
    im = geocode(unit.imag.astype(np.float32), coords)
    out = np.arctan2(im, re).astype(np.float32)
    return np.where(np.isfinite(re) & ((re != 0) | (im != 0)), out, np.nan).astype(np.float32)

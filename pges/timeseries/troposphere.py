"""Tropospheric corrections of an interferogram stack: stratified (phase-elevation) and weather model.

Sign: the stack holds interferometric phase in radians, positive = range increase, interferogram
``(earlier i, later j)`` = ``phi_j - phi_i``. A one-way LOS delay ``tau`` (m) lengthens the range, so the
troposphere adds ``4 pi / lambda * (tau_j - tau_i)`` to the interferogram; correcting subtracts it.

**Stratified** (Doin et al. 2009, J. Appl. Geophys. 69, 35-50; Cavalie et al. 2007; MintPy's
``tropo_phase_elevation``): per interferogram, least squares ``phi = a + k h`` over the pixels that are
valid, have a height and lie outside the deforming mask, then ``phi - k h`` (``a`` goes with the
reference). Deformation correlated with topography (volcanoes) would bias ``k``: hence the mask.

**Weather model** (GACOS, Yu et al. 2018, JGR 123, 9202; RAiDER, Jolivet et al. 2014): a zenith total
delay (ZTD, m) grid per acquisition date is sampled at every pixel (bilinear; a RAiDER delay cube is also
interpolated in height with the DEM), mapped to the line of sight with ``1 / cos(incidence)`` and
differenced per interferogram. Formats: a GeoTIFF in metres (EPSG:4326; GACOS ``.ztd.tif``), GACOS
binary ``.ztd`` + ``.ztd.rsc``, and RAiDER's netCDF cube (``wet`` + ``hydro`` over heights ``z``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from rasterio.transform import Affine

from pges.errors import InputValidationError

__all__ = [
    "ZenithDelay",
    "delay_date",
    "read_zenith_delay",
    "stratified_correction",
    "weather_model_correction",
]

logger = logging.getLogger(__name__)

Pair = tuple[int, int]
_DATE = re.compile(r"(?<!\d)(\d{8})(?:T\d{6})?(?!\d)")


@dataclass
class ZenithDelay:
    """A zenith total delay grid (m) on lon/lat nodes, optionally a cube over heights."""

    path: Path
    day: date
    lon: np.ndarray  # (nx,) ascending, pixel centres
    lat: np.ndarray  # (ny,) ascending
    heights: np.ndarray | None  # (nz,) m, ascending; None for a 2-D grid
    ztd: np.ndarray  # (ny, nx) or (nz, ny, nx), metres, lat ascending

    def sample(self, lon: np.ndarray, lat: np.ndarray, height: np.ndarray | None = None) -> np.ndarray:
        """ZTD (m) at points (bilinear in lon/lat, linear in height). NaN more than one cell outside the grid.

        Points between the outermost nodes and the grid's edge (half a cell) take the edge value.

        Raises:
            InputValidationError: a cube without heights to sample it at.
        """
        from scipy.interpolate import RegularGridInterpolator

        lon = self._clamp(np.asarray(lon, np.float64), self.lon)
        lat = self._clamp(np.asarray(lat, np.float64), self.lat)

        if self.heights is None:
            f = RegularGridInterpolator((self.lat, self.lon), self.ztd, bounds_error=False, fill_value=np.nan)
            return np.asarray(f(np.column_stack([np.ravel(lat), np.ravel(lon)]))).reshape(np.shape(lon))
        if height is None:
            raise InputValidationError(f"{self.path.name}: a delay cube needs heights; set troposphere.dem")
        h = np.clip(np.ravel(height), self.heights[0], self.heights[-1])
        f = RegularGridInterpolator(
            (self.heights, self.lat, self.lon), self.ztd, bounds_error=False, fill_value=np.nan
        )
        return np.asarray(f(np.column_stack([h, np.ravel(lat), np.ravel(lon)]))).reshape(np.shape(lon))

    @staticmethod
    def _clamp(x: np.ndarray, nodes: np.ndarray) -> np.ndarray:
        step = abs(float(nodes[1] - nodes[0])) if nodes.size > 1 else 0.0
        lo, hi = float(nodes[0]), float(nodes[-1])
        inside = (x >= lo - step) & (x <= hi + step)
        return np.where(inside, np.clip(x, lo, hi), np.nan)


def delay_date(path: Path, tags: dict[str, str] | None = None) -> date:
    """Date of a delay grid: YYYYMMDD in its name, else the netCDF ``reference_time`` attribute.

    Raises:
        InputValidationError: neither gives a date.
    """
    m = _DATE.search(path.name)
    if m:
        try:
            return datetime.strptime(m.group(1), "%Y%m%d").date()
        except ValueError:
            pass
    ref = (tags or {}).get("NC_GLOBAL#reference_time")
    if ref:
        return datetime.fromisoformat(ref.strip()).date()
    raise InputValidationError(
        f"{path.name}: cannot tell the date of this delay grid; put YYYYMMDD in its file name"
    )


def _centres(transform: Affine, n: int, axis: str) -> np.ndarray:
    if axis == "x":
        return transform.c + transform.a * (np.arange(n) + 0.5)
    return transform.f + transform.e * (np.arange(n) + 0.5)


def _ascending(lat: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if lat[0] > lat[-1]:
        return lat[::-1], grid[..., ::-1, :]
    return lat, grid


def _read_netcdf_cube(path: Path) -> ZenithDelay:
    import rasterio

    layers = []
    heights = None
    tags: dict[str, str] = {}
    for name in ("wet", "hydro"):
        try:
            with rasterio.open(f"netcdf:{path}:{name}") as src:
                layers.append(src.read().astype(np.float64))
                tags = src.tags()
                transform, (ny, nx) = src.transform, src.shape
        except rasterio.errors.RasterioIOError as exc:
            raise InputValidationError(
                f"{path.name}: not a RAiDER delay cube (no '{name}' variable: {exc}); give a ZTD GeoTIFF instead"
            ) from exc
    z = tags.get("NETCDF_DIM_z_VALUES")
    if z:
        heights = np.array([float(v) for v in z.strip("{}").split(",")])
    ztd = layers[0] + layers[1]
    if heights is None or ztd.shape[0] == 1:
        ztd, heights = ztd[0], None
    lat, ztd = _ascending(_centres(transform, ny, "y"), ztd)
    return ZenithDelay(path, delay_date(path, tags), _centres(transform, nx, "x"), lat, heights, ztd)


def _read_gacos_binary(path: Path) -> ZenithDelay:
    from pges.readers.roipac import parse_rsc

    rsc = parse_rsc(Path(str(path) + ".rsc"))
    try:
        nx, ny = int(rsc["WIDTH"]), int(rsc["FILE_LENGTH"])
        x0, y0 = float(rsc["X_FIRST"]), float(rsc["Y_FIRST"])
        dx, dy = float(rsc["X_STEP"]), float(rsc["Y_STEP"])
    except (KeyError, ValueError) as exc:
        raise InputValidationError(f"{path.name}.rsc lacks {exc} (WIDTH, FILE_LENGTH, X/Y_FIRST, X/Y_STEP)") from exc
    data = np.fromfile(path, "<f4")
    if data.size != nx * ny:
        raise InputValidationError(f"{path.name}: {data.size} values, the .rsc says {nx}x{ny}")
    lon = x0 + dx * np.arange(nx)  # GACOS X_FIRST/Y_FIRST are node (pixel-is-point) coordinates
    lat, ztd = _ascending(y0 + dy * np.arange(ny), data.reshape(ny, nx).astype(np.float64))
    return ZenithDelay(path, delay_date(path), lon, lat, None, ztd)


def read_zenith_delay(path: Path) -> ZenithDelay:
    """Read one ZTD grid (GeoTIFF, GACOS ``.ztd``, RAiDER netCDF cube); values in metres.

    Raises:
        InputValidationError: unreadable, unknown format, no date, or values that are not metres of delay.
    """
    import rasterio

    path = Path(path)
    if not path.is_file():
        raise InputValidationError(f"{path}: weather-model delay file does not exist (troposphere.weather_model_files)")
    suffix = path.suffix.lower()
    if suffix in (".nc", ".nc4", ".h5"):
        zd = _read_netcdf_cube(path)
    elif suffix == ".ztd":
        zd = _read_gacos_binary(path)
    else:
        try:
            with rasterio.open(path) as src:
                grid = src.read(1).astype(np.float64)
                if src.nodata is not None:
                    grid[grid == src.nodata] = np.nan
                transform, (ny, nx) = src.transform, src.shape
        except rasterio.errors.RasterioIOError as exc:
            raise InputValidationError(
                f"{path.name}: not a readable delay grid ({exc}); supported: GeoTIFF, GACOS .ztd, RAiDER .nc"
            ) from exc
        lat, grid = _ascending(_centres(transform, ny, "y"), grid)
        zd = ZenithDelay(path, delay_date(path), _centres(transform, nx, "x"), lat, None, grid)
    finite = zd.ztd[np.isfinite(zd.ztd)]
    median = float(np.median(finite)) if finite.size else float("nan")
    if not (0.0 < median < 4.0):
        raise InputValidationError(
            f"{path.name}: median delay {median} is not a zenith delay in metres "
            "(expect ~2.3-3.4 m total or ~0.05-0.4 m wet)"
        )
    return zd


@dataclass
class CorrectionReport:
    """What a correction did: per interferogram numbers for the met.json, and the dates it used."""

    name: str
    per_ifg: list[dict[str, Any]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


def _rms(a: np.ndarray) -> float:
    f = a[np.isfinite(a)]
    return float(np.sqrt(np.mean((f - f.mean()) ** 2))) if f.size else float("nan")


def weather_model_correction(
    phase: np.ndarray,
    pairs: Sequence[Pair],
    dates: Sequence[date],
    delays: Sequence[ZenithDelay],
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    wavelength_m: float,
    incidence_deg: float | np.ndarray,
    height: np.ndarray | None = None,
) -> tuple[np.ndarray, CorrectionReport]:
    """Subtract ``4 pi / lambda * (tau_j - tau_i)`` with ``tau = ZTD / cos(incidence)`` from each interferogram.

    Args:
        phase: ``(n_ifg, rows, cols)`` rad, positive = range increase.
        pairs: ``(i, j)`` date indices, ``i < j``.
        dates: acquisition dates.
        delays: one :class:`ZenithDelay` per date (more are ignored).
        lon: ``(rows, cols)`` pixel-centre longitudes.
        lat: ``(rows, cols)`` pixel-centre latitudes.
        wavelength_m: radar wavelength.
        incidence_deg: incidence angle, scalar or ``(rows, cols)``.
        height: ``(rows, cols)`` m, for delay cubes.

    Raises:
        InputValidationError: a date without a delay grid, or a grid that does not cover the stack.
    """
    by_day = {d.day: d for d in delays}
    missing = [d.isoformat() for d in dates if d not in by_day]
    if missing:
        raise InputValidationError(
            f"no weather-model delay grid for {len(missing)} date(s) ({', '.join(missing[:5])}"
            f"{'...' if len(missing) > 5 else ''}); add them to troposphere.weather_model_files"
        )
    cos_inc = np.cos(np.deg2rad(incidence_deg))
    los = {}
    for d in dates:
        z = by_day[d].sample(lon, lat, height)
        if not np.isfinite(z).any():
            raise InputValidationError(f"{by_day[d].path.name}: the delay grid does not cover the stack")
        los[d] = z / cos_inc
    k = 4.0 * np.pi / wavelength_m
    out = np.array(phase, dtype=np.float64, copy=True)
    rep = CorrectionReport("weather_model", info={"files": {d.isoformat(): by_day[d].path.name for d in dates}})
    for n, (i, j) in enumerate(pairs):
        corr = k * (los[dates[j]] - los[dates[i]])
        before = _rms(out[n])
        out[n] = out[n] - corr
        rep.per_ifg.append({"rms_before_rad": round(before, 4), "rms_after_rad": round(_rms(out[n]), 4)})
    return out.astype(np.float32), rep


def stratified_correction(
    phase: np.ndarray, height: np.ndarray, exclude: np.ndarray, *, min_pixels: int = 50
) -> tuple[np.ndarray, CorrectionReport]:
    """Fit ``phi = a + k h`` per interferogram outside ``exclude`` and subtract ``k h``.

    Args:
        phase: ``(n_ifg, rows, cols)`` rad, NaN = no data.
        height: ``(rows, cols)`` m, NaN = unknown.
        exclude: ``(rows, cols)`` bool, pixels left out of the fit (deforming areas).
        min_pixels: fewer usable pixels than this leaves the interferogram uncorrected (and says so).

    Returns:
        The corrected stack and a report with ``k`` (rad/km) per interferogram.
    """
    h = np.asarray(height, dtype=np.float64)
    out = np.array(phase, dtype=np.float64, copy=True)
    rep = CorrectionReport("stratified")
    h_ref = float(np.nanmedian(h))
    for n in range(out.shape[0]):
        use = np.isfinite(out[n]) & np.isfinite(h) & ~exclude
        entry: dict[str, Any] = {"pixels": int(use.sum())}
        if use.sum() < min_pixels or np.ptp(h[use]) < 1.0:
            entry["k_rad_per_km"] = None
            logger.warning("stratified fit of interferogram %d skipped: %d usable pixels", n, int(use.sum()))
            rep.per_ifg.append(entry)
            continue
        G = np.column_stack([np.ones(int(use.sum())), h[use] - h_ref])
        (a, k), *_ = np.linalg.lstsq(G, out[n][use], rcond=None)
        before = _rms(out[n][use])
        out[n] = out[n] - k * np.where(np.isfinite(h), h - h_ref, 0.0)
        entry.update(k_rad_per_km=round(float(k) * 1000.0, 5), rms_before_rad=round(before, 4),
                     rms_after_rad=round(_rms(out[n][use]), 4))
        rep.per_ifg.append(entry)
    rep.info = {"height_reference_m": round(h_ref, 2), "pixels_excluded": int(exclude.sum())}
    return out.astype(np.float32), rep

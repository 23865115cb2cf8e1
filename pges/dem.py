"""Digital elevation models: find one that covers an area, read it, crop it, fill its voids, sample it.

Formats: SRTM ``.hgt`` tiles (named by their south-west corner, e.g. ``N40E014.hgt``: big-endian int16,
1201x1201 (3 arc-second) or 3601x3601 (1 arc-second) samples, pixel-is-point, -32768 = void) and any
GeoTIFF in EPSG:4326. The package ships two DEMs in ``pges/data/dem`` (see ``SOURCES.md`` there); pass
``parameters.dem=PATH`` for anywhere else. Heights are metres (SRTM: over the EGM96 geoid).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rasterio.transform import Affine

from pges.errors import InputValidationError

__all__ = ["DEM", "PACKAGED_DEM_DIR", "crop", "fill_voids", "find_dem", "load_dem", "read_dem", "sample"]

logger = logging.getLogger(__name__)

PACKAGED_DEM_DIR = Path(__file__).parent / "data" / "dem"
_HGT = re.compile(r"^([NS])(\d{2})([EW])(\d{3})\.hgt$", re.IGNORECASE)
_HGT_VOID = -32768


@dataclass
class DEM:
    """Heights (m, float32, NaN = void) on a regular lon/lat grid; ``transform`` maps pixel corners."""

    heights: np.ndarray
    transform: Affine
    source: str

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` of the pixel edges."""
        rows, cols = self.heights.shape
        west, north = self.transform @ (0, 0)
        east, south = self.transform @ (cols, rows)
        return (min(west, east), min(south, north), max(west, east), max(south, north))


def _hgt_corner(path: Path) -> tuple[float, float]:
    m = _HGT.match(path.name)
    if not m:
        raise InputValidationError(f"DEM {path}: an .hgt file must be named like N40E014.hgt")
    lat = int(m.group(2)) * (1 if m.group(1).upper() == "N" else -1)
    lon = int(m.group(4)) * (1 if m.group(3).upper() == "E" else -1)
    return float(lon), float(lat)


def _hgt_bounds(path: Path) -> tuple[float, float, float, float]:
    lon, lat = _hgt_corner(path)
    return (lon, lat, lon + 1.0, lat + 1.0)


def read_dem(path: Path) -> DEM:
    """Read an SRTM ``.hgt`` tile or a GeoTIFF (EPSG:4326) into a :class:`DEM` (voids as NaN).

    Raises:
        InputValidationError: missing, unreadable or not geographic.
    """
    path = Path(path)
    if not path.is_file():
        raise InputValidationError(f"DEM {path} does not exist; pass parameters.dem=PATH to an existing file")
    if path.suffix.lower() == ".hgt":
        lon, lat = _hgt_corner(path)
        n_bytes = path.stat().st_size
        side = int(round((n_bytes / 2) ** 0.5))
        if side * side * 2 != n_bytes or side not in (1201, 3601):
            raise InputValidationError(f"DEM {path} is not an SRTM tile (size {n_bytes} bytes)")
        raw = np.fromfile(path, dtype=">i2").reshape(side, side)
        heights = raw.astype(np.float32)
        heights[raw == _HGT_VOID] = np.nan
        res = 1.0 / (side - 1)
        # pixel-is-point: sample (0, 0) is centred on (lon, lat + 1)
        transform = Affine(res, 0.0, lon - res / 2, 0.0, -res, lat + 1.0 + res / 2)
        return DEM(heights, transform, str(path))
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        with rasterio.open(path) as src:
            if src.crs is None or not src.crs.is_geographic:
                raise InputValidationError(f"DEM {path} must be in geographic lon/lat (EPSG:4326), got {src.crs}")
            heights = src.read(1, masked=True).astype(np.float32).filled(np.nan)
            return DEM(heights, src.transform, str(path))
    except RasterioIOError as exc:
        raise InputValidationError(f"DEM {path} is corrupt or unreadable: {str(exc).splitlines()[0]}") from exc


def _covers(bounds: tuple[float, float, float, float], bbox: tuple[float, float, float, float]) -> bool:
    w, s, e, n = bounds
    return w <= bbox[0] and s <= bbox[1] and e >= bbox[2] and n >= bbox[3]


def _file_bounds(path: Path) -> tuple[float, float, float, float] | None:
    if path.suffix.lower() == ".hgt":
        return _hgt_bounds(path)
    if path.suffix.lower() in (".tif", ".tiff"):
        import rasterio

        with rasterio.open(path) as src:
            b = src.bounds
            return (b.left, b.bottom, b.right, b.top)
    return None


def find_dem(bbox: tuple[float, float, float, float], path: str | Path | None = None) -> Path:
    """Return a DEM file covering ``bbox`` (``[W, S, E, N]`` degrees): ``path`` or a packaged one.

    Raises:
        InputValidationError: ``path`` does not cover the bbox, or no packaged DEM does.
    """
    box = tuple(float(v) for v in bbox)
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise InputValidationError(f"DEM {p} does not exist; pass parameters.dem=PATH to an existing file")
        bounds = _file_bounds(p) or read_dem(p).bounds
        if not _covers(bounds, box):  # type: ignore[arg-type]
            raise InputValidationError(f"DEM {p} (bounds {bounds}) does not cover bbox {list(box)}")
        return p
    for candidate in sorted(PACKAGED_DEM_DIR.iterdir()):
        found = _file_bounds(candidate)
        if found is not None and _covers(found, box):  # type: ignore[arg-type]
            return candidate
    raise InputValidationError(
        f"no DEM covers bbox {[round(v, 4) for v in box]} (packaged: "
        f"{', '.join(sorted(p.name for p in PACKAGED_DEM_DIR.iterdir() if p.suffix != '.md'))}); "
        "pass parameters.dem=PATH"
    )


def crop(dem: DEM, bbox: tuple[float, float, float, float], margin_deg: float = 0.01) -> DEM:
    """Crop a DEM to ``bbox`` widened by ``margin_deg`` on every side (clipped to the DEM)."""
    inv = ~dem.transform
    w, s, e, n = bbox[0] - margin_deg, bbox[1] - margin_deg, bbox[2] + margin_deg, bbox[3] + margin_deg
    c0, r0 = inv @ (w, n)
    c1, r1 = inv @ (e, s)
    rows, cols = dem.heights.shape
    r0, c0 = max(int(np.floor(min(r0, r1))), 0), max(int(np.floor(min(c0, c1))), 0)
    r1, c1 = min(int(np.ceil(max(r0, r1))) + 1, rows), min(int(np.ceil(max(c0, c1))) + 1, cols)
    if r1 <= r0 or c1 <= c0:
        raise InputValidationError(f"DEM {dem.source} does not overlap bbox {list(bbox)}")
    transform = dem.transform @ Affine.translation(c0, r0)
    return DEM(dem.heights[r0:r1, c0:c1].copy(), transform, dem.source)


def fill_voids(heights: np.ndarray) -> np.ndarray:
    """Fill NaN voids with the height of the nearest valid sample (Euclidean distance transform).

    Raises:
        InputValidationError: the DEM has no valid sample at all.
    """
    void = ~np.isfinite(heights)
    if not void.any():
        return heights
    if void.all():
        raise InputValidationError("the DEM has no valid height over the area; pass parameters.dem=PATH")
    from scipy.ndimage import distance_transform_edt

    idx = distance_transform_edt(void, return_distances=False, return_indices=True)
    filled = heights[tuple(idx)]
    logger.info("filled %d DEM voids (%.2f%%)", int(void.sum()), 100.0 * void.mean())
    return filled.astype(np.float32)


def load_dem(bbox: tuple[float, float, float, float], path: str | Path | None = None, margin_deg: float = 0.02) -> DEM:
    """Find, read, crop and void-fill the DEM for ``bbox``."""
    dem = crop(read_dem(find_dem(bbox, path)), bbox, margin_deg)
    dem.heights = fill_voids(dem.heights)
    return dem


def sample(dem: DEM, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Bilinear heights (m) at points ``lon``, ``lat`` (degrees); NaN outside the DEM."""
    from scipy.ndimage import map_coordinates

    inv = ~dem.transform
    col, row = inv @ (lon, lat)
    # transform maps pixel corners; sample centres sit at +0.5
    coords = np.stack([np.asarray(row) - 0.5, np.asarray(col) - 0.5])
    return map_coordinates(dem.heights, coords, order=1, mode="constant", cval=np.nan).astype(np.float32)

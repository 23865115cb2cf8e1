"""Rasters on a projected grid (HyP3's UTM GeoTIFFs, a processor's export in any CRS) onto lon/lat (EPSG:4326).

sarlake's products are on lon/lat grids (``docs/contracts.md``). A GeoTIFF in another CRS is warped by GDAL
(``rasterio.warp.reproject``) onto the lon/lat grid GDAL proposes for it (``calculate_default_transform``: about
as many pixels, square in degrees), with **nearest-neighbour** resampling: every output pixel is a pixel of the
input, so an unwrapped phase keeps its whole-cycle steps and its no-data edge (bilinear would blend a 2 pi step
into a ramp and NaN into its neighbours), and coherence keeps its values. The coherence of a warped
interferogram is warped onto the interferogram's own lon/lat grid (:func:`warp_into`), so the two stay
pixel-for-pixel.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasterio.transform import Affine

__all__ = ["LONLAT", "is_lonlat", "lonlat_grid", "to_lonlat", "warp_into"]

logger = logging.getLogger(__name__)

LONLAT = "EPSG:4326"


def is_lonlat(crs: Any) -> bool:
    """True for EPSG:4326 (what the products use)."""
    return crs is not None and crs.to_epsg() == 4326


def warp_into(data: np.ndarray, crs: Any, transform: Affine, dst_transform: Affine,
              dst_shape: tuple[int, int]) -> np.ndarray:
    """``data`` (NaN = no data; complex: real and imaginary parts alike) on the lon/lat grid given, nearest pixel."""
    from rasterio.enums import Resampling
    from rasterio.warp import reproject

    if np.iscomplexobj(data):
        parts = [warp_into(np.where(data == 0, np.nan, part).astype(np.float32), crs, transform, dst_transform,
                           dst_shape) for part in (data.real, data.imag)]
        out = (parts[0] + 1j * parts[1]).astype(np.complex64)
        out[~np.isfinite(out)] = 0
        return out
    out = np.full(dst_shape, np.nan, np.float32)
    reproject(data.astype(np.float32), out, src_transform=transform, src_crs=crs, src_nodata=np.nan,
              dst_transform=dst_transform, dst_crs=LONLAT, dst_nodata=np.nan, resampling=Resampling.nearest)
    return out


def lonlat_grid(crs: Any, transform: Affine, shape: tuple[int, int]) -> tuple[Affine, tuple[int, int]]:
    """The lon/lat grid GDAL proposes for a raster of ``shape`` on ``transform`` in ``crs``: transform, shape."""
    from rasterio.transform import array_bounds
    from rasterio.warp import calculate_default_transform

    rows, cols = shape
    dst, width, height = calculate_default_transform(crs, LONLAT, cols, rows, *array_bounds(rows, cols, transform))
    return dst, (height, width)


def to_lonlat(data: np.ndarray, crs: Any, transform: Affine, *, what: str) -> tuple[np.ndarray, Affine]:
    """``data`` warped onto the lon/lat grid GDAL proposes for it (:func:`lonlat_grid`); returns it with its transform.

    Args:
        data: float (NaN = no data) or complex (0 = no data) band.
        crs: the band's CRS (any but EPSG:4326).
        transform: its geotransform.
        what: the file, named in the log.
    """
    dst, shape = lonlat_grid(crs, transform, data.shape)
    out = warp_into(data, crs, transform, dst, shape)
    logger.info("%s: warped from %s to %s (%dx%d -> %dx%d pixels, nearest neighbour)", what, crs, LONLAT,
                *data.shape, *shape)
    return out, dst

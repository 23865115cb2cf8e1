"""Simulator truth on a product's grid, geocoded independently of the PGE (GDAL's geolocation-array warp).

Checking a product against truth that went through the PGE's own geocoder would hide a geocoding bug (both
sides shift together). Here the truth is warped by GDAL (``rasterio.warp.reproject`` with
``src_geoloc_array``: the radar grid's per-pixel lon/lat), onto the transform and shape read from the product.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.warp import Resampling, reproject

from pges.raster import read_raster

WGS84 = CRS.from_epsg(4326)


def geocode_like(values: np.ndarray, lat: np.ndarray, lon: np.ndarray, product_tif: Path) -> np.ndarray:
    """``values`` on the radar grid with lookups ``lat``/``lon``, warped by GDAL onto ``product_tif``'s grid."""
    with rasterio.open(product_tif) as src:
        transform, shape = src.transform, src.shape
    out = np.full(shape, np.nan, np.float64)
    reproject(values.astype(np.float64), out, src_crs=WGS84, src_geoloc_array=np.stack([lon, lat]).astype(np.float64),
              dst_transform=transform, dst_crs=WGS84, dst_nodata=np.nan, resampling=Resampling.average)
    return out


def los_truth_mm(archive: Path, reference_id: str, secondary_id: str, product_tif: Path,
                 layer: str = "deformation_los_mm") -> np.ndarray:
    """A truth layer of the pair (reference minus secondary) on the product's grid.

    ``layer`` is a file in each SLC's ``truth/`` folder; ``"phase_rad"`` (the total simulated phase: deformation,
    delays, artefacts) is returned as the LOS displacement it means, ``-phase * wavelength / (4 pi)`` in mm
    (positive towards the satellite, as the products' ``los_displacement``).
    """
    lat = read_raster(archive / secondary_id / "lat.tif").astype(np.float64)
    lon = read_raster(archive / secondary_id / "lon.tif").astype(np.float64)
    ref, sec = (read_raster(archive / pid / "truth" / f"{layer}.tif").astype(np.float64)
                for pid in (reference_id, secondary_id))
    values = ref - sec
    if layer == "phase_rad":
        met = json.loads((archive / reference_id / f"{reference_id}.met.json").read_text())
        values = -values * float(met["properties"]["sarlake:wavelength_m"]) / (4 * np.pi) * 1000.0
    return geocode_like(values, lat, lon, product_tif)


def rmse_mm(los: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(RMSE after removing the median offset, share of pixels valid in both): the product is referenced to
    one point, so only the offset is free."""
    ok = np.isfinite(los) & np.isfinite(truth)
    diff = los[ok] - truth[ok]
    diff -= np.median(diff)
    return float(np.sqrt(np.mean(diff**2))), float(ok.mean())

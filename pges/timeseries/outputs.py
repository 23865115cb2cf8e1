"""Writers of the L3_TS product: a multi-band COG (``pges.raster.write_cog`` writes one band) and the figure."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rasterio.io import MemoryFile
from rasterio.shutil import copy as rio_copy
from rasterio.transform import Affine

__all__ = ["plot_velocity", "write_multiband_cog"]


def write_multiband_cog(
    path: Path,
    stack: np.ndarray,
    transform: Affine,
    *,
    nodata: float | None,
    descriptions: Sequence[str],
    units: str | None = None,
    crs: str = "EPSG:4326",
) -> Path:
    """Write ``(bands, rows, cols)`` as a Cloud-Optimized GeoTIFF (same options as ``pges.raster.write_cog``).

    A small local helper: the shared ``write_cog`` writes single-band rasters only.
    """
    bands, rows, cols = stack.shape
    profile = {
        "driver": "GTiff",
        "height": rows,
        "width": cols,
        "count": bands,
        "dtype": stack.dtype.name,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
    }
    with MemoryFile() as mem, mem.open(**profile) as tmp:
        tmp.write(stack)
        for b, desc in enumerate(descriptions, start=1):
            tmp.set_band_description(b, desc)
            if units:
                tmp.update_tags(b, units=units)
        rio_copy(
            tmp,
            str(path),
            driver="COG",
            COMPRESS="DEFLATE",
            BLOCKSIZE=256,
            OVERVIEW_RESAMPLING="AVERAGE",
            RESAMPLING="AVERAGE",
        )
    return path


def plot_velocity(
    path: Path,
    velocity: np.ndarray,
    transform: Affine,
    *,
    title: str,
    reference_rc: tuple[int, int] | None = None,
    stations: Sequence[tuple[str, float, float]] = (),
    sigma: np.ndarray | None = None,
) -> Path:
    """PNG of the velocity map (mm/yr, LOS, positive toward the satellite), with reference and stations."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, cols = velocity.shape
    west, north = transform @ (0, 0)
    east, south = transform @ (cols, rows)
    extent = (west, east, south, north)
    finite = velocity[np.isfinite(velocity)]
    lim = float(np.nanpercentile(np.abs(finite), 99)) if finite.size else 1.0
    ncol = 2 if sigma is not None else 1
    fig, axes = plt.subplots(1, ncol, figsize=(5.2 * ncol, 5.5), squeeze=False)
    ax = axes[0, 0]
    im = ax.imshow(velocity, cmap="RdBu_r", vmin=-lim, vmax=lim, extent=extent, interpolation="nearest")
    fig.colorbar(im, ax=ax, shrink=0.8, label="LOS velocity, mm/yr (+ toward satellite)")
    if reference_rc is not None:
        lon, lat = transform @ (reference_rc[1] + 0.5, reference_rc[0] + 0.5)
        ax.plot(lon, lat, "k^", ms=8, label="reference")
    for name, lon, lat in stations:
        ax.plot(lon, lat, "ks", ms=6)
        ax.annotate(name, (lon, lat), xytext=(3, 3), textcoords="offset points", fontsize=8)
    ax.ticklabel_format(useOffset=False)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(title, fontsize=9)
    if reference_rc is not None:
        ax.legend(loc="lower right", fontsize=7)
    if sigma is not None:
        ax2 = axes[0, 1]
        im2 = ax2.imshow(
            sigma,
            cmap="magma",
            extent=extent,
            interpolation="nearest",
            vmax=float(np.nanpercentile(sigma, 99)) if np.isfinite(sigma).any() else None,
        )
        fig.colorbar(im2, ax=ax2, shrink=0.8, label="1-sigma, mm/yr")
        ax2.set_title("velocity uncertainty", fontsize=9)
        ax2.ticklabel_format(useOffset=False)
        ax2.set_xlabel("longitude")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

"""``pges.raster.write_cog`` writes the file GDAL's COG driver writes when it builds the overviews itself.

write_cog builds the overviews on its in-memory source (cheaper than the driver's temporary overview file);
the truth here is the driver's own output for the same array and options, written with rasterio directly.
"""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.io import MemoryFile
from rasterio.shutil import copy as rio_copy
from rasterio.transform import from_origin

from pges.raster import cog_overview_factors, write_cog

TRANSFORM = from_origin(150.9, -33.8, 0.0001, 0.0001)


def _driver_cog(path: Path, array: np.ndarray, nodata: float | int, resampling: str, blocksize: int) -> None:
    """The COG driver building its own overviews (no overviews on the source)."""
    profile = {"driver": "GTiff", "height": array.shape[0], "width": array.shape[1], "count": 1,
               "dtype": array.dtype.name, "crs": "EPSG:4326", "transform": TRANSFORM, "nodata": nodata}
    with MemoryFile() as mem, mem.open(**profile) as tmp:
        tmp.write(array, 1)
        tmp.set_band_description(1, "band")
        rio_copy(tmp, str(path), driver="COG", COMPRESS="DEFLATE", BLOCKSIZE=blocksize,
                 OVERVIEW_RESAMPLING=resampling.upper(), RESAMPLING=resampling.upper())


@pytest.mark.parametrize("shape", [(100, 80), (512, 512), (513, 300), (768, 1024), (300, 1100)])
@pytest.mark.parametrize(("dtype", "resampling", "blocksize"), [("float32", "average", 256),
                                                                 ("uint16", "nearest", 256),
                                                                 ("float32", "average", 512)])
def test_write_cog_is_the_drivers_own_file(tmp_path: Path, shape: tuple[int, int], dtype: str, resampling: str,
                                           blocksize: int) -> None:
    rng = np.random.default_rng(sum(shape))
    if dtype == "float32":
        array = rng.normal(0, 1, shape).astype(np.float32)
        array[: shape[0] // 3, : shape[1] // 4] = np.nan  # a no-data corner the average must skip
        nodata: float | int = float("nan")
    else:
        array = rng.integers(0, 5, shape).astype(np.uint16)
        nodata = 0
    write_cog(tmp_path / "ours.tif", array, TRANSFORM, nodata=nodata, resampling=resampling,
              description="band", blocksize=blocksize)
    _driver_cog(tmp_path / "driver.tif", array, nodata, resampling, blocksize)
    assert filecmp.cmp(tmp_path / "ours.tif", tmp_path / "driver.tif", shallow=False)
    with rasterio.open(tmp_path / "ours.tif") as src:
        assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert src.overviews(1) == cog_overview_factors(*shape, blocksize)
        np.testing.assert_array_equal(src.read(1), array)


def test_overview_factors_halve_until_one_block() -> None:
    # GDAL's COG driver: (513, 300) -> one level (513 // 2 = 256 fits a 256 block); 4100 -> 2050, 1025, 512, 256
    assert cog_overview_factors(256, 256) == []
    assert cog_overview_factors(513, 300) == [2]
    assert cog_overview_factors(300, 4100) == [2, 4, 8, 16]
    assert cog_overview_factors(2049, 1100, 512) == [2, 4]

"""The ``unwrap`` PGE against truth: an analytic unwrapped field is wrapped, unwrapped by the PGE and compared.

Truth: a 45 rad Gaussian bowl plus a ramp on a 160 x 160 lon/lat grid, with phase noise whose size follows a
coherence map, and a 24 x 24 patch of pure noise (coherence 0.05) that must end up outside every connected
component. The reported unwrapped share must be the share of pixels in connected components.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from pges.contract import RunConfig, parse_run_config
from pges.errors import InputValidationError
from pges.runner import execute
from pges.unwrap.config import UnwrapParameters
from pges.unwrap.pge import multilook, run

WL = 0.05546576
N = 160
PATCH = (slice(20, 44), slice(110, 134))


def _truth() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    r, c = np.mgrid[0:N, 0:N].astype(np.float64)
    truth = 45.0 * np.exp(-((r - 90) ** 2 + (c - 70) ** 2) / (2 * 28.0**2)) + 0.04 * c
    coh = np.full((N, N), 0.85)
    coh[:, 100:108] = 0.4  # a less coherent stripe
    coh[PATCH] = 0.05
    noise = rng.normal(0.0, 1.0, (N, N)) * np.sqrt(1 - coh**2) / coh / 2.5
    observed = truth + noise
    observed[PATCH] = rng.uniform(-np.pi, np.pi, (24, 24))  # no signal at all
    return truth, observed, coh.astype(np.float32)


def _write(tmp: Path) -> tuple[Path, np.ndarray]:
    truth, observed, coh = _truth()
    ifg = (1.0 * np.exp(1j * observed)).astype(np.complex64)
    profile = {"driver": "GTiff", "height": N, "width": N, "count": 1, "crs": "EPSG:4326",
               "transform": from_origin(14.0, 41.0, 0.0005, 0.0005)}
    path = tmp / "ifg_20200101-20200113.tif"
    with rasterio.open(path, "w", dtype="complex64", **profile) as dst:
        dst.write(ifg, 1)
        dst.update_tags(WAVELENGTH=str(WL))
    with rasterio.open(tmp / "ifg_20200101-20200113_cc.tif", "w", dtype="float32", **profile) as dst:
        dst.write(coh, 1)
    return path, truth


def _run(tmp: Path, path: Path, **params) -> dict:
    cfg = parse_run_config(RunConfig[UnwrapParameters], {  # type: ignore[misc]
        "pge": "unwrap", "inputs": [str(path)], "output_dir": str(tmp / "out"), "parameters": params}, pge="unwrap")
    return execute("unwrap", cfg, run)


def _read(folder: Path, name: str) -> np.ndarray:
    with rasterio.open(folder / name) as ds:
        return ds.read(1)


@pytest.mark.parametrize("method", ["snaphu", "quality"])
def test_unwrap_recovers_the_analytic_field(tmp_path: Path, method: str) -> None:
    path, truth = _write(tmp_path)
    result = _run(tmp_path, path, looks_range=2, looks_azimuth=2, min_coherence=0.1, unwrap={"method": method})
    met = Path(result["products"][0]["met_uri"])
    folder = met.parent
    item = json.loads(met.read_text())
    assert {"unwrapped_phase", "connected_components", "coherence", "amplitude", "los_displacement",
            "wrapped_phase", "browse"} <= set(item["assets"])
    phase = _read(folder, "unwrapped_phase.tif")
    cc = _read(folder, "connected_components.tif")
    assert phase.shape == (N // 2, N // 2)
    truth_ml = multilook(truth, 2, 2)
    inside = cc > 0
    diff = phase[inside] - truth_ml[inside]
    offset = np.median(diff)
    err = np.abs(diff - offset)
    assert np.mean(err > np.pi) < 0.005  # fewer than 0.5 % of pixels off by a cycle
    assert np.sqrt(np.mean(err[err < np.pi] ** 2)) < 0.35  # rad: the noise left after 4 looks
    # the pure-noise patch is outside every component; the reported share is the share in components
    patch_ml = (slice(PATCH[0].start // 2, PATCH[0].stop // 2), slice(PATCH[1].start // 2, PATCH[1].stop // 2))
    assert not cc[patch_ml].any()
    assert item["properties"]["sarlake:unwrapped_fraction"] == pytest.approx(inside.mean(), abs=1e-4)
    assert 0.85 < inside.mean() < 0.99
    los = _read(folder, "los_displacement.tif")
    np.testing.assert_allclose(los[inside], -phase[inside] * WL / (4 * np.pi) * 1000, rtol=1e-5)
    props = item["properties"]
    assert props["sar:looks_range"] == 2 and props["sarlake:unwrap_method"] == method
    assert props["sarlake:source_coherence_file"] == "ifg_20200101-20200113_cc.tif"
    assert props["sarlake:product_type"] == "L2_IFG" and props["sarlake:flags"] == []
    assert props["sarlake:reference_date"] == "2020-01-13"
    assert item["bbox"] == pytest.approx([14.0, 41.0 - N * 0.0005, 14.0 + N * 0.0005, 41.0])


def test_other_looks_make_another_product_and_unwrapped_input_is_refused(tmp_path: Path) -> None:
    path, _ = _write(tmp_path)
    a = _run(tmp_path, path, looks_range=4, looks_azimuth=4)["products"][0]["id"]
    b = _run(tmp_path, path, looks_range=2, looks_azimuth=4)["products"][0]["id"]
    assert a != b and a.startswith("EXT-GEOTIFF-ifg_20200101-20200113-20200113_20200101-UNW-")
    (tmp_path / "other").mkdir()
    unw = tmp_path / "other" / "unw_20200101-20200113.tif"
    profile = {"driver": "GTiff", "height": 8, "width": 8, "count": 1, "crs": "EPSG:4326", "dtype": "float32",
               "transform": from_origin(14.0, 41.0, 0.0005, 0.0005)}
    with rasterio.open(unw, "w", **profile) as dst:
        dst.write(np.ones((8, 8), np.float32), 1)
        dst.update_tags(WAVELENGTH=str(WL))
    with pytest.raises(InputValidationError, match="already unwrapped.*sarlake ingest"):
        _run(tmp_path, unw)


@pytest.mark.parametrize("name", ["unwrapped.tif", "unw_20200101-20200113.tif"])
def test_an_unwrapped_geotiff_is_refused_for_what_it_is_before_its_dates_and_wavelength(tmp_path: Path,
                                                                                         name: str) -> None:
    """A float GeoTIFF with no dates in its name or tags, and no wavelength, was refused for its dates."""
    unw = tmp_path / name
    profile = {"driver": "GTiff", "height": 8, "width": 8, "count": 1, "crs": "EPSG:4326", "dtype": "float32",
               "transform": from_origin(14.0, 41.0, 0.0005, 0.0005)}
    with rasterio.open(unw, "w", **profile) as dst:
        dst.write(np.ones((8, 8), np.float32), 1)
    with pytest.raises(InputValidationError, match=rf"^{name}: is already unwrapped; catalogue it with "
                                                   rf"`sarlake ingest {name}`$"):
        _run(tmp_path, unw)


def test_a_geotiff_neither_complex_nor_float_is_still_refused_for_its_data_type(tmp_path: Path) -> None:
    path = tmp_path / "ifg_20200101-20200113.tif"
    profile = {"driver": "GTiff", "height": 8, "width": 8, "count": 1, "crs": "EPSG:4326", "dtype": "int16",
               "transform": from_origin(14.0, 41.0, 0.0005, 0.0005)}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.ones((8, 8), np.int16), 1)
    with pytest.raises(InputValidationError, match="data type int16"):
        _run(tmp_path, path)

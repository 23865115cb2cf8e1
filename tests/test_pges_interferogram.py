"""simulate + interferogram end to end on a small Vesuvius pair, checked against the simulator's truth."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from sim_truth import los_truth_mm, rmse_mm

from pges.cli import main
from pges.interferogram.config import InterferogramParameters
from pges.interferogram.form import form_multilook, form_multilook_numpy
from pges.interferogram.geocode import geocode, geogrid_for, multilook_mean, radar_coords, radar_coords_reference
from pges.interferogram.goldstein import goldstein, goldstein_reference
from pges.interferogram.pge import process_pair
from pges.raster import read_raster

BBOX = [14.40, 40.78, 14.46, 40.83]
DATES = [("S1_044A_20240103", "2024-01-03T05:00:00Z"), ("S1_044A_20240702", "2024-07-02T05:00:00Z"),
         ("S1_044A_20240714", "2024-07-14T05:00:00Z")]
# strong bowl: ~ -100 mm LOS over the half-year pair, several fringes to unwrap
DEFO = [{"kind": "gaussian", "rate_mm_per_yr": -250.0, "sigma_m": 1500.0}]


def _sim(out: Path, acqs, **extra) -> dict:
    params = {"bbox": BBOX, "track": 44, "direction": "A", "frame": "F0440", "aoi": "vesuvius",
              "acquisitions": [{"id": i, "start_time": t} for i, t in acqs], "deformation": DEFO, **extra}
    res = out.parent / f"{out.name}-res.json"
    cfg = {"pge": "simulate", "output_dir": str(out), "parameters": params}
    assert main(["simulate", "--run-config-json", json.dumps(cfg), "--result-file", str(res)]) == 0
    return json.loads(res.read_text())


def _ifg(inputs, out: Path, res: Path, **params) -> int:
    cfg = {"pge": "interferogram", "run_id": "t", "inputs": [str(i) for i in inputs], "output_dir": str(out),
           "parameters": params}
    return main(["interferogram", "--run-config-json", json.dumps(cfg), "--result-file", str(res)])


def _met(archive: Path, pid: str) -> Path:
    return archive / pid / f"{pid}.met.json"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("ifg")
    with pytest.MonkeyPatch.context() as mp:  # restored when the module's tests are done
        mp.setenv("SARLAKE_HOME", str(root / "home"))
        archive = root / "archive"
        _sim(archive, DATES[:2], atmosphere={"turbulence_mm": 0.0})
        res = root / "res.json"
        assert _ifg([_met(archive, DATES[0][0]), _met(archive, DATES[1][0])], root / "ifg", res) == 0
        result = json.loads(res.read_text())
        yield root, archive, result


def test_simulate_same_date_identical_across_runs(tmp_path: Path, sarlake_home: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _sim(a, [DATES[0], DATES[1]])
    _sim(b, [DATES[2], DATES[1]])  # other dates in the run, other order
    pid = DATES[1][0]
    for name in ("slc.tif", "lat.tif", "lon.tif", "dem.tif", "truth/phase_rad.tif", "truth/deformation_los_mm.tif"):
        assert (a / pid / name).read_bytes() == (b / pid / name).read_bytes(), name
    ma, mb = (json.loads(_met(x, pid).read_text()) for x in (a, b))
    assert ma["properties"]["sarlake:perpendicular_baseline_m"] == mb["properties"]["sarlake:perpendicular_baseline_m"]
    assert ma["properties"]["sarlake:grid"] == mb["properties"]["sarlake:grid"]
    # idempotent: a re-run skips what exists and leaves it untouched
    mtime = (a / pid / "slc.tif").stat().st_mtime_ns
    again = _sim(a, [DATES[1]])
    assert again["products"][0]["skipped"] is True and (a / pid / "slc.tif").stat().st_mtime_ns == mtime
    # truth is the SLC phase: with rho = 1 the interferogram phase equals the truth difference
    c = tmp_path / "c"
    _sim(c, DATES[:2], noise={"coherence": 1.0})
    s0, s1 = (read_raster(c / p / "slc.tif") for p, _ in DATES[:2])
    t0, t1 = (read_raster(c / p / "truth/phase_rad.tif") for p, _ in DATES[:2])
    err = np.angle(s1 * np.conj(s0) * np.exp(-1j * (t1.astype(np.float64) - t0)))
    assert np.abs(err).max() < 1e-3
    d = read_raster(c / DATES[1][0] / "truth/deformation_los_mm.tif")
    assert d.min() < -50  # the bowl is there (LOS towards the satellite negative = subsidence)


def test_products_are_valid_cogs(world) -> None:
    root, archive, result = world
    (product,) = result["products"]
    met = Path(product["met_uri"])
    item = json.loads(met.read_text())
    assert item["id"].startswith("S1-GUNW-A-R-044-tops-20240702_20240103-050000-")
    assert item["id"].endswith("-v0_1_0") and "-PP-" in item["id"]
    props = item["properties"]
    assert props["sarlake:product_type"] == "L2_IFG" and props["sarlake:temporal_baseline_days"] == 181
    assert 0.5 < props["sarlake:coherence_mean"] <= 1 and props["sarlake:unwrapped_fraction"] > 0.9
    names = {"unwrapped_phase", "coherence", "connected_components", "amplitude", "los_displacement", "wrapped_phase"}
    assert names | {"browse"} <= set(item["assets"])
    for name in names:
        with rasterio.open(met.parent / item["assets"][name]["href"]) as src:
            assert src.crs.to_epsg() == 4326, name
            assert src.nodata is not None, name
            if name == "connected_components":  # labels: 0 = not unwrapped / outside the swath
                assert src.dtypes[0] == "uint16" and src.nodata == 0
            else:
                assert src.dtypes[0] == "float32" and np.isnan(src.nodata), name
            assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
            assert src.block_shapes[0] == (256, 256), name  # COG tiles
            assert src.driver == "GTiff"
    # titles name the band's units unless it has none (they read "coherence (1)")
    titles = {name: item["assets"][name]["title"] for name in ("coherence", "amplitude", "los_displacement")}
    assert titles == {"coherence": "coherence", "amplitude": "amplitude (geometric mean of the SLCs)",
                      "los_displacement": "LOS displacement, positive towards the satellite (mm)"}
    assert (met.parent / "browse.png").read_bytes()[:4] == b"\x89PNG"


def test_los_matches_truth(world) -> None:
    """LOS displacement against the deformation truth geocoded by GDAL, not by the PGE's geocoder.

    RMSE 0.67 mm here; a flipped sign gives 53 mm, a factor 2 26 mm, the product shifted by one column 1.5 mm
    and by two rows 4.9 mm: the 1.2 mm bound catches each of them.
    """
    root, archive, result = world
    tif = Path(result["products"][0]["met_uri"]).parent / "los_displacement.tif"
    truth = los_truth_mm(archive, DATES[1][0], DATES[0][0], tif)
    with rasterio.open(tif) as src:
        los = src.read(1)
    rmse, valid = rmse_mm(los, truth)
    assert valid > 0.5
    assert np.nanmax(truth) - np.nanmin(truth) > 50  # a real signal, several fringes
    assert rmse < 1.2, rmse


def test_the_products_los_file_read_back_by_another_reader_keeps_its_sign(world, tmp_path: Path) -> None:
    """The product's ``los_displacement.tif`` (mm, "positive towards the satellite") read as an input, as a user
    ingesting it would, against the deformation truth. It was read with PyRate's sign (mm positive away from the
    satellite), so its displacement came back upside down: RMSE 53 mm, against 0.67 mm for the file itself."""
    import shutil

    from pges.readers import read_interferogram

    root, archive, result = world
    tif = Path(result["products"][0]["met_uri"]).parent / "los_displacement.tif"
    named = shutil.copy(tif, tmp_path / "ifg_20240103-20240702_los_displacement.tif")  # the dates a reader needs
    ifg = read_interferogram(named, wavelength_m=0.0555)
    truth = los_truth_mm(archive, DATES[1][0], DATES[0][0], tif)
    rmse, valid = rmse_mm(ifg.los_displacement_mm(), truth)
    assert valid > 0.5 and rmse < 1.2, rmse


def test_the_product_carries_the_dem_it_was_made_on_and_qa_reads_it(world) -> None:
    """``dem.tif`` against the reference SLC's DEM warped by GDAL onto the product grid (not the PGE's geocoder).

    Vesuvius rises ~1,200 m over this box. RMSE 5.6 m here; the same DEM shifted by one column gives 13 m, so
    the 9 m bound catches a pixel of misregistration.
    """
    from sim_truth import geocode_like

    from pges.qa.score import read_product_folder

    root, archive, result = world
    folder = Path(result["products"][0]["met_uri"]).parent
    item = json.loads(next(folder.glob("*.met.json")).read_text())
    assert item["assets"]["dem"]["href"] == "dem.tif"
    ref = archive / DATES[1][0]
    lat, lon = (read_raster(ref / f"{n}.tif").astype(np.float64) for n in ("lat", "lon"))
    truth = geocode_like(read_raster(ref / "dem.tif").astype(np.float64), lat, lon, folder / "dem.tif")
    with rasterio.open(folder / "dem.tif") as src:
        dem = src.read(1).astype(np.float64)
        assert src.dtypes[0] == "float32" and np.isnan(src.nodata) and src.crs.to_epsg() == 4326
    ok = np.isfinite(dem) & np.isfinite(truth)
    assert ok.mean() > 0.5
    assert np.nanmax(truth) - np.nanmin(truth) > 500  # the volcano is in the box
    err = dem[ok] - truth[ok]
    assert np.sqrt(np.mean(err**2)) < 9, np.sqrt(np.mean(err**2))
    features = read_product_folder(folder).features()
    assert "dem" not in features.missing and np.isfinite(features.values["dem_correlation"])


def test_noise_free_pair_unwraps_exactly(tmp_path: Path, sarlake_home: Path) -> None:
    arch = tmp_path / "a"
    _sim(arch, DATES[:2], noise={"coherence": 1.0})
    s0, s1 = (read_raster(arch / pid / "slc.tif") for pid, _ in DATES[:2])
    t0, t1 = (read_raster(arch / pid / "truth/phase_rad.tif").astype(np.float64) for pid, _ in DATES[:2])
    p = InterferogramParameters(filter={"strength": 0.0})
    arrays = process_pair(s1, s0, p)
    # what a perfect unwrapper recovers: the intensity-weighted multilook of the true phase difference
    la, lr = p.looks_azimuth, p.looks_range
    dphi = t1 - t0
    mean = multilook_mean(dphi, la, lr)
    rows, cols = mean.shape[0] * la, mean.shape[1] * lr
    w = (np.abs(s0) * np.abs(s1)).astype(np.float64)[:rows, :cols]
    resid = np.exp(1j * (dphi[:rows, :cols] - np.repeat(np.repeat(mean, la, 0), lr, 1)))
    truth = mean + np.angle(multilook_mean(w * resid, la, lr))
    r, c = arrays.reference_rc
    h = p.reference.window // 2
    truth = truth - truth[r - h : r + h + 1, c - h : c + h + 1].mean()
    err = arrays.unwrapped - truth
    assert np.isfinite(arrays.unwrapped).all()
    assert np.ptp(truth) > 4 * np.pi
    assert np.abs(err).max() < 1e-3


def test_bad_inputs_exit_2(world, tmp_path: Path) -> None:
    root, archive, _ = world
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(archive, bad)
    m0, m1 = _met(bad, DATES[0][0]), _met(bad, DATES[1][0])
    res = tmp_path / "res.json"
    # corrupt raster, caught by the checksum
    slc = bad / DATES[1][0] / "slc.tif"
    slc.write_bytes(slc.read_bytes()[:5000])
    cfg = {"pge": "interferogram", "inputs": [str(m0), str(m1)], "output_dir": str(tmp_path / "o"), "parameters": {}}
    proc = subprocess.run([sys.executable, "-m", "pges", "interferogram", "--run-config-json", json.dumps(cfg)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and str(slc) in proc.stderr and "sha256" in proc.stderr
    # the same without checksums: the reader names the file
    assert _ifg([m0, m1], tmp_path / "o", res, verify_checksums=False) == 2
    msg = json.loads(res.read_text())["error"]["message"]
    assert str(slc) in msg and "corrupt" in msg
    assert not (tmp_path / "o").exists()
    # all-zero SLC: no coherence
    from pges.raster import write_radar

    write_radar(slc, np.zeros(read_raster(bad / DATES[0][0] / "slc.tif").shape, np.complex64))
    assert _ifg([m0, m1], tmp_path / "o", res, verify_checksums=False) == 2
    assert "coherence" in json.loads(res.read_text())["error"]["message"]
    # not coregistered: another frame
    other = tmp_path / "other"
    cfg_params = {"bbox": BBOX, "track": 44, "direction": "A", "frame": "F0440", "posting_m": 50.0,
                  "acquisitions": [{"id": "X_20240110", "start_time": "2024-01-10T05:00:00Z"}]}
    assert main(["simulate", "--run-config-json", json.dumps({"pge": "simulate", "output_dir": str(other),
                                                              "parameters": cfg_params})]) == 0
    assert _ifg([_met(archive, DATES[0][0]), _met(other, "X_20240110")], tmp_path / "o", res) == 2
    assert "not coregistered" in json.loads(res.read_text())["error"]["message"]
    # a missing input
    assert _ifg([m0, tmp_path / "nope.met.json"], tmp_path / "o", res) == 2
    assert "nope.met.json" in json.loads(res.read_text())["error"]["message"]


def test_rerun_gives_same_id(world, tmp_path: Path) -> None:
    root, archive, result = world
    res = tmp_path / "res.json"
    assert _ifg([_met(archive, DATES[1][0]), _met(archive, DATES[0][0])], root / "ifg", res) == 0
    assert json.loads(res.read_text())["products"][0]["id"] == result["products"][0]["id"]


def test_form_kernel_matches_numpy() -> None:
    rng = np.random.default_rng(1)
    a = (rng.standard_normal((61, 50)) + 1j * rng.standard_normal((61, 50))).astype(np.complex64)
    b = (0.7 * a + 0.5 * (rng.standard_normal((61, 50)) + 1j * rng.standard_normal((61, 50)))).astype(np.complex64)
    for x, y in zip(form_multilook(a, b, 4, 3), form_multilook_numpy(a, b, 4, 3), strict=True):
        assert x.shape == (15, 16)
        np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-5)
    _, coh, _ = form_multilook(a, a, 3, 3)
    np.testing.assert_allclose(coh, 1.0, atol=1e-5)


def test_goldstein_matches_reference_and_denoises() -> None:
    rng = np.random.default_rng(2)
    y, x = np.mgrid[:150, :170]
    phase = 0.2 * x + 0.001 * y**2
    noise = rng.standard_normal(x.shape) + 1j * rng.standard_normal(x.shape)
    noisy = (np.exp(1j * phase) + 0.6 * noise).astype(np.complex64)
    fast, ref = goldstein(noisy, 0.6, 32), goldstein_reference(noisy, 0.6, 32)
    np.testing.assert_allclose(fast, ref, atol=1e-4)
    before = np.angle(noisy * np.exp(-1j * phase)).std()
    after = np.angle(fast * np.exp(-1j * phase)).std()
    assert after < 0.5 * before
    assert goldstein(noisy, 0.0) is noisy or np.array_equal(goldstein(noisy, 0.0), noisy)


def test_geocode_inverts_lookups() -> None:
    rows, cols = 120, 140
    r, c = np.mgrid[:rows, :cols].astype(np.float64)
    h = np.deg2rad(-10)
    lon = 14.4 + (r * np.sin(h) + c * np.cos(h)) * 1e-3 + 1e-7 * c**2
    lat = 40.8 + (r * np.cos(h) - c * np.sin(h)) * 1e-3
    grid = geogrid_for(lat, lon, 0.002)
    coords = radar_coords(lat, lon, grid)
    glon, glat = grid.centres()
    qlon, qlat = np.meshgrid(glon, glat)
    ok = coords.inside
    assert ok.mean() > 0.5
    # the geocoded lookups give back the grid coordinates
    np.testing.assert_allclose(geocode(lon, coords)[ok], qlon[ok], atol=1e-8)
    np.testing.assert_allclose(geocode(lat, coords)[ok], qlat[ok], atol=1e-8)


def test_bad_inputs_named_clearly(world, tmp_path: Path) -> None:
    """Size disagreeing with the met.json, no overlap, all-NaN coherence: exit 2, the file and the problem named."""
    import shutil

    from pges.raster import write_radar

    root, archive, _ = world
    res = tmp_path / "res.json"

    def fresh(name: str) -> tuple[Path, Path]:
        bad = tmp_path / name
        shutil.copytree(archive, bad)
        return _met(bad, DATES[0][0]), _met(bad, DATES[1][0])

    def error(code_inputs, **params) -> str:
        assert _ifg(code_inputs, tmp_path / "o", res, **params) == 2
        out = json.loads(res.read_text())
        assert out["exit_code"] == 2 and out["error"]["code"] == "INVALID_INPUT"
        assert not (tmp_path / "o").exists()
        return out["error"]["message"]

    # the SLC raster is smaller than the sarlake:grid shape its met.json declares
    m0, m1 = fresh("size")
    slc = m1.parent / "slc.tif"
    shape = read_raster(slc).shape
    write_radar(slc, np.ones((shape[0] - 7, shape[1]), np.complex64))
    msg = error([m0, m1], verify_checksums=False)
    assert str(slc) in msg and f"{shape[0] - 7}x{shape[1]}" in msg and f"expected {shape[0]}x{shape[1]}" in msg
    assert m1.name in msg  # which product declared the other size
    # a lookup raster of the wrong size
    m0, m1 = fresh("lookup")
    lat = m1.parent / "lat.tif"
    write_radar(lat, np.ones((5, 5), np.float32))
    msg = error([m1, m0], verify_checksums=False)
    assert str(lat) in msg and "5x5" in msg
    # no overlap: the secondary's footprint moved far away
    m0, m1 = fresh("overlap")
    item = json.loads(m0.read_text())
    item["bbox"] = [b + 5.0 for b in item["bbox"]]
    m0.write_text(json.dumps(item))
    msg = error([m0, m1])
    assert "do not overlap" in msg and str(m0) in msg and str(m1) in msg
    # all-NaN coherence: an SLC full of NaN (in a real subprocess: exit code 2 and the message on stderr)
    m0, m1 = fresh("nan")
    write_radar(m0.parent / "slc.tif", np.full(shape, np.nan + 1j * np.nan, np.complex64))
    proc = subprocess.run([sys.executable, "-m", "pges", "interferogram", "--run-config-json",
                           json.dumps({"pge": "interferogram", "inputs": [str(m0), str(m1)],
                                       "output_dir": str(tmp_path / "o"),
                                       "parameters": {"verify_checksums": False}})],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "coherence" in proc.stderr and "NaN" in proc.stderr and str(m0) in proc.stderr


@pytest.mark.parametrize("alpha", [0.5, 1.0])
def test_goldstein_fast_paths_match_reference(alpha: float) -> None:
    rng = np.random.default_rng(4)
    noisy = (rng.standard_normal((70, 90)) + 1j * rng.standard_normal((70, 90))).astype(np.complex64)
    noisy[5:9, 30:33] = np.nan  # NaN counts as 0 in both
    np.testing.assert_allclose(goldstein(noisy, alpha, 16), goldstein_reference(noisy, alpha, 16), atol=1e-4)


def test_quality_unwrapper_end_to_end(world, tmp_path: Path) -> None:
    root, archive, result = world
    res = tmp_path / "res.json"
    assert _ifg([_met(archive, DATES[0][0]), _met(archive, DATES[1][0])], tmp_path / "q", res,
                unwrap={"method": "quality"}) == 0
    met = Path(json.loads(res.read_text())["products"][0]["met_uri"])
    item = json.loads(met.read_text())
    assert item["id"] != result["products"][0]["id"]  # other parameters, other hash
    assert "quality-unwrap" in item["properties"]["processing:software"]
    assert item["properties"]["sarlake:unwrapped_fraction"] > 0.9
    # both unwrappers against the truth (geocoded by GDAL), not against each other
    for name, tif in (("quality", met.parent / "los_displacement.tif"),
                      ("snaphu", Path(result["products"][0]["met_uri"]).parent / "los_displacement.tif")):
        with rasterio.open(tif) as src:
            los = src.read(1)
        rmse, valid = rmse_mm(los, los_truth_mm(archive, DATES[1][0], DATES[0][0], tif))
        assert valid > 0.5 and rmse < 1.2, (name, rmse, valid)


def test_geocode_kernel_matches_reference() -> None:
    rows, cols = 90, 110
    r, c = np.mgrid[:rows, :cols].astype(np.float64)
    h = np.deg2rad(190)
    lon = 14.4 + (r * np.sin(h) + c * np.cos(h)) * 1e-3 + 2e-7 * c**2
    lat = 40.8 + (r * np.cos(h) - c * np.sin(h)) * 1e-3 + 1e-7 * r * c
    grid = geogrid_for(lat, lon, 0.0007)
    fast, ref = radar_coords(lat, lon, grid), radar_coords_reference(lat, lon, grid, iterations=8)
    both = fast.inside & ref.inside
    assert both.mean() > 0.4 and np.mean(fast.inside != ref.inside) < 0.01  # only edge pixels may differ
    np.testing.assert_allclose(fast.rows[both], ref.rows[both], atol=1e-3)
    np.testing.assert_allclose(fast.cols[both], ref.cols[both], atol=1e-3)
    values = (np.sin(r / 7) * np.cos(c / 5)).astype(np.float32)
    values[40:45, 50:52] = np.nan
    labels = (1 + (r // 30) * 4 + c // 30).astype(np.uint16)
    from scipy.ndimage import map_coordinates

    rr, cc = np.where(fast.inside, fast.rows, -10.0), np.where(fast.inside, fast.cols, -10.0)
    expect = map_coordinates(values.astype(np.float64), [rr, cc], order=1, mode="constant", cval=np.nan,
                             prefilter=False)
    got = geocode(values, fast)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expect))
    np.testing.assert_allclose(got[np.isfinite(got)], expect[np.isfinite(expect)], atol=1e-5)
    cc_geo = geocode(labels, fast, order=0, nodata=0)
    assert cc_geo.dtype == np.uint16 and (cc_geo[~fast.inside] == 0).all() and set(np.unique(cc_geo)) - {0}


def test_browse_has_title_panels_and_colour_bars(tmp_path: Path) -> None:
    from PIL import Image

    from pges.interferogram.browse import write_browse

    y, x = np.mgrid[:120, :160]
    phase = np.angle(np.exp(1j * 0.2 * x)).astype(np.float32)
    phase[:10, :10] = np.nan
    coh = np.clip(x / 160.0, 0, 1).astype(np.float32)
    path = write_browse(tmp_path / "b.png", phase, np.ones_like(phase), coh, 320, title="S1 track 044 2024-07-02",
                        mm_per_cycle=27.7)
    img = np.asarray(Image.open(path).convert("RGB")).astype(int)
    h, w, _ = img.shape
    assert w > 2 * 320 and h > 240  # two 320 x 240 panels plus title and bars
    assert (img[:15].sum(axis=-1) < 200).any()  # dark title text on white
    sat = img.max(axis=-1) - img.min(axis=-1)
    assert (sat[:, : w // 2] > 150).mean() > 0.2  # colourful fringes and hue bar on the left
    assert (sat[:, w // 2 :] > 150).mean() < 0.01  # grey coherence on the right

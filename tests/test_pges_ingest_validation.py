"""Ingest validates before it publishes (issue 14.5) and handles folders, coherence flags and skip_bad (issue 7.1).

Every bad input must give one line naming the file and the field, publish nothing, and exit 2 from the CLI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from rasterio.transform import from_origin

from pges.errors import InputValidationError
from pges.ingest import ingest
from pges.readers import SUPPORTED

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "envisat_sydney_roipac"
SRC = DATA / "roipac_unw" / "geo_060619-061002.unw"
RNG = np.random.default_rng(3)


def _roipac(tmp: Path, **overrides: str) -> Path:
    dst = tmp / SRC.name
    shutil.copyfile(SRC, dst)
    lines = []
    for line in Path(str(SRC) + ".rsc").read_text().splitlines():
        parts = line.split()
        if parts and parts[0] in overrides:
            line = f"{parts[0]}    {overrides[parts[0]]}"
        lines.append(line)
    Path(str(dst) + ".rsc").write_text("\n".join(lines) + "\n")
    return dst


def _tif(path: Path, data: np.ndarray, **tags: str) -> Path:
    profile = {"driver": "GTiff", "height": data.shape[0], "width": data.shape[1], "count": 1,
               "dtype": data.dtype.name, "crs": "EPSG:4326", "transform": from_origin(150.9, -34.1, 0.001, 0.001)}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(**tags)
    return path


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("X_STEP", "nan", "geo_060619-061002.unw.rsc: X_STEP is nan"),
        ("X_STEP", "0", "geo_060619-061002.unw.rsc: X_STEP is 0"),
        ("Y_FIRST", "1e308", "geo_060619-061002.unw.rsc: latitudes"),
        ("X_FIRST", "500", "geo_060619-061002.unw.rsc: longitudes"),
        ("Y_FIRST", "95", "geo_060619-061002.unw.rsc: latitudes"),
        ("WAVELENGTH", "-5", "geo_060619-061002.unw.rsc: wavelength -5.0 m (WAVELENGTH)"),
        ("WAVELENGTH", "1e30", "geo_060619-061002.unw.rsc: wavelength 1e+30 m (WAVELENGTH)"),
    ],
)
def test_bad_rsc_fields_are_refused_naming_file_and_field(tmp_path: Path, key: str, value: str, expected: str) -> None:
    path = _roipac(tmp_path, **{key: value})
    with pytest.raises(InputValidationError) as err:
        ingest([path], tmp_path / "out")
    msg = str(err.value)
    assert msg.startswith(expected) and key in msg and "\n" not in msg
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_int8_phase_png_renamed_and_complex_phase_are_refused(tmp_path: Path) -> None:
    int8 = _tif(tmp_path / "a_20200101-20200113.tif", RNG.integers(-100, 100, (4, 5)).astype(np.int8),
                WAVELENGTH="0.0555")
    with pytest.raises(InputValidationError, match=r"a_20200101-20200113.tif band 1: data type int8"):
        ingest([int8], tmp_path / "out")
    cplx = _tif(tmp_path / "b_20200101-20200113.tif", np.exp(1j * RNG.normal(0, 1, (4, 5))).astype(np.complex64),
                WAVELENGTH="0.0555")
    with pytest.raises(InputValidationError, match=r"b_20200101-20200113.tif: is a wrapped interferogram.*unwrap"):
        ingest([cplx], tmp_path / "out")
    png = tmp_path / "c_20200101-20200113.tif"
    with warnings.catch_warnings():  # a PNG without a geotransform is what this input is
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(png, "w", driver="PNG", height=4, width=5, count=1, dtype="uint8") as dst:
            dst.write(np.ones((4, 5), np.uint8), 1)
    with pytest.raises(InputValidationError, match=r"c_20200101-20200113.tif: is a PNG file, not a GeoTIFF"):
        ingest([png], tmp_path / "out")


def test_missing_wavelength_names_the_cli_flag(tmp_path: Path) -> None:
    path = _tif(tmp_path / "ifg_20200101-20200113.tif", RNG.normal(0, 1, (4, 5)).astype(np.float32))
    with pytest.raises(InputValidationError, match=r"ifg_20200101-20200113.tif: no radar wavelength.*--wavelength"):
        ingest([path], tmp_path / "out")


def test_unsupported_inputs_name_the_supported_formats(tmp_path: Path) -> None:
    gamma_int = tmp_path / "20200101_20200113.int"
    gamma_int.write_bytes(b"\0" * 160)
    with pytest.raises(InputValidationError) as err:
        ingest([gamma_int], tmp_path / "out")
    assert str(err.value).startswith("20200101_20200113.int: ") and SUPPORTED in str(err.value)


def test_a_batch_with_a_bad_file_publishes_nothing_unless_skip_bad(tmp_path: Path) -> None:
    good = _roipac(tmp_path / "good" if (tmp_path / "good").mkdir() is None else tmp_path)
    (tmp_path / "bad").mkdir()
    bad = _roipac(tmp_path / "bad", X_STEP="nan")
    with pytest.raises(InputValidationError, match="X_STEP is nan"):
        ingest([good, bad], tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    from pges.contract import RunConfig, parse_run_config
    from pges.ingest.config import IngestParameters
    from pges.ingest.pge import run
    from pges.runner import execute

    cfg = parse_run_config(RunConfig[IngestParameters], {  # type: ignore[misc]
        "pge": "ingest", "inputs": [str(good), str(bad)], "output_dir": str(tmp_path / "out"),
        "parameters": {"skip_bad": True}}, pge="ingest")
    result = execute("ingest", cfg, run)
    assert len(result["products"]) == 1 and len(result["rejected"]) == 1
    assert result["rejected"][0]["input"] == str(bad) and "X_STEP is nan" in result["rejected"][0]["error"]


def test_no_coherence_is_flagged_in_the_product(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _roipac(tmp_path)
    met = ingest([path], tmp_path / "out")[0]
    props = json.loads(Path(met).read_text())["properties"]
    assert props["sarlake:flags"] == ["no_coherence"] and props["sarlake:source_coherence_file"] is None
    assert any("no coherence" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)


def test_a_folder_ingests_its_interferograms_and_leaves_coherence_and_dem_out(tmp_path: Path) -> None:
    folder = tmp_path / "hyp3"
    folder.mkdir()
    phase = RNG.normal(0, 3, (6, 7)).astype(np.float32)
    coh = RNG.uniform(0.2, 0.9, (6, 7)).astype(np.float32)
    _tif(folder / "S1_20200101-20200113_unw_phase.tif", phase, WAVELENGTH="0.05546576")
    _tif(folder / "S1_20200101-20200113_corr.tif", coh)
    _tif(folder / "S1_20200101-20200113_dem.tif", RNG.uniform(0, 900, (6, 7)).astype(np.float32))
    _tif(folder / "heights.tif", RNG.integers(0, 900, (6, 7)).astype(np.int16))
    (folder / "S1_20200101-20200113.txt").write_text("Reference Granule: ...\n")
    mets = ingest([folder], tmp_path / "out")
    assert len(mets) == 1
    item = json.loads(Path(mets[0]).read_text())
    assert item["properties"]["sarlake:source_coherence_file"] == "S1_20200101-20200113_corr.tif"
    assert item["properties"]["sarlake:flags"] == []
    with rasterio.open(Path(mets[0]).parent / "coherence.tif") as ds:
        np.testing.assert_array_equal(ds.read(1), coh)
    with pytest.raises(InputValidationError, match="looks like a coherence raster.*--coherence"):
        ingest([folder / "S1_20200101-20200113_corr.tif"], tmp_path / "out2")


def test_footprint_outside_the_aoi_is_refused(tmp_path: Path) -> None:
    path = _roipac(tmp_path)
    far = "POLYGON ((14 40, 15 40, 15 41, 14 41, 14 40))"
    with pytest.raises(InputValidationError, match=r"geo_060619-061002.unw: footprint .* does not overlap AOI etna"):
        ingest([path], tmp_path / "out", aoi="etna", aoi_wkt=far)
    near = "POLYGON ((150.9 -34.3, 151.0 -34.3, 151.0 -34.1, 150.9 -34.1, 150.9 -34.3))"
    assert len(ingest([path], tmp_path / "out", aoi="sydney", aoi_wkt=near)) == 1


def test_replace_re_ingests_with_a_corrected_wavelength(tmp_path: Path) -> None:
    path = _roipac(tmp_path)
    met = Path(ingest([path], tmp_path / "out")[0])
    assert json.loads(met.read_text())["properties"]["sarlake:wavelength_m"] == pytest.approx(0.0562356424)
    kept = Path(ingest([path], tmp_path / "out", wavelength_m=0.0555)[0])
    assert json.loads(kept.read_text())["properties"]["sarlake:wavelength_m"] == pytest.approx(0.0562356424)
    again = Path(ingest([path], tmp_path / "out", wavelength_m=0.0555, overwrite=True)[0])
    props = json.loads(again.read_text())["properties"]
    assert props["sarlake:wavelength_m"] == 0.0555 and props["sarlake:wavelength_source"] == "--wavelength"


def test_cli_exit_code_2_and_one_line(tmp_path: Path) -> None:
    path = _roipac(tmp_path, Y_FIRST="95")
    cfg = tmp_path / "run.json"
    cfg.write_text(json.dumps({"pge": "ingest", "inputs": [str(path)], "output_dir": str(tmp_path / "out"),
                               "parameters": {}}))
    proc = subprocess.run([sys.executable, "-m", "pges", "ingest", "--run-config", str(cfg)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error")]
    assert len(errors) == 1 and "geo_060619-061002.unw.rsc: latitudes" in errors[0] and "Y_FIRST" in errors[0]


def test_a_gmtsar_folder_and_a_mintpy_stack_become_products(tmp_path: Path) -> None:
    import h5py
    from test_pges_readers_formats import _gmtsar_folder, _mintpy

    folder, unw, coh = _gmtsar_folder(tmp_path)
    _gmt_radar = folder / "unwrap.grd"  # the radar-coordinate twin is left out, as the wrapped phasefilt_ll.grd
    shutil.copyfile(folder / "unwrap_ll.grd", _gmt_radar)
    mets = ingest([folder], tmp_path / "out")
    assert len(mets) == 1
    item = json.loads(Path(mets[0]).read_text())
    assert item["properties"]["sarlake:source_file"] == "unwrap_ll.grd"
    assert item["properties"]["sarlake:source_coherence_file"] == "corr_ll.grd"
    with rasterio.open(Path(mets[0]).parent / "unwrapped_phase.tif") as ds:
        np.testing.assert_array_equal(ds.read(1), unw[::-1])

    stack = tmp_path / "ifgramStack.h5"
    truth = _mintpy(stack)
    with h5py.File(stack, "r") as f:
        assert f["dropIfgram"][()].tolist() == [True, False, True]
    mets = ingest([stack], tmp_path / "out2")
    assert len(mets) == 2
    for met, k in zip(mets, (0, 2), strict=True):
        props = json.loads(Path(met).read_text())["properties"]
        folder_ = Path(met).parent
        with rasterio.open(folder_ / "connected_components.tif") as ds:
            cc = ds.read(1)
        np.testing.assert_array_equal(cc, truth["cc"][k])
        valid = truth["unw"][k] != 0
        assert props["sarlake:unwrapped_fraction"] == pytest.approx(((cc > 0) & valid).sum() / valid.sum(), abs=1e-4)


def test_a_named_interferogram_with_small_values_is_not_taken_for_coherence(tmp_path: Path) -> None:
    small = RNG.uniform(0.1, 0.9, (4, 5)).astype(np.float32)  # looks like coherence by its values alone
    path = _tif(tmp_path / "ifg_20200101-20200113.tif", small, WAVELENGTH="0.0555")
    met = ingest([path], tmp_path / "out")[0]
    assert json.loads(Path(met).read_text())["properties"]["sarlake:source_file"] == path.name
    folder = tmp_path / "f"
    folder.mkdir()
    shutil.copyfile(path, folder / path.name)
    with pytest.raises(InputValidationError, match="folder holds no interferogram"):
        ingest([folder], tmp_path / "out2")  # in a folder, values 0..1 mean coherence


def _geotiffs(folder: Path, n: int) -> list[Path]:
    """``n`` small unwrapped GeoTIFF interferograms with distinct names (so distinct product ids)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [_tif(folder / f"S1_{i:02d}_20200101_20200113_unw_phase.tif",
                 RNG.normal(0, 1, (64, 64)).astype(np.float32), WAVELENGTH="0.05546576") for i in range(n)]


def test_inputs_read_on_threads_report_the_first_bad_input_in_input_order(tmp_path: Path) -> None:
    # inputs are read concurrently; the error (and skip_bad's rejected list) must still follow input order
    good = _geotiffs(tmp_path / "good", 3)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    nan_step = _roipac(tmp_path / "a", X_STEP="nan")
    bad_wavelength = _roipac(tmp_path / "b", WAVELENGTH="-5")
    with pytest.raises(InputValidationError, match="X_STEP is nan"):
        ingest([good[0], nan_step, good[1], bad_wavelength, good[2]], tmp_path / "out")
    with pytest.raises(InputValidationError, match="wavelength -5.0 m"):
        ingest([good[0], bad_wavelength, good[1], nan_step, good[2]], tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    mets = ingest([bad_wavelength, *good, nan_step], tmp_path / "out", skip_bad=True)
    assert sorted(Path(m).parent.name for m in mets) == sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(mets) == 3


def test_a_write_failure_mid_batch_publishes_nothing_and_leaves_no_staging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # products are written on threads into staging; one that fails after others were written must leave the
    # output folder empty and remove the staging folder with the files already written
    import pges.ingest.pge as ingest_pge
    from pges.errors import ProcessingError

    inputs: list[str | Path] = [*_geotiffs(tmp_path / "in", 6)]
    scratch = tmp_path / "scratch"
    monkeypatch.setenv("SARLAKE_SCRATCH", str(scratch))
    real = ingest_pge.write_l2_ifg
    written: list[Path] = []

    def failing(ifg, p, out, provenance, pid):  # type: ignore[no-untyped-def]
        if "S1_03_" in pid:
            (out / "unwrapped_phase.tif").write_bytes(b"half a COG")  # what a write cut short leaves
            raise OSError(5, "Input/output error")
        met = real(ifg, p, out, provenance, pid)
        written.append(met)
        return met

    monkeypatch.setattr(ingest_pge, "write_l2_ifg", failing)
    with pytest.raises(ProcessingError, match="Input/output error"):
        ingest(inputs, tmp_path / "out")
    assert written, "no other product was written before the failure: the test checks nothing"
    assert all(not m.exists() for m in written)  # the staged products went with the staging folder
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert list((scratch / "pges").glob("pge-*")) == []


def test_a_wrapped_geotiff_without_dates_is_refused_for_being_wrapped_not_for_its_dates(tmp_path: Path) -> None:
    """A complex GeoTIFF with no dates and no wavelength was refused for its dates: ingest takes no wrapped phase."""
    cplx = np.exp(1j * RNG.normal(0, 1, (4, 5))).astype(np.complex64)
    named = _tif(tmp_path / "wrapped.tif", cplx)
    with pytest.raises(InputValidationError, match=r"^wrapped.tif: is a wrapped interferogram; unwrap it first with "
                                                   r"`sarlake unwrap wrapped.tif` \(or the unwrap DAG\)$"):
        ingest([named], tmp_path / "out")
    folder = tmp_path / "proc"  # in a folder a wrapped interferogram is left out, dated or not
    folder.mkdir()
    _tif(folder / "filt_topophase.tif", cplx)
    phase = RNG.normal(0, 3, (4, 5)).astype(np.float32)
    _tif(folder / "unw_20200101-20200113.tif", phase, WAVELENGTH="0.05546576")
    mets = ingest([folder], tmp_path / "out")
    assert [json.loads(Path(m).read_text())["properties"]["sarlake:source_file"] for m in mets] == [
        "unw_20200101-20200113.tif"]

"""`sarlake ingest` of zip archives: HyP3 delivers each product as ``<name>.zip`` holding ``<name>/``.

Each case zips a HyP3 product folder made from a real Sydney interferogram and its GAMMA coherence, warped to UTM as
in ``test_cli_ingest_options``; its parameter file gives the track, heading and perpendicular baseline, which must
reach the product.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import rasterio
from test_cli_ingest_options import DATA, UNW, _cli, _lake, _one_error_line, _sql, _to_utm  # tests/ on sys.path

NAME = "S1AA_20060619T114010_20061002T114010_VVP105_INT80_G_ueF_5D1E"


def _hyp3_zip(tmp_path: Path, into: Path) -> tuple[Path, np.ndarray]:
    """``into/<NAME>.zip`` holding ``<NAME>/`` (phase, coherence, parameter file) as HyP3 ships it; and the phase."""
    from pges.readers import read_interferogram

    ifg = read_interferogram(UNW[0], coherence_dirs=[DATA / "gamma_coherence"])
    assert ifg.coherence is not None
    folder = tmp_path / "made" / NAME
    folder.mkdir(parents=True)
    base = folder / NAME
    _to_utm(ifg.unwrapped_phase, ifg.transform, Path(f"{base}_unw_phase.tif"))
    _to_utm(ifg.coherence, ifg.transform, Path(f"{base}_corr.tif"))
    for side in ("dem", "amp", "lv_theta"):  # HyP3's DEM, amplitude and look vector: no reader opens them
        _to_utm(ifg.coherence, ifg.transform, Path(f"{base}_{side}.tif"))
    Path(f"{base}.txt").write_text("Reference Granule: S1A_IW_SLC__1SDV_20060619T114010\n"
                                   "Secondary Granule: S1A_IW_SLC__1SDV_20061002T114010\n"
                                   "Reference Pass Direction: DESCENDING\nReference Orbit Number: 2871\n"
                                   "Baseline: -103.2166\nHeading: -167.25\n")
    into.mkdir(parents=True, exist_ok=True)
    archive = into / f"{NAME}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f"{NAME}/{f.name}")
    return archive, ifg.unwrapped_phase


def test_a_folder_of_hyp3_zips_is_ingested_as_their_folders_and_the_product_names_the_zip(settings, tmp_path):
    """A folder of HyP3 downloads held only zips: 'folder holds no interferogram (found 1 header)'; a zip named
    explicitly: 'no header beside it that says what it is'. Each zip is now read as the folder it holds; the
    product's provenance names the zip's member (GDAL's /vsizip/), not the scratch copy that is gone after the run."""
    _lake()
    downloads = tmp_path / "downloads"
    archive, phase = _hyp3_zip(tmp_path, downloads)
    out = _cli("ingest", str(downloads), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    rows = _sql("SELECT met_uri, reference_date, secondary_date FROM products")
    assert [(str(r["secondary_date"]), str(r["reference_date"])) for r in rows] == [("2006-06-19", "2006-10-02")]
    item = json.loads(Path(rows[0]["met_uri"]).read_text())
    props = item["properties"]
    assert props["sat:relative_orbit"] == 174  # from the parameter file inside the zip
    assert props["sarlake:heading_deg"] == -167.25
    assert props["sarlake:perpendicular_baseline_m"] == -103.217  # the secondary's to the (earlier) reference, to mm
    assert props["sarlake:source_coherence_file"] == f"{NAME}_corr.tif"
    assert item["provenance"]["inputs"] == [f"/vsizip/{{{archive}}}/{NAME}/{NAME}_unw_phase.tif",
                                            f"/vsizip/{{{archive}}}/{NAME}/{NAME}_corr.tif"]
    with rasterio.open(item["provenance"]["inputs"][0]) as src:  # GDAL reads the zip's member
        assert src.crs.to_epsg() == 32756
    with rasterio.open(Path(rows[0]["met_uri"]).parent / "unwrapped_phase.tif") as tif:
        values = tif.read(1)
    ok = np.isfinite(values)
    assert ok.sum() > 0.8 * np.isfinite(phase).sum()
    assert np.isin(np.round(values[ok], 4), np.round(phase[np.isfinite(phase)], 4)).mean() > 0.99  # source values
    from pges.environment import scratch_root

    assert not list(scratch_root().rglob("unpacked"))  # the unpacked copy went with the run's work folder
    again = _cli("ingest", str(archive), "--aoi", "sydney")  # the zip named: the same product, kept
    assert again.exit_code == 0, again.output
    assert "already published and kept" in again.output


def test_the_members_no_reader_opens_stay_in_the_zip_and_are_counted_as_left_out(settings, tmp_path, monkeypatch):
    """A HyP3 zip was unpacked whole, its DEM, amplitude and look vectors too (most of a product's size), for ingest
    to leave them out by their names. They now stay in the archive and are still counted on the left-out line."""
    _lake()
    archive, _ = _hyp3_zip(tmp_path, tmp_path / "downloads")
    unpacked: list[str] = []
    extract = zipfile.ZipFile.extractall

    def spy(self, path=None, members=None, pwd=None):  # type: ignore[no-untyped-def]
        unpacked.extend(m.filename if isinstance(m, zipfile.ZipInfo) else m for m in (members or self.namelist()))
        return extract(self, path, members, pwd)

    monkeypatch.setattr(zipfile.ZipFile, "extractall", spy)
    out = _cli("ingest", str(archive), "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    assert sorted(unpacked) == sorted(f"{NAME}/{NAME}{end}" for end in ("_unw_phase.tif", "_corr.tif", ".txt"))
    assert "1 DEM(s)" in out.output
    assert "1 amplitude(s)" in out.output
    assert "1 other raster(s)" in out.output  # the look vector


def test_a_zip_that_is_no_zip_or_would_unpack_outside_its_folder_is_refused_naming_it(settings, tmp_path):
    _lake()
    bad = tmp_path / f"{NAME}.zip"
    bad.write_bytes(b"PK\x03\x04 cut short")
    line = _one_error_line(_cli("ingest", str(bad), "--aoi", "sydney"))
    assert f"{NAME}.zip: not a readable zip archive" in line
    assert "unpack it yourself" in line
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../escaped.unw", b"0")
    out = _cli("ingest", str(evil), "--aoi", "sydney")
    assert out.exit_code == 2, out.output
    assert "member '../escaped.unw' would unpack outside the archive's folder" in out.output
    assert not (tmp_path / "escaped.unw").exists()
    assert _sql("SELECT count(*) AS n FROM products")[0]["n"] == 0

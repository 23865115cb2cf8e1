"""The ingest PGE on the 17 real Envisat ROI_PAC interferograms, and its exit codes on bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import rasterio
import yaml

from pges.ingest import ingest
from pges.metadata import file_checksum

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "envisat_sydney_roipac"
UNW = sorted((DATA / "roipac_unw").glob("*.unw"))
COH = DATA / "gamma_coherence"


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("l2")
    return ingest(UNW, out, coherence_dirs=[str(COH)], mission="envisat", aoi="sydney")  # type: ignore[return-value]


def test_ingest_all_17_real_roipac(ingested: list[Path]) -> None:
    assert len(ingested) == 17
    for src, met_path in zip(UNW, ingested, strict=True):
        item = json.loads(Path(met_path).read_text())
        props = item["properties"]
        a, b = src.stem.removeprefix("geo_").split("-")
        earlier, later = (datetime.strptime(x, "%y%m%d").date() for x in (a, b))
        assert item["id"] == f"EXT-ROIPAC-ENVISAT-{src.stem}-{later:%Y%m%d}_{earlier:%Y%m%d}"
        assert props["sarlake:product_type"] == "L2_IFG" and props["sarlake:source_format"] == "roipac"
        assert props["sarlake:reference_date"] == later.isoformat()
        assert props["sarlake:secondary_date"] == earlier.isoformat()
        assert props["start_datetime"].startswith(earlier.isoformat())
        assert props["end_datetime"].startswith(later.isoformat())
        assert props["sarlake:temporal_baseline_days"] == (later - earlier).days
        assert props["sarlake:wavelength_m"] == pytest.approx(0.0562356424)
        assert props["sar:frequency_band"] == "C" and props["platform"] == "envisat"
        # bbox from the .rsc: X_FIRST 150.91, Y_FIRST -34.17, 47 x 72 posts of 0.000833333 deg
        assert item["bbox"] == pytest.approx([150.91, -34.17 - 72 * 0.000833333, 150.91 + 47 * 0.000833333, -34.17])
        assert item["geometry"]["type"] == "Polygon" and len(item["geometry"]["coordinates"][0]) == 5
        assert set(item["assets"]) == {"unwrapped_phase", "los_displacement", "coherence"}  # amplitude is all zero
        folder = Path(met_path).parent
        for asset in item["assets"].values():
            digest, size = file_checksum(folder / asset["href"])
            assert asset["file:checksum"] == "1220" + digest and asset["file:size"] == size
        assert props["sarlake:source_coherence_file"] == f"{earlier:%Y%m%d}-{later:%Y%m%d}_utm.unw.cc"
        assert item["provenance"]["pge_name"] == "ingest"
        # values: COG phase equals the raw phase rows where non-zero, NaN where zero
        raw = np.fromfile(src, "<f4").reshape(72, 2, 47)[:, 1]
        with rasterio.open(folder / item["assets"]["unwrapped_phase"]["href"]) as cog:
            phase = cog.read(1)
            assert cog.crs.to_epsg() == 4326 and cog.transform.c == pytest.approx(150.91)
        nz = raw != 0
        np.testing.assert_array_equal(phase[nz], raw[nz])
        assert np.isnan(phase[~nz]).all()
        with rasterio.open(folder / "coherence.tif") as cog:
            np.testing.assert_array_equal(
                cog.read(1), np.fromfile(COH / props["sarlake:source_coherence_file"], ">f4").reshape(72, 47)
            )
        with rasterio.open(folder / "los_displacement_mm.tif") as cog:
            los = cog.read(1)
        np.testing.assert_allclose(los[nz], -raw[nz] * 0.0562356424 / (4 * np.pi) * 1000, rtol=1e-6)


def test_reingest_keeps_existing_products(ingested: list[Path]) -> None:
    out = Path(ingested[0]).parents[1]
    mtime = Path(ingested[0]).stat().st_mtime_ns
    again = ingest(UNW[:1], out, coherence_dirs=[str(COH)], mission="envisat", aoi="sydney")
    assert again == [ingested[0]] and Path(ingested[0]).stat().st_mtime_ns == mtime


def _cli(tmp_path: Path, inputs: list[str]) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "run.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "pge": "ingest",
                "inputs": inputs,
                "output_dir": str(tmp_path / "out"),
                "parameters": {"source_format": "auto"},
            }
        )
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pges",
            "ingest",
            "--run-config",
            str(cfg),
            "--result-file",
            str(tmp_path / "result.json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_truncated_unw_exits_2(tmp_path: Path) -> None:
    src = tmp_path / "geo_060619-061002.unw"
    src.write_bytes((DATA / "roipac_unw" / "geo_060619-061002.unw").read_bytes()[:13_000])
    shutil.copyfile(DATA / "roipac_unw" / "geo_060619-061002.unw.rsc", str(src) + ".rsc")
    proc = _cli(tmp_path, [str(src)])
    assert proc.returncode == 2, proc.stderr
    err = [ln for ln in proc.stderr.splitlines() if ln.startswith("error")]
    assert err == [
        "error [INVALID_INPUT]: geo_060619-061002.unw: 13,000 bytes but WIDTH 47 x FILE_LENGTH 72 "
        "x 2 bands x 4 bytes = 27,072"
    ]
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["status"] == "failed" and result["error"]["code"] == "INVALID_INPUT"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_cli_missing_rsc_exits_2(tmp_path: Path) -> None:
    src = tmp_path / "geo_060619-061002.unw"
    shutil.copyfile(DATA / "roipac_unw" / "geo_060619-061002.unw", src)
    proc = _cli(tmp_path, [str(src)])
    assert proc.returncode == 2, proc.stderr
    assert "geo_060619-061002.unw.rsc is missing" in proc.stderr


def test_a_product_without_coherence_says_where_its_coherence_was_looked_for(tmp_path) -> None:
    """`--coherence-dir` naming the wrong folder gave the same "no coherence given or found" as no folder at all:
    the operator could not tell a wrong folder from a pair the folder lacks. Truth: the file's own dates
    (geo_060619-061002: 2006-06-19 and 2006-10-02) and the folder given."""
    import logging

    wrong = tmp_path / "not-coherence"
    wrong.mkdir()
    (wrong / "20060619-20061003_utm.unw.cc").write_bytes(b"")  # another pair: not this one's
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("pges.ingest.pge")
    logger.addHandler(handler)  # on the logger itself: whatever the root logger's handlers are in this session
    try:
        ingest([UNW[0]], tmp_path / "out", coherence_dirs=[str(wrong)], mission="envisat")
        ingest([UNW[1]], tmp_path / "out", mission="envisat")
    finally:
        logger.removeHandler(handler)
    said = [r.getMessage() for r in records if "no coherence" in r.getMessage()]
    assert len(said) == 2, said
    assert f"a coherence of the pair 20060619-20061002 was looked for beside it and in {wrong}" in said[0]
    assert "was looked for beside it only; coherence_dirs (--coherence-dir) names folders" in said[1]

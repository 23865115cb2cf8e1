"""`sarlake unwrap s3://...`: a wrapped interferogram left on S3 (a local moto server, ``s3_server`` of conftest).

The command line refused an ``s3://`` path ('Path ... does not exist'), and the PGE fetched one object alone, so a
ROI_PAC ``.int`` came without the ``.rsc`` that gives its grid and dates. The interferograms here are the real Sydney
ones, wrapped from ROI_PAC's own unwrapped phase as ``test_pges_unwrap_real`` wraps them; ROI_PAC's phase is the truth
the product is compared with, and the real GAMMA coherence is found by date in an S3 prefix.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import rasterio
from test_cli_ingest_options import DATA, UNW, _cli, _lake, _one_error_line, _sql
from test_cli_ingest_s3 import _upload
from test_cli_ingest_s3 import bucket as s3_bucket

bucket = s3_bucket  # the fixture: a new bucket of the moto server the PGE reaches, and a client


def _wrap(unw: Path, folder: Path) -> tuple[Path, np.ndarray]:
    """A ROI_PAC ``.int`` (complex64) of ROI_PAC's unwrapped phase, its ``.rsc`` beside it; and that phase."""
    folder.mkdir(parents=True, exist_ok=True)
    phase = np.fromfile(unw, "<f4").reshape(72, 2, 47)[:, 1]
    dst = folder / unw.name.replace(".unw", ".int")
    np.where(phase != 0, np.exp(1j * phase), 0).astype("<c8").tofile(dst)
    shutil.copyfile(str(unw) + ".rsc", str(dst) + ".rsc")
    return dst, np.where(phase != 0, phase, np.nan)


def assert_no_cycle_lost(folder: Path, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The product in ``folder`` unwrapped most of ``truth``'s pixels into connected components, and there its phase
    is ``truth`` up to the reference point, no pixel a cycle off; returns (its phase, truth) on those pixels."""
    with rasterio.open(folder / "unwrapped_phase.tif") as ds:
        phase = ds.read(1)
    with rasterio.open(folder / "connected_components.tif") as ds:
        inside = (ds.read(1) > 0) & np.isfinite(truth)
    assert inside.sum() > 0.5 * np.isfinite(truth).sum()
    diff = phase[inside] - truth[inside]
    assert np.abs(diff - np.median(diff)).max() < np.pi  # ROI_PAC's phase up to the reference: no cycle lost
    return phase[inside], truth[inside]


def test_a_wrapped_int_on_s3_is_unwrapped_with_its_rsc_and_the_coherence_of_an_s3_prefix(bucket, tmp_path):
    name, client = bucket
    _lake()
    wrapped, truth = _wrap(UNW[0], tmp_path / "ints")
    _wrap(UNW[1], tmp_path / "ints")  # another pair in the same folder: not downloaded, not unwrapped
    _upload(client, name, tmp_path / "ints", "isce/ints")
    _upload(client, name, DATA / "gamma_coherence", "isce/coherence")
    uri = f"s3://{name}/isce/ints/{wrapped.name}"
    out = _cli("unwrap", uri, "--coherence-dir", f"s3://{name}/isce/coherence/", "--aoi", "sydney",
               "--mission", "envisat")
    assert out.exit_code == 0, out.output
    (row,) = _sql("SELECT met_uri, reference_date, secondary_date FROM products")
    assert (str(row["reference_date"]), str(row["secondary_date"])) == ("2006-10-02", "2006-06-19")  # later first
    item = json.loads(Path(row["met_uri"]).read_text())
    coherence = f"s3://{name}/isce/coherence/20060619-20061002_utm.unw.cc"
    assert item["provenance"]["inputs"] == [uri, coherence]  # the objects read, not the run's scratch copies
    assert item["properties"]["sarlake:coherence_mean"] > 0
    assert "coherence_estimated" not in item["properties"].get("sarlake:flags", [])
    assert_no_cycle_lost(Path(row["met_uri"]).parent, truth)


def test_a_prefix_or_folder_gives_its_wrapped_interferograms_and_leaves_the_unwrapped_ones_out(bucket, tmp_path):
    """A folder of ROI_PAC files (two wrapped pairs, one unwrapped) named as a whole, on S3 and locally: the two
    wrapped ones are unwrapped, each recorded as the object it came from; the unwrapped one is left to ingest."""
    name, client = bucket
    _lake()
    ints = [_wrap(unw, tmp_path / "stack")[0] for unw in UNW[:2]]
    shutil.copyfile(UNW[2], tmp_path / "stack" / UNW[2].name)  # already unwrapped: not unwrap's
    shutil.copyfile(str(UNW[2]) + ".rsc", tmp_path / "stack" / (UNW[2].name + ".rsc"))
    _upload(client, name, tmp_path / "stack", "stack")
    out = _cli("unwrap", f"s3://{name}/stack/", "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    rows = _sql("SELECT met_uri FROM products ORDER BY secondary_date")
    inputs = sorted(json.loads(Path(r["met_uri"]).read_text())["provenance"]["inputs"][0] for r in rows)
    assert inputs == sorted(f"s3://{name}/stack/{p.name}" for p in ints)
    local = _cli("unwrap", str(tmp_path / "stack"), "--aoi", "sydney")  # the same folder on disk: the same products
    assert local.exit_code == 0, local.output
    assert len(_sql("SELECT product_id FROM products")) == 2
    only_unwrapped = tmp_path / "unwrapped"
    only_unwrapped.mkdir()
    shutil.copyfile(UNW[2], only_unwrapped / UNW[2].name)
    shutil.copyfile(str(UNW[2]) + ".rsc", only_unwrapped / (UNW[2].name + ".rsc"))
    line = _one_error_line(_cli("unwrap", str(only_unwrapped), "--aoi", "sydney"))
    assert f"input {only_unwrapped}: holds no wrapped interferogram (1 unwrapped" in line


def test_an_int_on_s3_without_its_header_says_what_is_missing(bucket, tmp_path):
    name, client = bucket
    _lake()
    wrapped, _ = _wrap(UNW[0], tmp_path / "ints")
    _upload(client, name, tmp_path / "ints", "ints")
    client.delete_object(Bucket=name, Key=f"ints/{wrapped.name}.rsc")
    line = _one_error_line(_cli("unwrap", f"s3://{name}/ints/{wrapped.name}", "--aoi", "sydney"))
    assert wrapped.name in line and ".rsc" in line
    assert _sql("SELECT count(*) AS n FROM products") == [{"n": 0}]


def test_one_coherence_file_for_a_folder_of_several_interferograms_is_refused(settings, tmp_path):
    """--coherence names one interferogram's coherence, but a folder of two wrapped pairs passed it to both: a reader
    refused the second only when both names carried dates (an ISCE2 stack's ``filt_fine.int`` do not). It is refused
    for what it is (exit 2), with the option that fits, and nothing is catalogued."""
    _lake()
    for unw in UNW[:2]:
        _wrap(unw, tmp_path / "stack")
    coh = DATA / "gamma_coherence" / "20060619-20061002_utm.unw.cc"
    line = _one_error_line(_cli("unwrap", str(tmp_path / "stack"), "--coherence", str(coh), "--aoi", "sydney"))
    assert "coherence names one file, for one interferogram, but 2 are given" in line and "coherence_dirs" in line
    assert _sql("SELECT count(*) AS n FROM products") == [{"n": 0}]


def test_a_pair_of_an_s3_prefix_downloads_that_pair_and_not_the_others(bucket, tmp_path, monkeypatch):
    """--pair over an s3:// prefix downloaded the whole prefix before choosing, so one pair of a stack larger than
    the download limit was refused. Truth: the objects' sizes (the limit passes one pair, not the three) and
    ROI_PAC's own phase of the pair."""
    name, client = bucket
    _lake()
    truth = {unw.name: _wrap(unw, tmp_path / "stack")[1] for unw in UNW[:3]}
    _upload(client, name, tmp_path / "stack", "stack")
    one = sum(f.stat().st_size for f in (tmp_path / "stack").glob("geo_060828-061211.int*"))
    whole = sum(f.stat().st_size for f in (tmp_path / "stack").iterdir())
    assert whole > 2 * one
    monkeypatch.setenv("SARLAKE_INGEST__MAX_GIB", repr((one + whole) / 2 / 1024**3))
    everything = _one_error_line(_cli("unwrap", f"s3://{name}/stack/", "--aoi", "sydney"))
    assert f"input s3://{name}/stack/: holds" in everything  # the limit: the prefix as a whole is too big
    out = _cli("unwrap", f"s3://{name}/stack/", "--aoi", "sydney", "--pair", "20060828_20061211")
    assert out.exit_code == 0, out.output
    (row,) = _sql("SELECT met_uri FROM products")
    item = json.loads(Path(row["met_uri"]).read_text())
    assert item["provenance"]["inputs"] == [f"s3://{name}/stack/geo_060828-061211.int"]
    assert_no_cycle_lost(Path(row["met_uri"]).parent, truth["geo_060828-061211.unw"])
    line = _one_error_line(_cli("unwrap", f"s3://{name}/stack/", "--aoi", "sydney", "--pair", "20070101_20070202"))
    assert f"input s3://{name}/stack/: each of its objects is named after a pair of dates not asked for" in line
    (tmp_path / "more").mkdir()
    shutil.copyfile(str(UNW[0]) + ".rsc", tmp_path / "more" / "run.rsc")  # a header that names no pair: kept
    _upload(client, name, tmp_path / "more", "stack")
    line = _one_error_line(_cli("unwrap", f"s3://{name}/stack/", "--aoi", "sydney", "--pair", "20070101_20070202"))
    assert "folder holds no interferogram" in line
    assert "(6 more object(s), named after other pairs, were not downloaded, e.g. s3://" in line

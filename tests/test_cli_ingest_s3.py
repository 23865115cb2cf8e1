"""`sarlake ingest s3://bucket/prefix/`: an S3 prefix, where HyP3 and other services leave their results, read as a
folder (a local moto S3 server, ``s3_server`` of conftest).

Each case uploads, under a prefix, a HyP3 product zip or a LiCSAR frame built from the real Sydney data as
``test_cli_ingest_archives`` and ``test_cli_ingest_licsar`` build them; the products must be those of the local folder,
with the ``s3://`` URIs of the objects read in their provenance, not the run's scratch copies.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
from test_cli_ingest_archives import NAME, _hyp3_zip  # tests/ is on sys.path (pytest prepend mode)
from test_cli_ingest_licsar import FRAME, PAIR, _los_rasters, _pair
from test_cli_ingest_options import DATA, UNW, _cli, _lake, _one_error_line, _sql


@pytest.fixture
def bucket(settings, s3_server, monkeypatch) -> tuple[str, object]:
    """A new bucket of the moto server, and a client; the PGE reaches it through ``SARLAKE_S3__*``."""
    import boto3

    for key, value in {"SARLAKE_S3__ENDPOINT": s3_server, "SARLAKE_S3__ACCESS_KEY_ID": "test",
                       "SARLAKE_S3__SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
    name = f"ingest-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=name)
    return name, client


def _upload(client, bucket: str, folder: Path, prefix: str) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            client.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(folder).as_posix()}")


def _items() -> list[dict]:
    rows = _sql("SELECT met_uri FROM products ORDER BY secondary_date")
    return [json.loads(Path(r["met_uri"]).read_text()) for r in rows]


def test_a_prefix_of_hyp3_zips_is_read_as_a_folder_and_the_product_names_the_zip_on_s3(bucket, tmp_path):
    """``sarlake ingest s3://bucket/hyp3-jobs/`` was refused by the command line ('Path ... does not exist'), and
    the PGE said 'input s3://.../hyp3-jobs/ does not exist': only single objects could be fetched. The prefix is now
    downloaded and read as the folder of HyP3 zips it is; provenance names the zip's member on S3."""
    name, client = bucket
    _lake()
    archive, _ = _hyp3_zip(tmp_path, tmp_path / "downloads")
    _upload(client, name, tmp_path / "downloads", "hyp3-jobs")
    out = _cli("ingest", f"s3://{name}/hyp3-jobs/", "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    (item,) = _items()
    props = item["properties"]
    assert props["sat:relative_orbit"] == 174  # the parameter file inside the zip on S3
    assert props["sarlake:heading_deg"] == -167.25
    assert props["sarlake:source_coherence_file"] == f"{NAME}_corr.tif"
    assert props["sarlake:coherence_mean"] > 0
    zipped = f"/vsizip/{{/vsis3/{name}/hyp3-jobs/{archive.name}}}/{NAME}"  # as GDAL names a zip on S3
    assert item["provenance"]["inputs"] == [f"{zipped}/{NAME}_unw_phase.tif", f"{zipped}/{NAME}_corr.tif"]
    import rasterio
    from rasterio.session import AWSSession

    session = AWSSession(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1",
                         endpoint_url=os.environ["SARLAKE_S3__ENDPOINT"].removeprefix("http://"))
    with rasterio.Env(session=session, AWS_HTTPS="NO", AWS_VIRTUAL_HOSTING="FALSE"):
        with rasterio.open(item["provenance"]["inputs"][0]) as src:  # GDAL opens the member on S3 by that name
            assert src.crs.to_epsg() == 32756
    local = _cli("ingest", str(tmp_path / "downloads"), "--aoi", "sydney")  # the local folder: the same product
    assert "nothing new" in local.output
    assert "1 product(s) already published and kept" in local.output
    one = _cli("ingest", f"s3://{name}/hyp3-jobs/{archive.name}", "--aoi", "sydney")  # one object, named
    assert one.exit_code == 0, one.output
    assert "1 product(s) already published and kept" in one.output


def test_a_licsar_frame_prefix_is_ingested_pair_by_pair_with_the_frame_s_track_heading_and_coherence(bucket,
                                                                                                        tmp_path,
                                                                                                        monkeypatch):
    """A LiCSAR frame left on S3 (``<frame>/interferograms/<pair>/`` beside ``<frame>/metadata/``), named without
    a trailing slash: both real Sydney pairs are catalogued as from the local frame, with the frame's track and
    heading read from ``metadata/``, their coherence, and the objects' ``s3://`` URIs."""
    from pges.readers import read_interferogram

    name, client = bucket
    _lake()
    frame = tmp_path / FRAME
    ifg = read_interferogram(UNW[0], coherence_dirs=[DATA / "gamma_coherence"])
    _pair(frame / "interferograms", ifg)
    _pair(frame / "interferograms", read_interferogram(UNW[1]), pair="20060828_20061211")
    _los_rasters(frame / "metadata", ifg, heading=-167.25)
    (frame / "metadata" / f"{FRAME}.geo.hgt.tif").write_bytes(b"a DEM no reader opens")
    _upload(client, name, frame, f"licsar/{FRAME}")
    import pges.ingest.s3_listing as listing

    fetched: list[str] = []
    real_client = listing.s3_client

    def spying_client():  # type: ignore[no-untyped-def]
        c = real_client()
        download = c.download_file

        def spy(bucket_name, key, dest, *args, **kwargs):  # type: ignore[no-untyped-def]
            fetched.append(key)
            return download(bucket_name, key, dest, *args, **kwargs)

        c.download_file = spy
        return c

    monkeypatch.setattr(listing, "s3_client", spying_client)
    out = _cli("ingest", f"s3://{name}/licsar/{FRAME}", "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    assert f"licsar/{FRAME}/metadata/{FRAME}.geo.U.tif" in fetched  # the LiCSAR reader opens E, N and U
    assert f"licsar/{FRAME}/metadata/{FRAME}.geo.hgt.tif" not in fetched  # counted, not downloaded
    assert "1 DEM(s)" in out.output
    items = _items()
    assert [i["properties"]["sarlake:secondary_date"] for i in items] == ["2006-06-19", "2006-08-28"]
    for item in items:
        assert item["properties"]["sat:relative_orbit"] == 124
        assert item["properties"]["sarlake:heading_deg"] == pytest.approx(-167.25, abs=1e-3)
    pairs = f"s3://{name}/licsar/{FRAME}/interferograms"
    assert items[0]["provenance"]["inputs"] == [f"{pairs}/{PAIR}/{PAIR}.geo.unw.tif",
                                                f"{pairs}/{PAIR}/{PAIR}.geo.cc.tif"]
    assert items[0]["properties"]["sarlake:coherence_mean"] > 0
    assert items[1]["provenance"]["inputs"] == [f"{pairs}/20060828_20061211/20060828_20061211.geo.unw.tif"]
    assert "3 other raster(s)" in out.output  # the frame's E, N and U
    local = _cli("ingest", str(frame), "--aoi", "sydney")
    assert "2 product(s) already published and kept" in local.output


def test_one_object_is_ingested_from_s3_with_its_header_fetched_beside_it(bucket):
    """The command line refused every ``s3://`` path ('Path ... does not exist'), though the PGE fetches objects."""
    name, client = bucket
    _lake()
    for suffix in ("", ".rsc"):
        client.upload_file(f"{UNW[0]}{suffix}", name, f"roipac/{UNW[0].name}{suffix}")
    out = _cli("ingest", f"s3://{name}/roipac/{UNW[0].name}", "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    (item,) = _items()
    assert item["provenance"]["inputs"] == [f"s3://{name}/roipac/{UNW[0].name}"]
    assert item["properties"]["sarlake:source_file"] == UNW[0].name


def test_an_empty_prefix_is_refused_naming_it(bucket):
    name, _ = bucket
    _lake()
    line = _one_error_line(_cli("ingest", f"s3://{name}/nothing-here/", "--aoi", "sydney"))
    assert f"s3://{name}/nothing-here/: no objects under this S3 prefix" in line


def test_a_prefix_over_the_limits_set_by_the_environment_is_refused_naming_the_setting_that_raises_them(bucket,
                                                                                                         monkeypatch):
    """The limits were constants (2000 objects, 20 GiB) an operator could not change, and the refusal did not say
    how to raise them. They are the settings SARLAKE_INGEST__MAX_OBJECTS and SARLAKE_INGEST__MAX_GIB, passed into
    the run-config; the refusal names the one exceeded, and a prefix within them is ingested."""
    name, client = bucket
    _lake()
    for i, unw in enumerate(UNW):
        for suffix in ("", ".rsc"):
            client.upload_file(f"{unw}{suffix}", name, f"jobs/{i}/{unw.name}{suffix}")
    monkeypatch.setenv("SARLAKE_INGEST__MAX_OBJECTS", "5")
    line = _one_error_line(_cli("ingest", f"s3://{name}/jobs/", "--aoi", "sydney"))
    assert f"s3://{name}/jobs/: holds more than 5 objects" in line
    assert "name a narrower prefix" in line
    assert line.endswith("raise the limit with the setting SARLAKE_INGEST__MAX_OBJECTS (the ingest run-config's "
                         "max_objects)")
    monkeypatch.setenv("SARLAKE_INGEST__MAX_OBJECTS", "6")
    monkeypatch.setenv("SARLAKE_INGEST__MAX_GIB", str(UNW[0].stat().st_size / 1024**3))
    line = _one_error_line(_cli("ingest", f"s3://{name}/jobs/", "--aoi", "sydney"))
    assert f"s3://{name}/jobs/: holds more than " in line
    assert "MiB; ingest downloads a prefix whole" in line
    assert line.endswith("raise the limit with the setting SARLAKE_INGEST__MAX_GIB (the ingest run-config's max_gib)")
    assert _sql("SELECT count(*) AS n FROM products")[0]["n"] == 0
    monkeypatch.setenv("SARLAKE_INGEST__MAX_GIB", "0.01")
    out = _cli("ingest", f"s3://{name}/jobs/", "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    assert _sql("SELECT count(*) AS n FROM products")[0]["n"] == len(UNW)


def test_a_coherence_object_on_s3_is_given_with_coherence_and_named_by_its_uri(bucket):
    """--coherence took local files only (click refused s3://), and a coherence fetched from S3 was recorded in
    provenance as the run's scratch copy, gone after the run."""
    name, client = bucket
    _lake()
    coherence = DATA / "gamma_coherence" / "20060619-20061002_utm.unw.cc"
    for src, key in ((UNW[0], f"roipac/{UNW[0].name}"), (Path(f"{UNW[0]}.rsc"), f"roipac/{UNW[0].name}.rsc"),
                     (coherence, f"gamma/{coherence.name}")):
        client.upload_file(str(src), name, key)
    out = _cli("ingest", f"s3://{name}/roipac/{UNW[0].name}", "--coherence", f"s3://{name}/gamma/{coherence.name}",
               "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    (item,) = _items()
    assert item["provenance"]["inputs"] == [f"s3://{name}/roipac/{UNW[0].name}", f"s3://{name}/gamma/{coherence.name}"]
    assert item["properties"]["sarlake:source_coherence_file"] == coherence.name

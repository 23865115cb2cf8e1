"""`sarlake ingest s3://bucket/.../one_object` reads it with what lies beside it, as a local file is read, and
`--coherence-dir s3://bucket/prefix/` gives coherence from S3 (a local moto S3 server, ``s3_server`` of conftest).

The interferograms and coherence are the real Sydney ones, laid out as the processors write them by the helpers of
``test_cli_ingest_archives`` (a HyP3 product folder) and ``test_cli_ingest_options``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_cli_ingest_archives import NAME, _hyp3_zip  # tests/ is on sys.path (pytest prepend mode)
from test_cli_ingest_options import DATA, UNW, _cli, _lake, _one_error_line, _sql, assert_each_pixel_is_the_sources
from test_cli_ingest_s3 import _upload
from test_cli_ingest_s3 import bucket as s3_bucket

bucket = s3_bucket  # the fixture: a new bucket of the moto server the PGE reaches, and a client

COHERENCE = DATA / "gamma_coherence" / "20060619-20061002_utm.unw.cc"  # GAMMA's coherence of UNW[0]'s pair


def _item() -> tuple[Path, dict]:
    (row,) = _sql("SELECT met_uri FROM products")
    return Path(row["met_uri"]), json.loads(Path(row["met_uri"]).read_text())


def _spy_downloads(monkeypatch) -> list[str]:
    """The keys ingest downloads from S3 (the objects named and what it lists), as they are downloaded."""
    from pges.storage import s3_client

    client = s3_client()  # cached per environment: the client every download of the run uses
    download = client.download_file

    def spy(bucket_name, key, dest, *args, **kwargs):  # type: ignore[no-untyped-def]
        fetched.append(key)
        return download(bucket_name, key, dest, *args, **kwargs)

    fetched: list[str] = []
    monkeypatch.setattr(client, "download_file", spy)
    return fetched


def test_one_hyp3_object_is_read_with_the_coherence_and_parameter_file_beside_it_on_s3(bucket, tmp_path,
                                                                                       monkeypatch):
    """``sarlake ingest s3://.../<NAME>_unw_phase.tif`` was ingested without coherence or track (only ``.rsc``/
    ``.par`` headers were fetched beside an object), though the same file as a local path finds its ``_corr.tif`` and
    ``.txt``. Its folder's coherence and parameter file are now downloaded beside it, its DEM, amplitude and look
    vector and the folder's other interferogram are not, and only the object named is ingested."""
    from pges.readers import read_interferogram

    name, client = bucket
    _lake()
    _hyp3_zip(tmp_path, tmp_path / "downloads")  # leaves the product's folder in made/<NAME>
    _upload(client, name, tmp_path / "made" / NAME, f"hyp3/{NAME}")
    for suffix in ("", ".rsc"):  # another pair in the same folder: not downloaded, not ingested
        client.upload_file(f"{UNW[1]}{suffix}", name, f"hyp3/{NAME}/{UNW[1].name}{suffix}")
    fetched = _spy_downloads(monkeypatch)
    folder = f"s3://{name}/hyp3/{NAME}"
    out = _cli("ingest", f"{folder}/{NAME}_unw_phase.tif", "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    assert sorted(fetched) == [f"hyp3/{NAME}/{NAME}{end}" for end in (".txt", "_corr.tif", "_unw_phase.tif")]
    met, item = _item()
    props = item["properties"]
    assert props["sarlake:source_coherence_file"] == f"{NAME}_corr.tif"
    assert props["sat:relative_orbit"] == 174  # from the parameter file <NAME>.txt beside it
    assert props["sarlake:heading_deg"] == -167.25
    assert item["provenance"]["inputs"] == [f"{folder}/{NAME}_unw_phase.tif", f"{folder}/{NAME}_corr.tif"]
    source = read_interferogram(UNW[0], coherence_dirs=[DATA / "gamma_coherence"])  # what _corr.tif was made of
    assert_each_pixel_is_the_sources(met.parent / "coherence.tif", source.coherence, source.transform)


def test_a_low_object_limit_refuses_what_one_object_s_folder_would_download_naming_the_setting(bucket, monkeypatch):
    """The limits hold for what is downloaded beside one object too (its folder's headers and coherence), not for
    the objects of the folder left on S3."""
    name, client = bucket
    _lake()
    for src in (UNW[0], Path(f"{UNW[0]}.rsc"), COHERENCE):
        client.upload_file(str(src), name, f"roipac/{src.name}")
    for unw in UNW[1:]:
        client.upload_file(str(unw), name, f"roipac/{unw.name}")  # not downloaded: not counted
    monkeypatch.setenv("SARLAKE_INGEST__MAX_OBJECTS", "1")
    line = _one_error_line(_cli("ingest", f"s3://{name}/roipac/{UNW[0].name}", "--aoi", "sydney"))
    assert f"s3://{name}/roipac/{UNW[0].name}: its folder holds more than 1 objects to download beside it" in line
    assert line.endswith("raise the limit with the setting SARLAKE_INGEST__MAX_OBJECTS (the ingest run-config's "
                         "max_objects)")
    monkeypatch.setenv("SARLAKE_INGEST__MAX_OBJECTS", "2")
    out = _cli("ingest", f"s3://{name}/roipac/{UNW[0].name}", "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    _, item = _item()
    assert item["properties"]["sarlake:source_coherence_file"] == COHERENCE.name  # found by its dates beside it


def test_a_coherence_dir_on_s3_gives_the_interferogram_its_coherence_by_date(bucket, tmp_path, monkeypatch):
    """``--coherence-dir`` took local folders only (click: 'Directory ... does not exist'). An ``s3://`` prefix is
    now searched as a local one: its coherence files (by name) are downloaded, not its other objects, and the
    one holding the interferogram's dates is its coherence, named in provenance by its ``s3://`` URI."""
    from pges.readers import read_interferogram

    name, client = bucket
    _lake()
    _upload(client, name, DATA / "gamma_coherence", "gamma/coherence")
    client.upload_file(str(UNW[1]), name, f"gamma/coherence/{UNW[1].name}")  # an interferogram: not downloaded
    fetched = _spy_downloads(monkeypatch)
    out = _cli("ingest", str(UNW[0]), "--coherence-dir", f"s3://{name}/gamma/coherence/", "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    assert sorted(fetched) == sorted(f"gamma/coherence/{p.name}" for p in (DATA / "gamma_coherence").iterdir())
    met, item = _item()
    assert item["properties"]["sarlake:source_coherence_file"] == COHERENCE.name
    assert item["provenance"]["inputs"] == [str(UNW[0]), f"s3://{name}/gamma/coherence/{COHERENCE.name}"]
    assert item["provenance"]["parameters"]["coherence_dirs"] == [f"s3://{name}/gamma/coherence/"]
    source = read_interferogram(UNW[0], coherence_dirs=[DATA / "gamma_coherence"])
    assert np.isfinite(source.coherence).mean() > 0.5
    assert_each_pixel_is_the_sources(met.parent / "coherence.tif", source.coherence, source.transform)
    line = _one_error_line(_cli("ingest", str(UNW[0]), "--coherence-dir", f"s3://{name}/gamma/", "--aoi", "sydney",
                                "--replace"))
    assert line == (f"error: coherence folder s3://{name}/gamma/: no objects in this S3 folder, its subfolders not "
                    "searched (check the bucket and prefix)")


def test_a_snap_dim_on_s3_is_read_with_its_data_folder(bucket, tmp_path, monkeypatch):
    """``sarlake ingest s3://.../product.dim`` failed: 'no product.data/ folder beside it', since only the .dim's
    folder was listed and SNAP keeps every band in ``<stem>.data/``. That folder is now downloaded with it; the LOS
    is then PyRate's MATLAB millimetres negated and the coherence GAMMA's, as for the same product read locally."""
    from test_cli_ingest_options import assert_los_is_pyrates_negated
    from test_cli_ingest_snap import _sydney

    name, client = bucket
    _lake()
    dim, ifg = _sydney(tmp_path / "snap")
    _upload(client, name, dim.parent, "snap")
    fetched = _spy_downloads(monkeypatch)
    out = _cli("ingest", f"s3://{name}/snap/{dim.name}", "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    assert f"snap/{dim.stem}.data/Unw_Phase_ifg_VV_19Jun2006_02Oct2006.img" in fetched
    met, item = _item()
    assert item["properties"]["sarlake:source_format"] == "snap"
    assert item["provenance"]["inputs"][0] == f"s3://{name}/snap/{dim.name}"
    assert_los_is_pyrates_negated(met, UNW[0], ifg.coherence)


def test_a_licsar_pair_on_s3_is_read_with_its_frame_metadata(bucket, tmp_path, monkeypatch):
    """``sarlake ingest s3://.../<frame>/interferograms/<pair>/<pair>.geo.unw.tif`` got no heading, incidence or
    baseline: the frame's E/N/U rasters and ``baselines`` lie in ``<frame>/metadata/``, not beside the pair. They are
    now downloaded with it (the frame's DEM is not), and give what they give locally: the heading the rasters were
    made from, their median incidence over the pair, and the baselines file's later-minus-earlier value."""
    from test_cli_ingest_licsar import FRAME, PAIR, _los_rasters, _pair

    from pges.readers import read_interferogram

    name, client = bucket
    _lake()
    ifg = read_interferogram(UNW[0], coherence_dirs=[DATA / "gamma_coherence"])
    frame = tmp_path / FRAME
    _pair(frame / "interferograms", ifg)
    incidence = _los_rasters(frame / "metadata", ifg, heading=-167.25)
    (frame / "metadata" / "baselines").write_text("20060619 20060619 0.0 0.0\n20060619 20061002 -41.5 105.0\n")
    (frame / "metadata" / f"{FRAME}.geo.hgt.tif").write_bytes(b"not read")
    _upload(client, name, frame, f"licsar/{FRAME}")
    fetched = _spy_downloads(monkeypatch)
    out = _cli("ingest", f"s3://{name}/licsar/{FRAME}/interferograms/{PAIR}/{PAIR}.geo.unw.tif", "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    assert f"licsar/{FRAME}/metadata/{FRAME}.geo.U.tif" in fetched
    assert f"licsar/{FRAME}/metadata/{FRAME}.geo.hgt.tif" not in fetched
    _, item = _item()
    props = item["properties"]
    assert props["sat:relative_orbit"] == 124
    assert props["sarlake:heading_deg"] == pytest.approx(-167.25, abs=0.01)
    assert props["view:incidence_angle"] == pytest.approx(incidence, abs=0.01)
    assert props["sarlake:perpendicular_baseline_m"] == -41.5
    assert props["sarlake:source_coherence_file"] == f"{PAIR}.geo.cc.tif"


@pytest.mark.parametrize(("layout", "run_xml"), [("topsStack", "topsProc.xml"), ("stripmapStack", "reference/IW1.xml")])
def test_an_isce_stack_pair_on_s3_gets_its_baseline_from_the_stack_above_it(bucket, tmp_path, monkeypatch, layout,
                                                                             run_xml):
    """An ISCE2 stack writes one baseline per date in ``<stack>/baselines/``, and its run XML (``topsProc.xml``, the
    radar wavelength) in the stack's folder, both above the pair's folder. The same file ingested from a local folder
    got them; from S3 only its own folder was downloaded, and it was refused for want of a wavelength. Truth: the
    values written by hand (2018-01-01 at 31 m, 2018-01-13 at -11 m: -11 - 31 = -42 m; 0.05546576 m)."""
    from test_pges_readers_formats import _isce_folder
    from test_pges_readers_stack_baselines import _isce_stack

    name, client = bucket
    assert _cli("init").exit_code == 0
    folder, *_ = _isce_folder(tmp_path)  # <stack>/merged/20180101_20180113/filt_topophase.unw.geo
    stack = folder.parent.parent
    _isce_stack(stack, layout)
    (stack / "baselines" / "notes.pdf").write_bytes(b"not a baseline")
    (stack / run_xml).parent.mkdir(exist_ok=True)
    (stack / "topsProc.xml").rename(stack / run_xml)  # topsApp's run XML, or the reference's swath XML
    _upload(client, name, stack, "isce/stack")
    fetched = _spy_downloads(monkeypatch)
    out = _cli("ingest", f"s3://{name}/isce/stack/merged/20180101_20180113/filt_topophase.unw.geo")
    assert out.exit_code == 0, out.output
    _, item = _item()
    assert item["properties"]["sarlake:perpendicular_baseline_m"] == pytest.approx(-42.0)
    assert item["properties"]["sarlake:wavelength_m"] == pytest.approx(0.05546576)
    assert f"isce/stack/{run_xml}" in fetched
    baselines = sorted(k for k in fetched if "/baselines/" in k)
    assert baselines == sorted(f"isce/stack/{p.relative_to(stack).as_posix()}"
                               for p in (stack / "baselines").rglob("*.txt"))  # the .pdf is not downloaded


def test_a_gmtsar_pair_on_s3_gets_its_baseline_from_the_stack_s_baseline_table(bucket, tmp_path, monkeypatch):
    """GMTSAR's ``raw/baseline_table.dat`` lies two folders above ``intf/<pair>/``. Truth: its b_perp column, by
    hand (2015-04-14 at -142.78 m, 2015-04-02 at -17.10 m)."""
    from test_pges_readers_formats import _gmtsar_folder

    name, client = bucket
    assert _cli("init").exit_code == 0
    folder, *_ = _gmtsar_folder(tmp_path)  # <tmp>/intf/2015092_2015104/unwrap_ll.grd
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "baseline_table.dat").write_text(
        "S1_20150402_ALL_F1 2015091.5885222249 91 -33.273566547687 -17.102628888348\n"
        "S1_20150414_ALL_F1 2015103.5885250464 103 -104.664278131966 -142.776284597889\n")
    _upload(client, name, tmp_path / "intf", "gmtsar/intf")
    client.upload_file(str(tmp_path / "raw" / "baseline_table.dat"), name, "gmtsar/raw/baseline_table.dat")
    fetched = _spy_downloads(monkeypatch)
    out = _cli("ingest", f"s3://{name}/gmtsar/intf/2015092_2015104/unwrap_ll.grd")
    assert out.exit_code == 0, out.output
    assert "gmtsar/raw/baseline_table.dat" in fetched
    _, item = _item()
    assert item["properties"]["sarlake:perpendicular_baseline_m"] == pytest.approx(-142.776284597889 - -17.102628888348,
                                                                                   abs=1e-3)  # kept to the mm


def test_an_isce_stack_s_pairs_prefix_on_s3_gets_the_run_xml_and_baselines_above_it(bucket, tmp_path, monkeypatch):
    """``sarlake ingest s3://.../<stack>/merged/`` downloaded the prefix whole but nothing above it, so its pairs
    were refused for want of the wavelength in ``<stack>/topsProc.xml``. Each is listed once however many pairs."""
    from test_pges_readers_formats import _isce_folder
    from test_pges_readers_stack_baselines import _isce_stack

    from pges.storage import s3_client

    name, client = bucket
    assert _cli("init").exit_code == 0
    folder, *_ = _isce_folder(tmp_path)
    stack = folder.parent.parent
    _isce_stack(stack, "topsStack")
    _upload(client, name, stack, "isce/stack")
    fetched = _spy_downloads(monkeypatch)
    listed: list[str] = []
    paginator = s3_client().get_paginator

    def spy(operation):  # type: ignore[no-untyped-def]
        real = paginator(operation)
        paginate = real.paginate

        def counted(**kwargs):  # type: ignore[no-untyped-def]
            listed.append(kwargs["Prefix"])
            return paginate(**kwargs)

        real.paginate = counted
        return real

    monkeypatch.setattr(s3_client(), "get_paginator", spy)
    out = _cli("ingest", f"s3://{name}/isce/stack/merged/")
    assert out.exit_code == 0, out.output
    _, item = _item()
    assert item["properties"]["sarlake:wavelength_m"] == pytest.approx(0.05546576)
    assert item["properties"]["sarlake:perpendicular_baseline_m"] == pytest.approx(-42.0)
    assert "isce/stack/topsProc.xml" in fetched
    assert len(listed) == len(set(listed))  # no prefix listed twice
    assert not [p for p in listed if p.startswith("isce/stack/merged/") and p != "isce/stack/merged/"]  # nor inside

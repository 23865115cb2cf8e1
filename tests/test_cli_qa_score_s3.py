"""`sarlake qa score s3://...`: products scored where they lie on S3 (a local moto server, ``s3_server`` of conftest).

`qa score` said 'file does not exist' of an ``s3://`` product, where ingest and unwrap read it: an operator had to
copy a product (and its header) down by hand to judge it. The objects here are the real Sydney ROI_PAC files and
their GAMMA coherence; what the S3 route scores must be what the same bytes score from disk.
"""

from __future__ import annotations

import json

from qa_champion import register_champion
from test_cli_ingest_options import DATA, _cli
from test_cli_ingest_s3 import _upload
from test_cli_ingest_s3 import bucket as s3_bucket

bucket = s3_bucket  # the fixture: a new bucket of the moto server the scorer reaches, and a client

UNW = DATA / "roipac_unw" / "geo_060619-061002.unw"
COH = DATA / "gamma_coherence" / "20060619-20061002_utm.unw.cc"


def _records(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_an_s3_product_scores_as_its_bytes_do_on_disk_and_is_named_by_its_uri(bucket):
    name, client = bucket
    _upload(client, name, DATA / "roipac_unw", "roipac")
    _upload(client, name, DATA / "gamma_coherence", "coherence")
    register_champion()
    on_disk = _cli("qa", "score", str(UNW), "--coherence", str(COH), "--json")
    assert on_disk.exit_code == 0, on_disk.output
    uri = f"s3://{name}/roipac/{UNW.name}"
    on_s3 = _cli("qa", "score", uri, "--coherence", f"s3://{name}/coherence/{COH.name}", "--json")
    assert on_s3.exit_code == 0, on_s3.output
    (disk,), (s3,) = _records(on_disk.output), _records(on_s3.output)
    assert s3["unw"] == uri  # the object, not the scratch copy
    assert disk["unw"] == str(UNW)
    assert {k: v for k, v in s3.items() if k != "unw"} == {k: v for k, v in disk.items() if k != "unw"}
    # the coherence object was read (and judged: this real layer does not follow the phase, so QA sets it aside)
    assert s3["ignored_inputs"] == ["coherence"]


def test_a_manifest_of_s3_rows_scores_each_and_names_the_missing_object_by_its_line(bucket, tmp_path):
    name, client = bucket
    _upload(client, name, DATA / "roipac_unw", "roipac")
    client.delete_object(Bucket=name, Key="roipac/geo_061106-070326.unw.rsc")  # its grid and dates are gone
    register_champion()
    manifest = tmp_path / "m.csv"
    manifest.write_text("unw,coherence,dem\n"
                        f"s3://{name}/roipac/{UNW.name},s3://{name}/nowhere/{COH.name},\n"
                        f"s3://{name}/roipac/geo_061106-070326.unw,,\n"
                        f"s3://{name}/roipac/geo_061106-061211.unw,,\n")
    out = _cli("qa", "score", "--manifest", str(manifest), "--json")
    assert out.exit_code == 2, out.output
    assert [r["unw"] for r in _records(out.output)] == [f"s3://{name}/roipac/geo_061106-061211.unw"]
    assert f"line 2: input s3://{name}/nowhere/{COH.name} does not exist" in out.output
    assert "line 3: geo_061106-070326.unw:" in out.output
    assert "2 of 3 products" in out.output


def test_a_hyp3_product_on_s3_or_on_disk_is_scored_with_the_coherence_beside_it_and_says_so(bucket, tmp_path):
    """The S3 route downloaded a HyP3 product's _corr.tif beside its _unw_phase.tif and then scored the phase without
    it, as the disk route did. Both now read it, score as with --coherence naming it, and name the file found."""
    from test_pges_qa_any_format import _hyp3_product

    name, client = bucket
    unw, corr, _ = _hyp3_product(tmp_path / "hyp3")
    _upload(client, name, tmp_path / "hyp3", "jobs/one")
    register_champion()
    given = _records(_cli("qa", "score", str(unw), "--coherence", str(corr), "--json").output)[0]
    on_disk = _cli("qa", "score", str(unw), "--json")
    on_s3 = _cli("qa", "score", f"s3://{name}/jobs/one/{unw.name}", "--json")
    assert on_disk.exit_code == 0, on_disk.output
    assert on_s3.exit_code == 0, on_s3.output
    (disk,), (s3,) = _records(on_disk.output), _records(on_s3.output)
    assert "coherence" not in disk["missing_inputs"]
    same = ("p_error", "uwe_class", "class_probabilities", "missing_inputs", "ignored_inputs", "degraded")
    assert {k: disk[k] for k in same} == {k: given[k] for k in same}
    assert {k: s3[k] for k in same} == {k: given[k] for k in same}
    assert given["coherence_found"] is None
    assert disk["coherence_found"] == str(corr)
    assert s3["coherence_found"] == f"s3://{name}/jobs/one/{corr.name}"
    text = _cli("qa", "score", str(unw)).output
    assert f"(coherence found beside it: {corr})" in text

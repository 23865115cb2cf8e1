"""QA inputs of products on S3 (moto): read from the objects their met.json lists; a broken met.json is named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest


def _tif(path: Path, values: np.ndarray) -> bytes:
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
                       dtype="float32", crs="EPSG:4326", transform=from_origin(150.0, -34.0, 1e-3, 1e-3)) as dst:
        dst.write(values.astype("float32"), 1)
    return path.read_bytes()


def _s3_lake(s3_server, name, tmp_path, monkeypatch):
    """A lake whose products are in a new moto bucket: (its settings, the bucket, an S3 client)."""
    import boto3
    from conftest import s3_lake_env

    from lake.settings import get_settings

    env = s3_lake_env(s3_server, name)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SARLAKE_HOME", str(tmp_path / "home"))
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="test",
                      aws_secret_access_key="test")
    return get_settings(), env["SARLAKE_PRODUCTS_ROOT"].split("/")[2], s3


def test_products_are_read_from_the_objects_their_met_json_lists_and_a_broken_met_json_is_named(
        s3_server, tmp_path, monkeypatch):
    """Truth: the arrays written to S3; each broken met.json is refused naming its URI and what is wrong."""
    from pges.errors import InputValidationError
    from sarlake.workflows.qa_inputs import read_products

    settings, bucket, s3 = _s3_lake(s3_server, "qa-inputs", tmp_path, monkeypatch)
    rng = np.random.default_rng(3)
    phase, coherence = rng.normal(0, 3, (24, 32)), rng.uniform(0.2, 1.0, (24, 32))
    s3.put_object(Bucket=bucket, Key="products/good/unwrapped_phase.tif", Body=_tif(tmp_path / "u.tif", phase))
    s3.put_object(Bucket=bucket, Key="products/good/coherence.tif", Body=_tif(tmp_path / "c.tif", coherence))
    metas = {
        "good": json.dumps({"assets": {"unwrapped_phase": {"href": "unwrapped_phase.tif"},
                                       "coherence": {"href": "coherence.tif"}}}),
        "truncated": '{"assets": {"unwrapped_phase": {"href": "unwr',
        "not-utf8": b"\xff\xfe\x00{".decode("latin-1"),
        "asset-list": json.dumps({"assets": ["unwrapped_phase.tif"]}),
        "no-href": json.dumps({"assets": {"unwrapped_phase": {"type": "image/tiff"}}}),
    }
    rows = []
    for pid, text in metas.items():
        met = f"s3://{bucket}/products/{pid}/{pid}.met.json"
        s3.put_object(Bucket=bucket, Key=f"products/{pid}/{pid}.met.json", Body=text.encode("latin-1"))
        rows.append((pid, f"s3://{bucket}/products/{pid}", met))

    got = read_products(rows, tmp_path / "scratch", settings)

    assert list(got) == list(metas)
    inputs, unw_uri = got["good"]  # type: ignore[misc]
    assert unw_uri == f"s3://{bucket}/products/good/unwrapped_phase.tif"
    np.testing.assert_allclose(inputs.unw, phase.astype("float32"))
    np.testing.assert_allclose(inputs.coherence, coherence.astype("float32"))
    assert inputs.wrapped is None and inputs.dem is None
    why = {pid: str(got[pid]) for pid in metas if pid != "good"}
    assert all(isinstance(got[pid], InputValidationError) for pid in why)
    assert all(message.startswith(f"s3://{bucket}/products/{pid}/{pid}.met.json: ") for pid, message in why.items())
    assert "not a JSON document" in why["truncated"] and "not a JSON document" in why["not-utf8"]
    assert "no unwrapped_phase asset" in why["asset-list"]
    assert "asset 'unwrapped_phase' has no href" in why["no-href"]
    assert not list((tmp_path / "scratch").glob("*/*"))  # no copies left behind


def test_the_qa_pge_scores_products_on_s3_from_their_met_json_and_reports_each_one_it_cannot_read(
        s3_server, tmp_path, monkeypatch):
    """Truth: the same rasters scored from local files by `sarlake qa score`'s path; each broken input is named.

    The model is read from S3 with the lake's S3 connection and the artifact root the run-config names.
    """
    from qa_champion import register_champion

    from lake.settings import get_settings
    from lake.storage import read_bytes
    from pges.contract import RunConfig, parse_run_config
    from pges.qa.config import QAParameters
    from pges.qa.pge import run
    from pges.runner import execute
    from sarlake.workflows.qa import score_files

    settings, bucket, s3 = _s3_lake(s3_server, "qa-pge", tmp_path, monkeypatch)
    monkeypatch.setenv("SARLAKE_MLFLOW_ARTIFACT_ROOT", f"s3://{bucket}/mlartifacts")  # the model on S3 too
    settings = get_settings()
    version = register_champion(seed=1)
    # a pod gets the lake's S3 connection, not the registry's settings: the run-config names the artifact root
    for name in ("SARLAKE_MLFLOW_ARTIFACT_ROOT", "MLFLOW_S3_ENDPOINT_URL", "MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE",
                 "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    rng = np.random.default_rng(5)
    ramp = np.add.outer(np.linspace(0, 9, 40), np.linspace(0, 4, 48))
    phase, coherence = ramp + rng.normal(0, 0.3, ramp.shape), rng.uniform(0.3, 1.0, ramp.shape)
    (tmp_path / "local").mkdir()
    unw_bytes = _tif(tmp_path / "local" / "unw.tif", phase)
    coh_bytes = _tif(tmp_path / "local" / "coh.tif", coherence)
    s3.put_object(Bucket=bucket, Key="products/p1/p1_unw.tif", Body=unw_bytes)  # not the standard names
    s3.put_object(Bucket=bucket, Key="products/p1/p1_coh.tif", Body=coh_bytes)
    s3.put_object(Bucket=bucket, Key="products/p1/p1.met.json", Body=json.dumps(
        {"id": "p1", "assets": {"unwrapped_phase": {"href": "p1_unw.tif"}, "coherence": {"href": "p1_coh.tif"}}}))
    s3.put_object(Bucket=bucket, Key="products/p2/p2.met.json", Body=json.dumps(
        {"id": "p2", "assets": {"unwrapped_phase": {"href": "gone.tif"}}}))
    inputs = [f"s3://{bucket}/products/p1/p1.met.json", f"s3://{bucket}/products/p2/p2.met.json",
              f"s3://{bucket}/products/p3/p3.met.json"]  # p3: no object at all

    cfg = parse_run_config(RunConfig[QAParameters], {  # type: ignore[misc]
        "pge": "qa", "inputs": inputs, "output_dir": f"{settings.products_root}/QA_SCORES",
        "parameters": {"tracking_uri": settings.mlflow_tracking_uri, "artifact_root": settings.mlflow_artifact_root,
                       "version": version, "report_id": "r1"}},
        pge="qa")
    result = execute("qa", cfg, run)

    met_uri = result["products"][0]["met_uri"]
    assert met_uri == f"s3://{bucket}/products/QA_SCORES/r1/r1.met.json"
    lines = [json.loads(t) for t in read_bytes(met_uri.rsplit("/", 1)[0] + "/qa.jsonl", settings).decode().splitlines()]
    assert [line["input"] for line in lines] == inputs
    good, gone, missing = lines
    monkeypatch.setenv("SARLAKE_MLFLOW_ARTIFACT_ROOT", f"s3://{bucket}/mlartifacts")  # this process's own scorer
    direct = next(iter(score_files([(str(tmp_path / "local" / "unw.tif"), str(tmp_path / "local" / "coh.tif"),
                                     None)], alias=version)))
    assert good["product_id"] == "p1" and good["model_version"] == version
    assert good["unw_uri"] == f"s3://{bucket}/products/p1/p1_unw.tif"
    assert good["p_error"] == pytest.approx(direct["p_error"], abs=1e-9) and good["uwe_class"] == direct["uwe_class"]
    assert good["missing_inputs"] == direct["missing_inputs"]
    assert gone["error"].startswith(f"s3://{bucket}/products/p2/gone.tif: listed in {inputs[1]} but not there")
    assert inputs[2] in missing["error"] and "does not exist" in missing["error"]
    assert [r["input"] for r in result["rejected"]] == inputs[1:]

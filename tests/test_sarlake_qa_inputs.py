"""QA inputs of products on S3 (moto): read from the objects their met.json lists; a broken met.json is named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def _tif(path: Path, values: np.ndarray) -> bytes:
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
                       dtype="float32", crs="EPSG:4326", transform=from_origin(150.0, -34.0, 1e-3, 1e-3)) as dst:
        dst.write(values.astype("float32"), 1)
    return path.read_bytes()


def test_products_are_read_from_the_objects_their_met_json_lists_and_a_broken_met_json_is_named(
        s3_server, tmp_path, monkeypatch):
    """Truth: the arrays written to S3; each broken met.json is refused naming its URI and what is wrong."""
    import boto3
    from conftest import s3_lake_env

    from lake.settings import get_settings
    from pges.errors import InputValidationError
    from sarlake.workflows.qa_inputs import read_products

    env = s3_lake_env(s3_server, "qa-inputs")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SARLAKE_HOME", str(tmp_path / "home"))
    settings = get_settings()
    bucket = env["SARLAKE_PRODUCTS_ROOT"].split("/")[2]
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="test",
                      aws_secret_access_key="test")
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

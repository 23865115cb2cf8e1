"""PGEs with s3:// inputs and outputs only (a local moto S3 server on a free port).

simulate and interferogram run on S3 in tests/test_dags_s3_e2e.py (the forward DAG); here ingest reads the
17 real Envisat ROI_PAC interferograms (and their GAMMA coherence) from S3 and publishes L2 products to S3,
and timeseries reads those products from S3 and publishes its L3 product to S3. Checked against the inputs'
own bytes (every asset's sha256 in its met.json matches the object) and against the same PGEs run on local
files: the products must be identical.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from ports import free_port

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "envisat_sydney_roipac"
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    import boto3

    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
    client.create_bucket(Bucket="inputs")
    client.create_bucket(Bucket="outputs")
    for path in sorted(DATA.rglob("*")):
        if path.is_file():
            client.upload_file(str(path), "inputs", str(path.relative_to(DATA)))
    try:
        yield endpoint, client
    finally:
        server.stop()


def _pge(name: str, cfg: dict, endpoint: str | None, home: Path) -> dict:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("SARLAKE_")}
    env.update({"SARLAKE_HOME": str(home), "SARLAKE_SCRATCH": str(home / "scratch")})
    if endpoint:
        env.update({"SARLAKE_S3__ENDPOINT": endpoint, "SARLAKE_S3__ACCESS_KEY_ID": "test",
                    "SARLAKE_S3__SECRET_ACCESS_KEY": "test"})
    result = home / f"{name}-result.json"
    proc = subprocess.run([sys.executable, "-m", "pges", name, "--run-config-json", json.dumps({"pge": name, **cfg}),
                           "--result-file", str(result)], env=env, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(result.read_text())


def _read_s3_tif(client, uri: str) -> np.ndarray:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    with rasterio.MemoryFile(client.get_object(Bucket=bucket, Key=key)["Body"].read()) as mem, mem.open() as ds:
        return ds.read()


def test_ingest_and_timeseries_on_s3_only(s3, tmp_path) -> None:
    endpoint, client = s3
    unw = sorted(p.name for p in (DATA / "roipac_unw").glob("*.unw"))
    coh = sorted(p.name for p in (DATA / "gamma_coherence").glob("*.cc"))
    params = {"mission": "envisat", "aoi": "sydney"}
    remote = _pge("ingest", {"inputs": [f"s3://inputs/roipac_unw/{u}" for u in unw], "output_dir": "s3://outputs/l2",
                             "parameters": {**params, "coherence": [f"s3://inputs/gamma_coherence/{c}" for c in coh]}},
                  endpoint, tmp_path / "remote")
    local = _pge("ingest", {"inputs": [str(DATA / "roipac_unw" / u) for u in unw],
                            "output_dir": str(tmp_path / "l2"),
                            "parameters": {**params, "coherence": [str(DATA / "gamma_coherence" / c) for c in coh]}},
                 None, tmp_path / "local")
    met_uris = [p["met_uri"] for p in remote["products"]]
    assert len(met_uris) == 17 and all(u.startswith("s3://outputs/l2/") for u in met_uris)
    assert [p["id"] for p in remote["products"]] == [p["id"] for p in local["products"]]
    for uri in met_uris:
        key = uri.removeprefix("s3://outputs/")
        met = json.loads(client.get_object(Bucket="outputs", Key=key)["Body"].read())
        for asset in met["assets"].values():
            if "sarlake:sha256" in asset:
                obj = f"{key.rsplit('/', 1)[0]}/{asset['href']}"
                body = client.get_object(Bucket="outputs", Key=obj)["Body"].read()
                assert hashlib.sha256(body).hexdigest() == asset["sarlake:sha256"]
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="outputs").get("Contents", [])]
    assert not [k for k in keys if ".partial-" in k]

    reference = {"lat": -34.175, "lon": 150.915}
    ts_remote = _pge("timeseries", {"inputs": met_uris, "output_dir": "s3://outputs/l3",
                                    "parameters": {"reference": reference, "aoi": "sydney"}}, endpoint, tmp_path / "r")
    ts_local = _pge("timeseries", {"inputs": [p["met_uri"] for p in local["products"]],
                                   "output_dir": str(tmp_path / "l3"),
                                   "parameters": {"reference": reference, "aoi": "sydney"}}, None, tmp_path / "l")
    # the time-series PGE makes the L3_TS product and its coherence time series (L3_COH)
    (l3,) = [p for p in ts_remote["products"] if p["id"].startswith("L3-TS-")]
    (l3_local,) = [p for p in ts_local["products"] if p["id"].startswith("L3-TS-")]
    assert l3["met_uri"].startswith("s3://outputs/l3/")
    remote_v = _read_s3_tif(client, l3["met_uri"].rsplit("/", 1)[0] + "/velocity_mm_yr.tif")
    with rasterio.open(Path(l3_local["met_uri"]).parent / "velocity_mm_yr.tif") as ds:
        local_v = ds.read()
    np.testing.assert_array_equal(remote_v, local_v)
    assert np.nanmin(remote_v) < -20.0  # the longwall-mining subsidence of the real stack is there

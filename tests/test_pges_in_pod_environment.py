"""Each PGE run as its container would run it: a subprocess with a clean environment, inputs and outputs on a
local S3 server (moto) only, no shared folder; the products are checked there (met.json, assets, checksums)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from ports import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "envisat_sydney_roipac"
BBOX = [14.40, 40.79, 14.46, 40.84]
DATES = ["2024-01-03T05:00:00Z", "2024-01-15T05:00:00Z", "2024-01-27T05:00:00Z"]


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
    client.create_bucket(Bucket="lake")
    try:
        yield endpoint, client, tmp_path_factory.mktemp("pods")
    finally:
        server.stop()


def _pod(s3, pge: str, cfg: dict) -> dict:
    """Run one PGE like its pod: only the pod's env, its own empty scratch and working folder."""
    endpoint, _client, root = s3
    pod = root / f"{pge}-{len(list(root.iterdir()))}"
    (pod / "work").mkdir(parents=True)
    (pod / "home").mkdir()  # the container user's home: caches (matplotlib's) may go there
    env = {"PATH": "/usr/bin:/bin", "HOME": str(pod / "home"), "SARLAKE_S3__ENDPOINT": endpoint,
           "SARLAKE_S3__ACCESS_KEY_ID": "test", "SARLAKE_S3__SECRET_ACCESS_KEY": "test",
           "SARLAKE_SCRATCH": str(pod / "scratch"), "LANG": "C.UTF-8"}
    result = pod / "return.json"
    proc = subprocess.run([sys.executable, "-m", "pges", pge, "--run-config-json", json.dumps(cfg), "--result-file",
                           str(result)], env=env, cwd=pod / "work", capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not any((pod / "work").iterdir()), "the PGE wrote into its working folder, not to S3"
    return json.loads(result.read_text())


def _check_products(s3, result: dict) -> list[dict]:
    _endpoint, client, _root = s3
    items = []
    for product in result["products"]:
        uri = product["met_uri"]
        assert uri.startswith("s3://lake/")
        key = uri.removeprefix("s3://lake/")
        item = json.loads(client.get_object(Bucket="lake", Key=key)["Body"].read())
        folder = key.rsplit("/", 1)[0]
        checked = 0
        for asset in item["assets"].values():
            if "file:checksum" not in asset:  # a folder asset (the simulator's truth/)
                continue
            body = client.get_object(Bucket="lake", Key=f"{folder}/{asset['href']}")["Body"].read()
            assert hashlib.sha256(body).hexdigest() == asset["file:checksum"][4:], asset["href"]
            checked += 1
        assert checked >= 1
        items.append(item)
    return items


def test_simulate_interferogram_timeseries_on_s3_only(s3):
    acquisitions = [{"id": f"SIM_S1_IW_SLC_A044_F0440_{d[:10].replace('-', '')}T050000", "start_time": d}
                    for d in DATES]
    sim = _pod(s3, "simulate", {"pge": "simulate", "run_id": "pod-test", "inputs": [],
                                "output_dir": "s3://lake/archive/044/F0440",
                                "parameters": {"bbox": BBOX, "track": 44, "direction": "A", "frame": "F0440",
                                               "aoi": "flank", "acquisitions": acquisitions}})
    slcs = {p["id"]: p["met_uri"] for p in sim["products"]}
    assert len(slcs) == 3 and all(u.startswith("s3://lake/archive/044/F0440/") for u in slcs.values())
    _check_products(s3, sim)
    ids = [a["id"] for a in acquisitions]
    ifg_mets = []
    for sec, ref in zip(ids, ids[1:], strict=False):
        res = _pod(s3, "interferogram", {"pge": "interferogram", "run_id": "pod-test",
                                         "inputs": [slcs[ref], slcs[sec]],
                                         "output_dir": "s3://lake/products/L2_IFG/flank",
                                         "parameters": {"looks_range": 4, "looks_azimuth": 4}})
        (item,) = _check_products(s3, res)
        assert item["properties"]["sarlake:product_type"] == "L2_IFG"
        ifg_mets.append(res["products"][0]["met_uri"])
    ts = _pod(s3, "timeseries", {"pge": "timeseries", "run_id": "pod-test", "inputs": ifg_mets,
                                 "output_dir": "s3://lake/products/L3_TS/flank", "parameters": {"aoi": "flank"}})
    items = _check_products(s3, ts)  # the time series and its coherence time series, both checked on S3
    assert sorted(i["properties"]["sarlake:product_type"] for i in items) == ["L3_COH", "L3_TS"]


def test_ingest_on_s3_only(s3):
    _endpoint, client, _root = s3
    unw = sorted((DATA / "roipac_unw").glob("*.unw"))[:2]
    inputs = []
    for path in unw:
        for f in (path, path.with_name(path.name + ".rsc")):
            if f.exists():
                client.upload_file(str(f), "lake", f"external/{f.name}")
        inputs.append(f"s3://lake/external/{path.name}")
    res = _pod(s3, "ingest", {"pge": "ingest", "run_id": "pod-test", "inputs": inputs,
                              "output_dir": "s3://lake/products/L2_IFG/sydney",
                              "parameters": {"mission": "envisat", "aoi": "sydney"}})
    items = _check_products(s3, res)
    assert len(items) == len(unw)

"""The hot lake on S3, end to end through Airflow: forward makes products on S3, archive_roll delivers them.

A local S3 server (moto, 127.0.0.1, a free port) holds the Iceberg warehouse, the SLC archive, the products
and the DAAC archive (another bucket). Asserts: products and tables live only on S3, every asset matches the
sha256 in its met.json, no temporary upload is left, and the roll leaves the product at the DAAC bucket with
its hot objects gone, the DAAC having ingested it once.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest
from airflow_harness import migrate_airflow
from airflow_harness import run as _run
from ports import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

AOI_BBOX = ["14.40", "40.79", "14.46", "40.84"]  # Vesuvius flank, inside the SRTM3 tile shipped with the PGEs
LOGICAL_DATE = "2024-02-10"


@pytest.fixture(scope="module")
def s3_env(tmp_path_factory):
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    home = tmp_path_factory.mktemp("s3-e2e")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SARLAKE_", "AIRFLOW", "AWS_"))}
    env.update({
        "SARLAKE_HOME": str(home / "lake"),
        "SARLAKE_WAREHOUSE": "s3://hot/warehouse",
        "SARLAKE_PRODUCTS_ROOT": "s3://hot/products",
        "SARLAKE_ARCHIVE_ROOT": "s3://hot/slc",
        "SARLAKE_DAAC__ROOT": "s3://daac/sarlake",
        "SARLAKE_DAAC__HOT_RETENTION_DAYS": "0",
        "SARLAKE_S3__ENDPOINT": endpoint,
        "SARLAKE_S3__ACCESS_KEY_ID": "test",
        "SARLAKE_S3__SECRET_ACCESS_KEY": "test",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    })
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
    for bucket in ("hot", "daac"):
        client.create_bucket(Bucket=bucket)
    _run([BIN / "sarlake", "init"], env)
    _run([BIN / "sarlake", "aoi", "add", "flank", "--bbox", *AOI_BBOX], env)
    migrate_airflow(env)
    try:
        yield env, client
    finally:
        server.stop()


def _keys(client, bucket: str, prefix: str = "") -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def _sql(env, query):
    return json.loads(_run([BIN / "sarlake", "sql", query, "--format", "json"], env).stdout)


def _dag_test(env, dag_id, conf):
    proc = _run([BIN / "airflow", "dags", "test", dag_id, LOGICAL_DATE, "-c", json.dumps(conf)], env, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-6000:]
    finished = [line for line in text.splitlines() if "DagRun Finished" in line]
    assert finished and all("state=success" in line for line in finished), text[-6000:]
    return text


def test_forward_on_s3_then_roll_to_the_daac_bucket(s3_env):
    env, client = s3_env
    _dag_test(env, "forward", {"lookback_days": 24, "pairing_neighbours": 1})
    (product,) = _sql(env, "SELECT product_id, uri, met_uri FROM products")
    pid = product["product_id"]
    assert product["uri"].startswith("s3://hot/products/") and product["uri"].endswith(f"/{pid}")
    prefix = product["uri"].removeprefix("s3://hot/")
    met = json.loads(client.get_object(Bucket="hot", Key=f"{prefix}/{pid}.met.json")["Body"].read())
    keys = _keys(client, "hot", f"{prefix}/")
    for asset in met["assets"].values():
        if asset.get("type") == "inode/directory":
            continue
        body = client.get_object(Bucket="hot", Key=f"{prefix}/{asset['href']}")["Body"].read()
        assert hashlib.sha256(body).hexdigest() == asset["sarlake:sha256"]
    assert not [k for k in _keys(client, "hot") if ".partial-" in k]  # no temporary upload left
    assert _keys(client, "hot", "warehouse/sarlake/products/metadata/")  # the tables are on S3
    home = Path(env["SARLAKE_HOME"])
    assert not (home / "warehouse").exists() and not (home / "products").exists()

    _dag_test(env, "archive_roll", {"simulate_daac": True})
    (row,) = _sql(env, "SELECT uri, met_uri, tier FROM products")
    archive = f"s3://daac/sarlake/L2_IFG/{pid}"
    assert row == {"uri": archive, "met_uri": f"{archive}/{pid}.met.json", "tier": "archive"}
    assert _keys(client, "hot", f"{prefix}/") == []
    archived = _keys(client, "daac", f"sarlake/L2_IFG/{pid}/")
    assert sorted(k.rsplit(f"{pid}/", 1)[1] for k in archived) == sorted(k.rsplit(f"{pid}/", 1)[1] for k in keys)
    ledger = Path(env["SARLAKE_HOME"]) / "daac" / "simulator" / "ledger.jsonl"
    assert [json.loads(x)["product"] for x in ledger.read_text().splitlines()] == [pid]
    steps = _sql(env, "SELECT step FROM archive_transfers ORDER BY recorded_at")
    assert [s["step"] for s in steps] == ["selected", "copied", "verified", "notified", "acknowledged",
                                          "catalogued", "hot_deleted"]

    out = Path(env["SARLAKE_HOME"]).parent / "retrieved"  # a scientist's copy of the version the DAAC keeps
    _run([BIN / "sarlake", "archive", "retrieve", pid, "--to", str(out)], env)
    for asset in met["assets"].values():
        if asset.get("type") != "inode/directory":
            assert hashlib.sha256((out / pid / asset["href"]).read_bytes()).hexdigest() == asset["sarlake:sha256"]

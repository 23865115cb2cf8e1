"""The lake on S3 (a local moto server): init, upsert, catalogue from s3://, query with DuckDB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from ports import free_port


@pytest.fixture
def s3_lake(sarlake_home, monkeypatch) -> Iterator[object]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for key, value in {"SARLAKE_WAREHOUSE": "s3://lake/wh", "SARLAKE_S3__ENDPOINT": endpoint,
                       "SARLAKE_S3__ACCESS_KEY_ID": "test", "SARLAKE_S3__SECRET_ACCESS_KEY": "test",
                       "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(key, value)
    from lake.settings import get_settings
    from lake.storage import s3_client

    settings = get_settings()
    s3_client(settings).create_bucket(Bucket="lake")
    try:
        yield settings
    finally:
        server.stop()


def test_lake_on_s3(s3_lake) -> None:
    from lake.catalog import init_lake, load_table
    from lake.catalogue import catalogue_products
    from lake.query import run_sql
    from lake.storage import exists, list_uris, read_json, write_json
    from lake.write import upsert

    settings = s3_lake
    init_lake(settings)
    assert load_table("products", settings).location().startswith("s3://lake/wh")
    rows = [{"product_id": f"P{i}", "product_type": "L2_IFG", "track": 44, "p_error": 0.1 * i,
             "start_time": datetime(2024, 1, 1 + i, tzinfo=UTC)} for i in range(5)]
    assert upsert("products", rows, settings).inserted == 5
    assert upsert("products", rows, settings).unchanged == 5
    doc = {"id": "PX", "bbox": [0, 0, 1, 1], "geometry": {"type": "Point", "coordinates": [0, 0]},
           "properties": {"start_datetime": "2024-02-01T00:00:00Z", "end_datetime": "2024-02-01T00:00:10Z",
                          "sarlake:product_type": "L2_IFG", "sat:relative_orbit": 44},
           "provenance": {"pge_name": "interferogram", "pge_version": "0.1.0", "run_id": "r",
                          "started_at": "2024-02-02T00:00:00Z"}}
    write_json("s3://lake/products/PX/PX.met.json", doc, settings)
    assert exists("s3://lake/products/PX/PX.met.json", settings)
    assert list_uris("s3://lake/products", ".met.json", settings) == ["s3://lake/products/PX/PX.met.json"]
    assert read_json("s3://lake/products/PX/PX.met.json", settings)["id"] == "PX"
    assert catalogue_products(["s3://lake/products/PX/PX.met.json"], None, settings) == ["PX"]
    result = run_sql("SELECT count(*) AS n, count(*) FILTER (WHERE p_error < 0.25) AS good FROM products", settings)
    assert result.to_pylist() == [{"n": 6, "good": 3}]
    uris = run_sql("SELECT uri FROM products WHERE product_id = 'PX'", settings).to_pylist()
    assert json.loads(json.dumps(uris)) == [{"uri": "s3://lake/products/PX"}]
    # Maintenance on S3: the catalogue's second commit replaced the first file; after expiry only the
    # current snapshot and its files remain, and the data reads the same.
    from datetime import timedelta

    from lake.maintenance import maintain

    upsert("products", [{**rows[0], "p_error": 0.9}], settings)
    result = maintain(["products"], older_than=timedelta(0), retain_last=1, settings=settings)[0]
    assert result.remaining_snapshots == 1 and result.expired_snapshots >= 1 and result.deleted_files >= 1
    table = load_table("products", settings)
    live = {t.file.file_path for t in table.scan().plan_files()}
    assert set(list_uris(f"{table.location()}/data", ".parquet", settings)) == live
    result = run_sql("SELECT count(*) AS n, count(*) FILTER (WHERE p_error < 0.25) AS good FROM products", settings)
    assert result.to_pylist() == [{"n": 6, "good": 2}]


def test_delete_many_deletes_in_batches_and_names_a_refused_key(s3_server, tmp_path, monkeypatch) -> None:
    """Truth: the bucket's listing after the call, the requests boto3 sent, and a refusal S3 would return."""
    import boto3
    from conftest import s3_lake_env

    from lake import storage
    from lake.settings import Settings

    env = s3_lake_env(s3_server, "delete-many")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    bucket = env["SARLAKE_PRODUCTS_ROOT"].split("/")[2]
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    for i in range(7):
        client.put_object(Bucket=bucket, Key=f"r/{i}.json", Body=b"{}")
    local = tmp_path / "a.txt"
    local.write_text("x")
    calls: list[int] = []
    real = storage.s3_client(settings)

    class Counting:
        def delete_objects(self, **kwargs):
            calls.append(len(kwargs["Delete"]["Objects"]))
            return real.delete_objects(**kwargs)

    monkeypatch.setattr(storage, "s3_client", lambda settings=None: Counting())
    monkeypatch.setattr(storage, "S3_DELETE_BATCH", 3)
    gone = [f"s3://{bucket}/r/{i}.json" for i in (0, 1, 2, 3, 5, 6)] + [f"s3://{bucket}/r/missing", str(local)]
    storage.delete_many(gone, settings)
    listed = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="r/").get("Contents", [])]
    assert listed == ["r/4.json"] and not local.exists()
    assert calls == [3, 3, 1]  # seven keys (one already gone), three per request

    class Refusing:
        def delete_objects(self, **kwargs):
            return {"Errors": [{"Key": "r/4.json", "Code": "AccessDenied", "Message": "Access Denied"}]}

    monkeypatch.setattr(storage, "s3_client", lambda settings=None: Refusing())
    with pytest.raises(OSError, match=rf"1 of 1 objects in s3://{bucket}, first s3://{bucket}/r/4.json: AccessDenied"):
        storage.delete_many([f"s3://{bucket}/r/4.json"], settings)

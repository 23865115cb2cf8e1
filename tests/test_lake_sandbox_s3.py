"""Analysts' SQL on an S3 lake: scoped secret, read-only credentials, other buckets out of reach.

A local moto server with IAM enforcement switched on after set-up plays S3: the lake writes with an admin
key, analysts' connections use a key whose policy only reads the lake bucket (as docs/configuration.md
recommends). DuckDB's allowed_directories stops other buckets; the read-only key stops writes into the
warehouse and the ``..`` normalisation that DuckDB 1.5.5 applies after its allowed_directories check.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from ports import free_port

from lake.exceptions import QueryError

READ_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "s3:HeadObject"],
                   "Resource": ["arn:aws:s3:::lake", "arn:aws:s3:::lake/*"]}],
}
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _user(iam, name: str, policy: dict) -> tuple[str, str]:
    import uuid

    name = f"{name}-{uuid.uuid4().hex[:8]}"  # moto's IAM state outlives a server in this process
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


@pytest.fixture
def s3_lake(sarlake_home, monkeypatch) -> Iterator[tuple[object, object]]:
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto's backends live in this process and outlive a server: start from an empty S3 and IAM
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST"))
    try:
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x")
        admin = _user(iam, "lake-writer", ADMIN_POLICY)
        reader = _user(iam, "analyst", READ_POLICY)
        for key, value in {"SARLAKE_WAREHOUSE": "s3://lake/wh", "SARLAKE_S3__ENDPOINT": endpoint,
                           "SARLAKE_S3__ACCESS_KEY_ID": admin[0], "SARLAKE_S3__SECRET_ACCESS_KEY": admin[1],
                           "SARLAKE_S3__READ_ONLY_ACCESS_KEY_ID": reader[0],
                           "SARLAKE_S3__READ_ONLY_SECRET_ACCESS_KEY": reader[1],
                           "AWS_ACCESS_KEY_ID": admin[0], "AWS_SECRET_ACCESS_KEY": admin[1]}.items():
            monkeypatch.setenv(key, value)
        from lake.catalog import init_lake
        from lake.settings import get_settings
        from lake.storage import s3_client
        from lake.write import upsert

        settings = get_settings()
        client = s3_client(settings)
        for bucket in ("lake", "other"):
            client.create_bucket(Bucket=bucket)
        client.put_object(Bucket="other", Key="secret.csv", Body=b"a,b\n1,2\n")
        init_lake(settings)
        upsert("products", [{"product_id": f"P{i}", "product_type": "L2_IFG", "track": 44,
                             "start_time": datetime(2024, 1, 1 + i, tzinfo=UTC)} for i in range(3)], settings)
        # From here on moto checks every request against the IAM policies.
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST",
                                                      headers={"Content-Type": "text/plain"}))
        yield settings, client
    finally:
        import moto.settings

        moto.settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
        server.stop()


def test_s3_sql_reads_the_lake_and_nothing_else(s3_lake) -> None:
    import duckdb

    from lake.query import connect, run_sql

    settings, admin = s3_lake
    con = connect(settings)
    assert con.execute("SELECT count(*) FROM products").fetchone() == (3,)
    secret = con.execute("SELECT scope, secret_string FROM duckdb_secrets()").fetchone()
    assert secret[0] == ["s3://lake/wh/"]
    assert settings.s3.read_only_access_key_id in secret[1] and settings.s3.access_key_id not in secret[1]

    refused = {
        "other bucket": "SELECT * FROM read_csv('s3://other/secret.csv')",
        "dot-dot into the other bucket": "SELECT * FROM read_csv('s3://lake/wh/../../other/secret.csv')",
        "COPY into the warehouse": "COPY (SELECT 1 AS a) TO 's3://lake/wh/evil.csv'",
        "COPY over table metadata": "COPY (SELECT 1 AS a) TO 's3://lake/wh/sarlake/products/metadata/x.json'",
        "local file": "SELECT * FROM read_text('/etc/passwd')",
    }
    ran = []
    for name, sql in refused.items():
        try:
            con.execute(sql).fetchall()
            ran.append(name)
        except duckdb.Error:
            pass
    assert ran == []
    keys = [o["Key"] for o in admin.list_objects_v2(Bucket="lake", Prefix="wh/").get("Contents", [])]
    assert not any(k.endswith(("evil.csv", "/x.json")) for k in keys)
    for sql in refused.values():
        with pytest.raises(QueryError):
            run_sql(sql, settings, con=con)
    assert run_sql("SELECT count(*) AS n FROM products", settings, con=con).to_pylist() == [{"n": 3}]
    # The check can fail: without read-only credentials the lake's own key can write into the warehouse.
    writer = connect(settings.model_copy(update={"s3": settings.s3.model_copy(
        update={"read_only_access_key_id": None, "read_only_secret_access_key": None})}))
    writer.execute("COPY (SELECT 1 AS a) TO 's3://lake/wh/evil.csv'")
    assert admin.head_object(Bucket="lake", Key="wh/evil.csv")["ContentLength"] > 0


def test_boto3_clients_have_timeouts_and_bounded_retries(settings) -> None:
    from lake.settings import get_settings

    s = get_settings(s3={"connect_timeout_seconds": 2, "read_timeout_seconds": 5, "max_attempts": 2})
    config = s.s3.client().meta.config
    assert (config.connect_timeout, config.read_timeout) == (2, 5)
    assert config.retries["total_max_attempts"] == 2

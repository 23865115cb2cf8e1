"""S3 refusing the lake's credentials is a configuration error that names the settings, not an S3 "not answering".

A key that is revoked or mistyped, or whose policy does not cover the lake, was reported as "S3 did not answer
... check SARLAKE_S3__ENDPOINT and the network" (exit 1, so retried), or as a DuckDB traceback (`sarlake sql`,
`sarlake products list`), or not at all by the browse page (a plain-text 500: no message); and `sarlake lake verify`
with a key that may not read the products reported every product's met.json as gone. Truth: moto's S3 with
IAM enforced (its own 403 answers, by its own policy engine); one real Envisat interferogram ingested with the
key that may.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

UNW = Path(__file__).parent / "data" / "envisat_sydney_roipac" / "roipac_unw" / "geo_060619-061002.unw"
BUCKET = "iam-lake"

pytestmark = pytest.mark.slow


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def iam_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A moto S3 that checks every request against IAM, with three users: ``lake`` (all of S3), ``tables_only``
    (the warehouse, not the products) and ``admin`` (IAM, to rotate keys)."""
    import boto3
    from conftest import moto_server

    # the first 9 requests (the users, their keys and policies) are let through without credentials
    with moto_server(tmp_path_factory.mktemp("moto-iam") / "moto.log",
                     env={**_env(), "INITIAL_NO_AUTH_ACTION_COUNT": "9"}) as endpoint:
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x",
                           aws_secret_access_key="x")
        keys = {}
        for user, policy in (
            ("lake", _policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})),
            ("tables_only", _policy(
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"},
                {"Effect": "Allow", "Action": "s3:*", "Resource": f"arn:aws:s3:::{BUCKET}/warehouse/*"})),
            ("admin", _policy({"Effect": "Allow", "Action": "iam:*", "Resource": "*"})),
        ):
            iam.create_user(UserName=user)
            key = iam.create_access_key(UserName=user)["AccessKey"]
            iam.put_user_policy(UserName=user, PolicyName="lake", PolicyDocument=policy)
            keys[user] = (key["AccessKeyId"], key["SecretAccessKey"])
        yield {"endpoint": endpoint, "keys": keys}


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SARLAKE_"))}


def _keys(key: tuple[str, str]) -> dict[str, str]:
    return {"SARLAKE_S3__ACCESS_KEY_ID": key[0], "SARLAKE_S3__SECRET_ACCESS_KEY": key[1],
            "AWS_ACCESS_KEY_ID": key[0], "AWS_SECRET_ACCESS_KEY": key[1]}


@pytest.fixture(scope="module")
def lake_env(iam_s3, tmp_path_factory) -> dict[str, str]:
    """A lake on the IAM-checked S3, one product ingested with the ``lake`` user's key."""
    import boto3
    from click.testing import CliRunner

    from sarlake.cli import cli

    good = iam_s3["keys"]["lake"]
    boto3.client("s3", endpoint_url=iam_s3["endpoint"], region_name="us-east-1", aws_access_key_id=good[0],
                 aws_secret_access_key=good[1]).create_bucket(Bucket=BUCKET)
    env = {"SARLAKE_HOME": str(tmp_path_factory.mktemp("iam-home")), "SARLAKE_WAREHOUSE": f"s3://{BUCKET}/warehouse",
           "SARLAKE_PRODUCTS_ROOT": f"s3://{BUCKET}/products", "SARLAKE_S3__ENDPOINT": str(iam_s3["endpoint"]),
           "SARLAKE_S3__MAX_ATTEMPTS": "1"}
    runner = CliRunner()
    for argv in (["init"], ["aoi", "add", "sydney", "--bbox", "150.8", "-34.3", "151.0", "-34.1", "--track", "44"],
                 ["ingest", str(UNW), "--aoi", "sydney", "--mission", "envisat"]):
        done = runner.invoke(cli, argv, env={**env, **_keys(good)})
        assert done.exit_code == 0, done.output
    return env


@pytest.mark.parametrize("argv", [["tables"], ["sql", "SELECT count(*) FROM products"], ["products", "list"],
                                  ["lake", "verify"]])
def test_a_key_s3_does_not_know_is_one_line_exit_2_naming_the_settings(lake_env, iam_s3, argv) -> None:
    from click.testing import CliRunner

    from sarlake.cli import cli

    runner = CliRunner()
    allowed = runner.invoke(cli, argv, env={**lake_env, **_keys(iam_s3["keys"]["lake"])})
    assert allowed.exit_code == 0, allowed.output
    refused = runner.invoke(cli, argv, env={**lake_env, **_keys(("AKIAREVOKEDKEY000000", "wrong"))})
    assert refused.exit_code == 2, refused.output
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert lines[0].startswith("error: S3 refused the lake's credentials")
    assert "SARLAKE_S3__ACCESS_KEY_ID" in lines[0]
    assert "did not answer" not in lines[0]


def test_verify_with_a_key_that_may_not_read_the_products_does_not_call_them_gone(lake_env, iam_s3) -> None:
    from click.testing import CliRunner

    from sarlake.cli import cli

    verified = CliRunner().invoke(cli, ["lake", "verify"], env={**lake_env, **_keys(iam_s3["keys"]["tables_only"])})
    assert verified.exit_code == 2, verified.output
    assert "S3 refused the lake's credentials" in verified.stderr
    assert "HeadObject" in verified.stderr  # the check of a product's file, refused
    assert "gone" not in verified.output


def test_exists_says_absent_only_when_s3_says_not_found(lake_env, iam_s3, monkeypatch) -> None:
    from botocore.exceptions import ClientError

    from lake.settings import get_settings
    from lake.storage import exists, list_uris

    for key, value in {**lake_env, **_keys(iam_s3["keys"]["tables_only"])}.items():
        monkeypatch.setenv(key, value)
    settings = get_settings()
    assert exists(f"s3://{BUCKET}/warehouse/no-such-object.json", settings) is False
    assert list_uris(f"s3://{BUCKET}/warehouse", settings=settings)  # this key reads the warehouse
    with pytest.raises(ClientError, match="403"):
        exists(f"s3://{BUCKET}/products/no-such-object.json", settings)


def test_a_pge_asks_again_only_for_a_product_s3_says_is_not_there(lake_env, iam_s3, monkeypatch) -> None:
    """A PGE skips a product whose met.json is published; a refused HEAD read as "not published" made it again."""
    from botocore.exceptions import ClientError

    from pges.storage import Publisher

    for key, value in {**lake_env, **_keys(iam_s3["keys"]["tables_only"])}.items():
        monkeypatch.setenv(key, value)
    assert Publisher(f"s3://{BUCKET}/warehouse/scratch").exists("P1") is False  # readable, and not there
    with pytest.raises(ClientError, match="403"):
        Publisher(f"s3://{BUCKET}/products/L2_IFG/sydney").exists("P1")


def test_a_pge_refused_by_s3_names_the_credential_settings_and_catalogues_nothing(lake_env, iam_s3) -> None:
    from click.testing import CliRunner

    from sarlake.cli import cli

    other = UNW.parent / "geo_060828-061211.unw"
    runner = CliRunner()
    refused = runner.invoke(cli, ["ingest", str(other), "--aoi", "sydney", "--mission", "envisat"],
                            env={**lake_env, **_keys(iam_s3["keys"]["tables_only"])})
    assert refused.exit_code == 1, refused.output  # a processing failure: a fixed role passes on the retry
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert "S3 refused the PGE's credentials" in lines[0]
    assert "SARLAKE_S3__ACCESS_KEY_ID" in lines[0]
    assert f"s3://{BUCKET}/products" in lines[0]
    listed = runner.invoke(cli, ["sql", "SELECT count(*) AS n FROM products", "--format", "csv"],
                           env={**lake_env, **_keys(iam_s3["keys"]["lake"])})
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.split() == ["n", "1"]  # the module's one product, nothing of the refused run


def test_the_browse_page_says_the_lake_refused_its_credentials(lake_env, iam_s3, monkeypatch) -> None:
    """The browse app answered a plain-text 500, and the page showed no message at all."""
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi.testclient import TestClient

    from sarlake_plugins.browse.app import app, authorise

    for key, value in {**lake_env, **_keys(("AKIAREVOKEDKEY000000", "wrong"))}.items():
        monkeypatch.setenv(key, value)
    app.dependency_overrides[get_user] = lambda: None
    app.dependency_overrides[authorise] = lambda: None  # no auth manager outside Airflow's API server
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            answer = client.get("/api/search")
    finally:
        app.dependency_overrides.pop(get_user)
        app.dependency_overrides.pop(authorise)
    assert answer.status_code == 503, answer.text
    detail = answer.json()["detail"]
    assert detail.startswith("the lake is not reachable: S3 refused the lake's credentials")
    assert "SARLAKE_S3__ACCESS_KEY_ID" in detail


def test_tagging_a_product_says_the_lake_refused_its_credentials(lake_env, iam_s3, monkeypatch) -> None:
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi.testclient import TestClient

    from sarlake_plugins.tags_api import app, authorise

    for key, value in {**lake_env, **_keys(("AKIAREVOKEDKEY000000", "wrong"))}.items():
        monkeypatch.setenv(key, value)
    app.dependency_overrides[get_user] = lambda: type("User", (), {"get_name": lambda self: "ann"})()
    app.dependency_overrides[authorise] = lambda: None  # no auth manager outside Airflow's API server
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            answer = client.post("/api/products/EXT-X/tags", json={"tag": "UWE_2"})
    finally:
        app.dependency_overrides.pop(get_user)
        app.dependency_overrides.pop(authorise)
    assert answer.status_code == 503, answer.text
    assert "S3 refused the lake's credentials" in answer.json()["detail"]


def test_a_bucket_s3_does_not_have_is_one_line_exit_2_naming_the_settings(lake_env, iam_s3, tmp_path) -> None:
    """`sarlake init` of a lake in a bucket S3 lacks read "S3 did not answer ... check SARLAKE_S3__ENDPOINT and the
    network", exit 1."""
    from click.testing import CliRunner

    from sarlake.cli import cli

    env = {**lake_env, **_keys(iam_s3["keys"]["lake"]), "SARLAKE_HOME": str(tmp_path / "home"),
           "SARLAKE_WAREHOUSE": "s3://no-such-bucket/warehouse", "SARLAKE_PRODUCTS_ROOT": "s3://no-such-bucket/products"}
    refused = CliRunner().invoke(cli, ["init"], env=env)
    assert refused.exit_code == 2, refused.output
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert lines[0].startswith("error: S3 has no such bucket")
    assert "SARLAKE_WAREHOUSE" in lines[0]


def _chain(key: tuple[str, str]) -> dict[str, str]:
    """Credentials from AWS's chain only (a pod's role, a profile, AWS_* variables): none in the lake settings."""
    return {"AWS_ACCESS_KEY_ID": key[0], "AWS_SECRET_ACCESS_KEY": key[1], "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.mark.parametrize("argv", [["sql", "SELECT count(*) AS n FROM products"], ["products", "list"]])
def test_a_lake_read_with_credentials_from_the_chain_not_the_settings(lake_env, iam_s3, argv) -> None:
    """Without SARLAKE_S3__ keys DuckDB's secret took the credential chain, which lives in DuckDB's aws extension:
    every DuckDB read of an S3 lake run under a role failed with "Secret provider 'credential_chain' ... does not
    exist"."""
    from click.testing import CliRunner

    from sarlake.cli import cli

    done = CliRunner().invoke(cli, argv, env={**lake_env, **_chain(iam_s3["keys"]["lake"])})
    assert done.exit_code == 0, done.output
    if argv[0] == "products":
        assert "EXT-" in done.output  # the ingested interferogram
    else:
        assert done.output.split()[:3] == ["n", "-", "1"]


def test_a_connection_open_for_long_takes_the_chains_new_credentials(lake_env, iam_s3, monkeypatch) -> None:
    """The browse app's connection lives for hours, a role's credentials for one: the secret refreshes from the
    chain when S3 refuses the old key (REFRESH auto), instead of answering 403 until the lake next changes."""
    import boto3

    from lake.query import connect

    iam = boto3.client("iam", endpoint_url=iam_s3["endpoint"], region_name="us-east-1",
                       aws_access_key_id=iam_s3["keys"]["admin"][0], aws_secret_access_key=iam_s3["keys"]["admin"][1])
    iam.create_user(UserName="rotating")
    iam.put_user_policy(UserName="rotating", PolicyName="lake", PolicyDocument=_policy(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
    old = iam.create_access_key(UserName="rotating")["AccessKey"]
    for key, value in {**lake_env, **_chain((old["AccessKeyId"], old["SecretAccessKey"]))}.items():
        monkeypatch.setenv(key, value)
    con = connect(catalogue=False)
    assert con.execute("SELECT count(*) FROM products").fetchall() == [(1,)]
    new = iam.create_access_key(UserName="rotating")["AccessKey"]
    iam.delete_access_key(UserName="rotating", AccessKeyId=old["AccessKeyId"])  # the old key is refused now
    for key, value in _chain((new["AccessKeyId"], new["SecretAccessKey"])).items():
        monkeypatch.setenv(key, value)
    assert con.execute("SELECT count(*) FROM products").fetchall() == [(1,)]
    con.close()

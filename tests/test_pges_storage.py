"""Publishing to S3: a product is complete and visible, or absent; a failed upload leaves nothing behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pges.errors import InputValidationError, ProcessingError


@pytest.fixture
def s3(sarlake_home: Path, monkeypatch):
    moto = pytest.importorskip("moto")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with moto.mock_aws():
        import boto3

        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="lake")
        yield client


def _staged(tmp_path: Path, pid: str, version: str = "1") -> Path:
    staged = tmp_path / f"stage-{version}" / pid
    (staged / "truth").mkdir(parents=True)
    for name in ("a.tif", "b.tif", "truth/c.tif"):
        (staged / name).write_bytes(f"{name} v{version}".encode() * 100)
    (staged / f"{pid}.met.json").write_text(f'{{"id": "{pid}", "version": "{version}"}}')
    return staged


def _keys(client) -> set[str]:
    return {o["Key"] for o in client.list_objects_v2(Bucket="lake").get("Contents", [])}


class _Failing:
    """Wraps a boto3 client; the n-th call of ``method`` raises (like a dropped connection)."""

    def __init__(self, client, method: str, n: int) -> None:
        self.client, self.method, self.n, self.calls = client, method, n, 0

    def __getattr__(self, name: str):
        real = getattr(self.client, name)
        if name != self.method:
            return real

        def call(*args, **kwargs):
            self.calls += 1
            if self.calls == self.n:
                raise ConnectionError(f"simulated failure of {name} #{self.n}")
            return real(*args, **kwargs)

        return call


def test_publish_puts_every_file_in_place_and_no_temp_left(s3, tmp_path: Path) -> None:
    from pges.storage import Publisher

    pub = Publisher("s3://lake/products")
    assert pub.publish("P1", _staged(tmp_path, "P1")) == "s3://lake/products/P1/P1.met.json"
    assert _keys(s3) == {"products/P1/a.tif", "products/P1/b.tif", "products/P1/truth/c.tif",
                         "products/P1/P1.met.json"}
    assert s3.get_object(Bucket="lake", Key="products/P1/a.tif")["Body"].read() == b"a.tif v1" * 100
    assert pub.exists("P1")


@pytest.mark.parametrize(("method", "n"), [("upload_file", 1), ("upload_file", 3), ("upload_file", 4),
                                           ("copy_object", 1), ("copy_object", 4)])
def test_a_failed_upload_leaves_nothing(s3, tmp_path: Path, monkeypatch, method: str, n: int) -> None:
    import pges.storage as storage
    from pges.storage import Publisher

    failing = _Failing(s3, method, n)
    monkeypatch.setattr(storage, "s3_client", lambda: failing)
    pub = Publisher("s3://lake/products")
    with pytest.raises(ProcessingError, match=f"cannot upload P1 to s3://lake/products.*#{n}"):
        pub.publish("P1", _staged(tmp_path, "P1"))
    assert _keys(s3) == set()
    assert not pub.exists("P1")


def test_a_failed_re_publish_never_shows_old_met_with_new_files(s3, tmp_path: Path, monkeypatch) -> None:
    import pges.storage as storage
    from pges.storage import Publisher

    pub = Publisher("s3://lake/products")
    pub.publish("P1", _staged(tmp_path, "P1", "1"))
    monkeypatch.setattr(storage, "s3_client", lambda: _Failing(s3, "copy_object", 2))
    with pytest.raises(ProcessingError):
        pub.publish("P1", _staged(tmp_path, "P1", "2"))
    # The old met.json went first, so no reader sees version 1's metadata over version 2's data.
    assert not pub.exists("P1")
    assert not any(".partial-" in k for k in _keys(s3))
    monkeypatch.setattr(storage, "s3_client", lambda: s3)
    pub.publish("P1", _staged(tmp_path, "P1", "3"))
    assert s3.get_object(Bucket="lake", Key="products/P1/a.tif")["Body"].read() == b"a.tif v3" * 100
    assert b'"version": "3"' in s3.get_object(Bucket="lake", Key="products/P1/P1.met.json")["Body"].read()


def test_the_pge_s3_client_has_the_orchestrators_timeouts_and_attempts(monkeypatch, tmp_path: Path) -> None:
    """The S3 limits lake.settings exports (Settings.to_env) reach the PGE's client; a bad one is refused by name."""
    from lake.settings import get_settings
    from pges.environment import s3_client

    for key, value in {"SARLAKE_S3__CONNECT_TIMEOUT_SECONDS": "2.5", "SARLAKE_S3__READ_TIMEOUT_SECONDS": "7",
                       "SARLAKE_S3__MAX_ATTEMPTS": "5", "SARLAKE_HOME": str(tmp_path)}.items():
        monkeypatch.setenv(key, value)
    exported = get_settings().to_env()
    assert exported["SARLAKE_S3__CONNECT_TIMEOUT_SECONDS"] == "2.5" and exported["SARLAKE_S3__MAX_ATTEMPTS"] == "5"
    config = s3_client().meta.config
    assert (config.connect_timeout, config.read_timeout, config.retries["total_max_attempts"]) == (2.5, 7.0, 5)
    for key in ("SARLAKE_S3__CONNECT_TIMEOUT_SECONDS", "SARLAKE_S3__READ_TIMEOUT_SECONDS", "SARLAKE_S3__MAX_ATTEMPTS"):
        monkeypatch.delenv(key)
    client = s3_client()
    config = client.meta.config  # the lake's defaults
    assert (config.connect_timeout, config.read_timeout, config.retries["total_max_attempts"]) == (10.0, 60.0, 3)
    assert s3_client() is client  # made once per process and environment, then reused
    monkeypatch.setenv("SARLAKE_S3__ENDPOINT", "http://127.0.0.1:9")
    assert s3_client() is not client and s3_client().meta.endpoint_url == "http://127.0.0.1:9"
    monkeypatch.delenv("SARLAKE_S3__ENDPOINT")
    assert s3_client() is client
    for key, value in (("SARLAKE_S3__MAX_ATTEMPTS", "0"), ("SARLAKE_S3__READ_TIMEOUT_SECONDS", "soon"),
                       ("SARLAKE_S3__CONNECT_TIMEOUT_SECONDS", "0")):
        monkeypatch.setenv(key, value)
        with pytest.raises(InputValidationError, match=key):
            s3_client()
        monkeypatch.delenv(key)


def test_mlflow_s3_artifacts_get_sarlakes_s3_connection_without_overriding_an_operators_own(monkeypatch) -> None:
    """MLflow's S3 client is configured by environment only: sarlake's endpoint, addressing, keys and region go
    there; a variable the operator set stays; one set here follows a new lake's settings."""
    from pges import environment

    names = ("MLFLOW_S3_ENDPOINT_URL", "MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE", "AWS_DEFAULT_REGION",
             "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE")
    for name in names:
        monkeypatch.setenv(name, "")  # recorded, so that what the function sets is undone after the test
        monkeypatch.delenv(name)
    monkeypatch.setattr(environment, "_MLFLOW_SET", {})
    lake_a = {"SARLAKE_S3__ENDPOINT": "http://minio:9000", "SARLAKE_S3__REGION": "eu-west-1",
              "SARLAKE_S3__ACCESS_KEY_ID": "AKIA-A", "SARLAKE_S3__SECRET_ACCESS_KEY": "secret-a"}
    assert environment.mlflow_s3_environment("/home/lake/mlartifacts", lake_a) == {}  # local artifacts: untouched
    assert not any(n in os.environ for n in names)
    environment.mlflow_s3_environment("s3://models/mlartifacts", lake_a)
    assert {n: os.environ.get(n) for n in names} == {
        "MLFLOW_S3_ENDPOINT_URL": "http://minio:9000", "MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE": "path",
        "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIA-A", "AWS_SECRET_ACCESS_KEY": "secret-a",
        "AWS_PROFILE": None}
    environment.mlflow_s3_environment("s3://models/a", {**lake_a, "SARLAKE_S3__ENDPOINT": "http://minio-b:9000"})
    assert os.environ["MLFLOW_S3_ENDPOINT_URL"] == "http://minio-b:9000"  # set here before: follows the settings
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", "https://operator.example")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA-OPERATOR")
    done = environment.mlflow_s3_environment("s3://models/a", {**lake_a, "SARLAKE_S3__ACCESS_KEY_ID": "AKIA-C"})
    assert os.environ["MLFLOW_S3_ENDPOINT_URL"] == "https://operator.example"  # the operator's own: kept
    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIA-OPERATOR" and "AWS_ACCESS_KEY_ID" not in done

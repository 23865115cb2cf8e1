"""`sarlake ingest s3://...`: interferograms read from S3 (a local moto S3 server, ``s3_server`` of conftest)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from test_cli_ingest_options import UNW, _cli, _lake, _sql  # tests/ is on sys.path (pytest prepend mode)


@pytest.fixture
def bucket(settings, s3_server, monkeypatch) -> tuple[str, object]:
    """A new bucket of the moto server, and a client; the PGE reaches it through ``SARLAKE_S3__*``."""
    import boto3

    for key, value in {"SARLAKE_S3__ENDPOINT": s3_server, "SARLAKE_S3__ACCESS_KEY_ID": "test",
                       "SARLAKE_S3__SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
    name = f"ingest-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=name)
    return name, client


def _items() -> list[dict]:
    rows = _sql("SELECT met_uri FROM products ORDER BY secondary_date")
    return [json.loads(Path(r["met_uri"]).read_text()) for r in rows]


def test_one_object_is_ingested_from_s3_with_its_header_fetched_beside_it(bucket):
    """The command line refused every ``s3://`` path ('Path ... does not exist'), though the PGE fetches objects."""
    name, client = bucket
    _lake()
    for suffix in ("", ".rsc"):
        client.upload_file(f"{UNW[0]}{suffix}", name, f"roipac/{UNW[0].name}{suffix}")
    out = _cli("ingest", f"s3://{name}/roipac/{UNW[0].name}", "--aoi", "sydney")
    assert out.exit_code == 0, out.output
    (item,) = _items()
    assert item["provenance"]["inputs"] == [f"s3://{name}/roipac/{UNW[0].name}"]
    assert item["properties"]["sarlake:source_file"] == UNW[0].name

"""The catalogue's dbt docs, served inside Airflow by Cosmos's plugin with the settings `make up` exports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CLIENT = """
import sys
from fastapi.testclient import TestClient
from cosmos.plugin.airflow3 import create_cosmos_fastapi_app

client = TestClient(create_cosmos_fastapi_app())
index = client.get("/sarlake/dbt_docs_index.html")
manifest = client.get("/sarlake/manifest.json")
print("RESULT", index.status_code, manifest.status_code)
print("RESULT", int("<html" in index.text.lower()))
print("RESULT", manifest.text)
"""


@pytest.mark.slow
def test_cosmos_serves_the_catalogue_docs(sarlake_home: Path) -> None:
    from lake.catalog import init_lake
    from sarlake.workflows.dbt import docs, target_dir

    init_lake()
    result = docs()
    assert result.success, result.failures
    target = target_dir()
    assert (target / "index.html").is_file()
    env = {**os.environ, "AIRFLOW__COSMOS__DBT_DOCS_PROJECTS": json.dumps(
        {"sarlake": {"dir": str(target), "index": "index.html", "name": "Lake catalogue (dbt docs)"}})}
    out = subprocess.run([sys.executable, "-c", CLIENT], env=env, capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout.splitlines()
    out = [line.removeprefix("RESULT ") for line in out if line.startswith("RESULT ")]
    assert out[0] == "200 200"
    assert out[1] == "1"
    nodes = json.loads(out[2])["nodes"]
    described = [n for n in nodes.values() if n["resource_type"] == "model" and n["name"].startswith("mart_")]
    assert {n["name"] for n in described} >= {"mart_product_quality", "mart_event_response", "mart_archive_status"}
    assert all(n["description"] for n in described)

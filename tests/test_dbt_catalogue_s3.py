"""On an S3 lake the dbt catalogue is published beside the warehouse, and every reader attaches that copy.

Under the KubernetesExecutor the ``catalog`` DAG's build runs in a task pod whose disk goes with it, so the marts
must reach the lake itself. Truth: three real Envisat interferograms ingested here, counted by pyiceberg; the
test deletes the builder's local file before reading, as a reader on another machine has none.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "envisat_sydney_roipac"

pytestmark = pytest.mark.slow


@pytest.fixture
def s3_lake(s3_server, tmp_path, monkeypatch):
    from conftest import s3_lake_env

    monkeypatch.setenv("SARLAKE_HOME", str(tmp_path / "home"))
    for key, value in s3_lake_env(s3_server, "dbt-catalogue-s3").items():
        monkeypatch.setenv(key, value)
    from lake.aoi import add_aoi
    from lake.catalog import init_lake
    from lake.settings import get_settings
    from sarlake.workflows.ingest import ingest_and_catalogue

    settings = get_settings()
    init_lake(settings)
    add_aoi("sydney", bbox=(150.8, -34.3, 151.0, -34.1), tracks=[44])
    files = sorted((DATA / "roipac_unw").glob("*.unw"))[:3]
    ingest_and_catalogue([str(p) for p in files], aoi="sydney", mission="envisat")
    return settings


def _published_at(settings):
    from lake.catalogue_store import built_at

    return built_at(settings)


def _run_results(folder: Path, statuses: list[str]) -> str:
    (folder / "target").mkdir(parents=True)
    (folder / "target" / "run_results.json").write_text(json.dumps(
        {"results": [{"unique_id": f"model.sarlake.m{i}", "status": s} for i, s in enumerate(statuses)]}))
    return str(folder)


def test_a_build_is_published_and_read_from_s3_where_no_local_file_is(s3_lake, tmp_path) -> None:
    from types import SimpleNamespace

    from lake.catalog import load_table
    from lake.catalogue_store import published_uri
    from lake.query import connect
    from lake.storage import exists
    from sarlake_plugins.catalog import PRODUCER
    from sarlake_plugins.catalog_publish import publish_after_build

    settings = s3_lake
    uri = published_uri(settings)
    assert uri == settings.warehouse.rstrip("/") + "/_catalogue/catalogue.duckdb"
    assert not exists(uri, settings)
    from click.testing import CliRunner

    from sarlake.cli import cli

    built = CliRunner().invoke(cli, ["dbt", "build"])
    assert built.exit_code == 0, built.output
    assert f", published to {uri} (schema marts)" in built.stdout
    assert exists(uri, settings)
    first = _published_at(settings)

    # The catalog DAG's callback: only the producer's build, and only one without failures, is published.
    model_task = {"ti": SimpleNamespace(task_id="mart_product_quality_run")}
    producer = {"ti": SimpleNamespace(task_id=PRODUCER)}
    assert publish_after_build(_run_results(tmp_path / "a", ["success"]), context=model_task) is None
    assert publish_after_build(_run_results(tmp_path / "b", ["success", "fail", "skipped"]), context=producer) is None
    assert publish_after_build(str(tmp_path / "no-results"), context=producer) is None
    assert _published_at(settings) == first
    assert publish_after_build(_run_results(tmp_path / "c", ["success", "pass"]), context=producer) == uri

    # A reader elsewhere: no local catalogue file, the marts come from the published copy.
    os.remove(settings.catalogue_db)
    setup = CliRunner().invoke(cli, ["sql-setup"])
    assert setup.exit_code == 0, setup.output
    assert f"ATTACH '{uri}' AS catalogue (READ_ONLY);" in setup.output
    products = load_table("products", settings).scan().to_arrow().num_rows
    assert products == 3
    con = connect(settings)
    try:
        assert con.sql("SELECT count(*) FROM catalogue.marts.mart_product_quality").fetchone()[0] == products
        assert con.sql("SELECT good_interferograms FROM catalogue.marts.mart_timeseries_readiness "
                       "WHERE aoi = 'sydney'").fetchone()[0] == products
    finally:
        con.close()


def test_the_catalog_dags_producer_publishes_its_build(s3_lake, monkeypatch, tmp_path) -> None:
    """The real producer task (Cosmos's watcher, dbt in-process as in an Airflow worker) on an S3 lake: its
    callback, named in the DAG's operator_args, publishes the build; a reader without the file reads its marts.

    SARLAKE_HOME is relative here, as in a pod where it is unset (``var``): dbt runs in a temporary copy of the
    project, where that relative home named another lake and a catalogue file in the copy ("Cannot open file
    /tmp/tmp.../home/catalogue/catalogue.duckdb": the build failed before it started)."""
    import cosmos.settings
    from airflow.dag_processing.dagbag import DagBag
    from test_catalog_sensors import ROOT, _context

    from lake.catalog import load_table
    from lake.catalogue_store import published_uri
    from lake.query import connect
    from lake.settings import get_settings
    from lake.storage import exists

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SARLAKE_HOME", os.path.relpath(s3_lake.home, tmp_path))  # the same lake, named relatively
    settings = get_settings()
    assert settings.catalogue_db == s3_lake.catalogue_db
    monkeypatch.setattr(cosmos.settings, "enable_watcher_reliable_retry", False)  # no metadata DB here
    Path(settings.catalogue_db).parent.mkdir(parents=True, exist_ok=True)
    dag = DagBag(dag_folder=str(ROOT / "dags" / "catalog.py")).dags["catalog"]
    producer = dag.get_task("dbt_producer_watcher")
    context = _context(dag, "dbt_producer_watcher", {})
    producer.render_template_fields(context, jinja_env=dag.get_template_env())  # as a worker does before execute
    try:
        producer.execute(context)
    finally:  # dbt in-process leaves the task's env behind; a worker's task process ends with it
        os.environ.pop("SARLAKE_CATALOGUE_DB", None)
    assert exists(published_uri(settings), settings)

    # The docs site beside it, read as the Airflow UI's docs view reads it (Cosmos's reader, an Airflow
    # connection to the S3 endpoint): its catalog.json documents the marts dbt just built.
    from cosmos.plugin.airflow3 import open_file

    from lake.catalogue_store import docs_uri

    monkeypatch.setenv("AIRFLOW_CONN_SARLAKE_DOCS", json.dumps({
        "conn_type": "aws", "login": "test", "password": "test",
        "extra": {"endpoint_url": os.environ["SARLAKE_S3__ENDPOINT"], "region_name": "us-east-1"}}))
    site = docs_uri(settings)
    assert "<html" in open_file(f"{site}/index.html", conn_id="sarlake_docs").lower()
    nodes = json.loads(open_file(f"{site}/catalog.json", conn_id="sarlake_docs"))["nodes"]
    assert "model.sarlake.mart_product_quality" in nodes
    assert "usable_for_timeseries" in nodes["model.sarlake.mart_product_quality"]["columns"]

    os.remove(settings.catalogue_db)
    products = load_table("products", settings).scan().to_arrow().num_rows
    con = connect(settings)
    try:
        assert con.sql("SELECT count(*) FROM catalogue.marts.mart_product_quality").fetchone()[0] == products == 3
    finally:
        con.close()

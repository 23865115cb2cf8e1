"""`sarlake sql` on the marts says when the lake has changed since they were built, on every backend.

The truth is what the test itself committed after the catalogue was written: one AOI added, so `aois` and no
other table changed after the build. On the S3 backend the catalogue readers attach is the copy published beside
the warehouse (lake.catalogue_store), whose time is S3's LastModified, to the second.
"""

from __future__ import annotations

import os
import time

import pytest


def _write_catalogue(settings) -> float:
    """A catalogue as dbt leaves it (a DuckDB file with a marts schema), published on S3; when it was built."""
    import duckdb

    from lake.catalogue_store import publish, published_uri

    path = settings.catalogue_db
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with duckdb.connect(path) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts; CREATE OR REPLACE TABLE marts.mart_x AS SELECT 1 AS n")
    if published_uri(settings) is None:
        built = time.time() + 1  # after every commit before it
        os.utime(path, (built, built))
        return built
    time.sleep(1.1)  # S3 keeps the second only: the commits before must fall in an earlier one
    publish(settings)
    return time.time()


@pytest.fixture
def lake_with_catalogue(settings):
    from lake.catalog import init_lake

    init_lake(settings)
    return settings, _write_catalogue(settings)


def _sql(query: str):
    from click.testing import CliRunner

    from sarlake.cli import cli

    return CliRunner().invoke(cli, ["sql", query, "--format", "json"])


def test_a_commit_after_the_build_is_named_when_the_marts_are_read(lake_with_catalogue) -> None:
    from lake.aoi import add_aoi
    from lake.catalogue_age import tables_changed_since_build

    settings, built = lake_with_catalogue
    assert tables_changed_since_build(settings).changed == []
    time.sleep(max(0.0, built - time.time()) + 0.05)
    add_aoi("etna", bbox=(14.8, 37.6, 15.2, 37.9))

    age = tables_changed_since_build(settings)
    assert [name for name, _ in age.changed] == ["aois"]
    out = _sql("SELECT n FROM catalogue.marts.mart_x")
    assert out.exit_code == 0, out.output
    assert out.stdout.strip() == '[\n {"n": 1}\n]'
    assert "aois changed since" in out.stderr
    assert "`sarlake dbt build`" in out.stderr
    # a query of the lake's own tables reads them as they are now: no note
    assert _sql("SELECT count(*) AS n FROM aois").stderr == ""

    time.sleep(max(0.0, _write_catalogue(settings) - time.time()) + 0.05)  # built again
    assert _sql('SELECT n FROM "catalogue".marts.mart_x').stderr == ""


def test_no_catalogue_no_note(settings) -> None:
    from lake.catalog import init_lake
    from lake.catalogue_age import tables_changed_since_build

    init_lake(settings)
    assert tables_changed_since_build(settings) is None

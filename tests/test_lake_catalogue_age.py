"""`sarlake sql` on the marts says when the lake has changed since they were built.

The truth is what the test itself committed after it stamped the catalogue file: one AOI added, so `aois` and
no other table changed after the build.
"""

from __future__ import annotations

import os
import time

import pytest


@pytest.fixture
def lake_with_catalogue(tmp_path, monkeypatch):
    import duckdb

    monkeypatch.setenv("SARLAKE_HOME", str(tmp_path / "home"))
    from lake.catalog import init_lake
    from lake.settings import get_settings

    settings = get_settings()
    init_lake(settings)
    path = settings.catalogue_db
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with duckdb.connect(path) as con:  # a catalogue as dbt leaves it: a DuckDB file with a marts schema
        con.execute("CREATE SCHEMA marts; CREATE TABLE marts.mart_x AS SELECT 1 AS n")
    built = time.time() + 1  # after every commit of init_lake
    os.utime(path, (built, built))
    return settings, built


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

    rebuilt = time.time() + 1
    os.utime(settings.catalogue_db, (rebuilt, rebuilt))
    assert _sql('SELECT n FROM "catalogue".marts.mart_x').stderr == ""


def test_no_catalogue_no_note(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SARLAKE_HOME", str(tmp_path / "home"))
    from lake.catalog import init_lake
    from lake.catalogue_age import tables_changed_since_build
    from lake.settings import get_settings

    init_lake(get_settings())
    assert tables_changed_since_build(get_settings()) is None

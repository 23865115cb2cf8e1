"""Analysts' SQL is sandboxed by DuckDB itself: every escape is refused, on a raw connect() and through run_sql.

The escapes are the ones a red-team run found (issue 14) and their relatives. Each one is tried on the raw
connection that ``lake.query.connect()`` hands out (DuckDB must refuse it, not our statement filter) and
through ``run_sql`` (one clear line); afterwards the lake must be byte-for-byte unchanged and nothing may
exist at the target paths.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lake_state import diff_state, lake_state

from lake.exceptions import QueryError


@pytest.fixture
def lake(settings):
    from lake.aoi import add_aoi
    from lake.catalog import init_lake
    from lake.write import upsert

    init_lake(settings)
    upsert("products", [
        {"product_id": f"P{i}", "product_type": "L2_IFG", "track": 44, "run_id": f"r{i}",
         "start_time": datetime(2024, 1, 1 + i, tzinfo=UTC)} for i in range(3)
    ], settings)
    add_aoi("etna", bbox=(14.8, 37.6, 15.3, 37.9), settings=settings)
    return settings


def _escapes(settings, tmp: Path) -> dict[str, str]:
    wh = Path(settings.warehouse)
    data = sorted((wh / "sarlake" / "aois" / "data").rglob("*.parquet"))[0]
    meta = sorted((wh / "sarlake" / "aois" / "metadata").glob("*.metadata.json"))[-1]
    out = tmp / "stolen"
    return {
        "read_text system file": "SELECT content FROM read_text('/etc/passwd')",
        "read_text file:// URI": "SELECT content FROM read_text('file:///etc/passwd')",
        "read_csv system file": "SELECT * FROM read_csv('/etc/passwd')",
        "sniff_csv system file": "SELECT * FROM sniff_csv('/etc/passwd')",
        "read_parquet outside": f"SELECT * FROM read_parquet('{tmp}/*.parquet')",
        "read_blob catalogue db": f"SELECT * FROM read_blob('{settings.home}/catalog.db')",
        "dot-dot out of warehouse": f"SELECT * FROM read_blob('file://{wh}/../catalog.db')",
        "glob system folder": "SELECT * FROM glob('/etc/*')",
        "parquet_metadata outside": "SELECT * FROM parquet_metadata('/etc/passwd')",
        "https URL": "SELECT * FROM read_csv('https://example.com/x.csv')",
        "http URL": "SELECT * FROM read_text('http://127.0.0.1:9/x')",
        "s3 other bucket": "SELECT * FROM read_csv('s3://other-bucket/secret.csv')",
        "COPY TO outside": f"COPY (SELECT * FROM products) TO '{out}.csv'",
        "COPY over a data file": f"COPY (SELECT 1 AS a) TO '{data}' (FORMAT parquet, USE_TMP_FILE false)",
        "COPY over a data file URI": f"COPY (SELECT 1 AS a) TO 'file://{data}' (FORMAT parquet)",
        "COPY over metadata": f"COPY (SELECT 1 AS a) TO 'file://{meta}' (FORMAT csv, USE_TMP_FILE false)",
        "ATTACH a file": f"ATTACH '{out}.duckdb' AS x",
        "ATTACH the catalogue": f"ATTACH '{settings.home}/catalog.db' AS c (TYPE sqlite)",
        "EXPORT DATABASE": f"EXPORT DATABASE '{out}'",
        "LOAD a path": f"LOAD '{out}.duckdb_extension'",
        "LOAD by name": "LOAD httpfs",
        "INSTALL": "INSTALL spatial",
        "SET": "SET enable_external_access = true",
        "SET lock": "SET lock_configuration = false",
        "RESET": "RESET allowed_directories",
        "PRAGMA setting": "PRAGMA threads = 1",
    }


@pytest.mark.parametrize("catalog_backend", ["sqlite", "postgres"], indirect=True)  # local files (S3: *_sandbox_s3)
def test_every_escape_is_refused_by_duckdb_and_leaves_the_lake_unchanged(lake, tmp_path) -> None:
    import duckdb

    from lake.query import connect

    before = lake_state(lake)
    con = connect(lake)
    failures = []
    for name, sql in _escapes(lake, tmp_path).items():
        try:
            con.execute(sql).fetchall()
        except duckdb.Error as exc:
            text = str(exc)
            if not any(k in text for k in ("disabled by configuration", "locked", "extensions is disabled")):
                failures.append(f"{name}: refused for another reason: {text[:120]}")
        else:
            failures.append(f"{name}: ran")
    assert failures == []
    # The views still read, and the lake and the targets are untouched.
    assert con.execute("SELECT count(*) FROM products").fetchone() == (3,)
    assert con.execute("SELECT name FROM aois").fetchall() == [("etna",)]
    assert diff_state(before, lake_state(lake)) == []
    assert list(tmp_path.glob("stolen*")) == []


@pytest.mark.parametrize("catalog_backend", ["sqlite", "postgres"], indirect=True)  # local files (S3: *_sandbox_s3)
def test_run_sql_refuses_each_escape_in_one_clear_line(lake, tmp_path) -> None:
    from lake.query import connect, run_sql

    before = lake_state(lake)
    con = connect(lake)
    for name, sql in {**_escapes(lake, tmp_path), "two statements": "SELECT 1; SELECT 2",
                      "s3 dot-dot": "SELECT * FROM read_csv('s3://lake/wh/../../other/x.csv')",
                      "create table": "CREATE TABLE t AS SELECT 1", "drop view": "DROP VIEW products"}.items():
        with pytest.raises(QueryError) as err:
            run_sql(sql, lake, con=con)
        message = str(err.value)
        assert "\n" not in message, name
        assert any(k in message for k in ("refused", "not allowed", "one statement")), f"{name}: {message}"
    assert diff_state(before, lake_state(lake)) == []


def test_memory_only_scratch_tables_still_work_and_touch_nothing(lake) -> None:
    """Attaching :memory: and temp tables are allowed on connect(): they live and die in the process."""
    from lake.query import connect

    before = lake_state(lake)
    con = connect(lake)
    con.execute("CREATE TEMP TABLE mine AS SELECT product_id FROM products WHERE track = 44")
    con.execute("ATTACH ':memory:' AS scratch")
    con.execute("CREATE TABLE scratch.t AS SELECT * FROM mine")
    assert con.execute("SELECT count(*) FROM scratch.t").fetchone() == (3,)
    assert diff_state(before, lake_state(lake)) == []


def test_the_seal_fails_closed(lake, monkeypatch) -> None:
    """If a setting does not take, connect() refuses rather than hand out an open connection."""
    import lake.sandbox as sandbox

    monkeypatch.setitem(sandbox._SEALED, "enable_external_access", "maybe")
    from lake.query import connect

    with pytest.raises(QueryError, match="could not seal the SQL sandbox"):
        connect(lake)


def test_a_broken_seal_would_be_seen(lake) -> None:
    """The escape test can fail: an unsealed connection (read_only=False) reads a system file."""
    from lake.query import connect

    con = connect(lake, read_only=False)
    assert con.execute("SELECT count(*) FROM read_text('/etc/passwd')").fetchone() == (1,)

"""DuckDB over the lake: a view per table, read-only SQL, one-line errors, CLI formats."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from lake.exceptions import QueryError


@pytest.fixture
def lake(settings):
    from lake.catalog import init_lake
    from lake.write import upsert

    init_lake(settings)
    upsert("products", [
        {"product_id": f"P{i}", "product_type": "L2_IFG", "track": 44 + i % 2, "p_error": i / 10,
         "start_time": datetime(2024, 1, 1 + i, tzinfo=UTC)} for i in range(10)
    ], settings)
    return settings


def test_every_table_is_a_view(lake) -> None:
    from lake.query import connect
    from lake.tables import TABLES

    con = connect(lake)
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    from lake.views import VIEWS

    assert views == set(TABLES) | set(VIEWS)
    assert con.sql("SELECT count(*) FROM products WHERE p_error < 0.5").fetchone() == (5,)
    assert con.sql("SELECT count(*) FROM events").fetchone() == (0,)


def test_a_table_as_it_was_at_a_snapshot_in_sarlake_sql_and_plain_duckdb(lake) -> None:
    """``<table>_at(snapshot_id)`` reads what that snapshot held (a QA model's data version, say)."""
    import duckdb

    from lake.catalog import load_table
    from lake.query import run_sql
    from lake.write import upsert
    from sarlake.cli import cli

    first = load_table("products", lake).current_snapshot().snapshot_id
    upsert("products", [{"product_id": p, "product_type": "L2_IFG", "track": 45, "p_error": e,
                         "start_time": datetime(2024, 1, 2, tzinfo=UTC)} for p, e in (("P1", 0.9), ("P99", 0.5))],
           lake)
    then = f"SELECT product_id, p_error FROM products_at({first}) WHERE product_id IN ('P1', 'P99') ORDER BY 1"
    now = "SELECT product_id, p_error FROM products WHERE product_id IN ('P1', 'P99') ORDER BY 1"
    assert run_sql(then, lake).to_pylist() == [{"product_id": "P1", "p_error": 0.1}]  # the fixture's values
    assert run_sql(now, lake).to_pylist() == [{"product_id": "P1", "p_error": 0.9},
                                              {"product_id": "P99", "p_error": 0.5}]
    assert run_sql("SELECT count(*) AS n FROM products_snapshots()", lake).to_pylist() == [{"n": 2}]

    if lake.warehouse.startswith("s3://"):
        return  # plain DuckDB needs the bucket's secret first (sql-setup says so): the SQL above ran on S3
    setup = CliRunner().invoke(cli, ["sql-setup"], catch_exceptions=False)
    assert setup.exit_code == 0, setup.output
    con = duckdb.connect()
    con.execute(setup.output)
    assert con.sql(then).fetchall() == [("P1", 0.1)]
    assert con.sql(now).fetchall() == [("P1", 0.9), ("P99", 0.5)]
    # the derived views too: `sarlake sql` had product_quality and a plain DuckDB client did not
    quality = "SELECT product_id, p_error, is_default FROM product_quality WHERE product_id IN ('P1', 'P99') ORDER BY 1"
    assert con.sql(quality).fetchall() == [("P1", 0.9, True), ("P99", 0.5, True)]
    con.execute(setup.output)  # run again in the same session (to see later commits): every statement replaces


def test_a_table_as_it_was_at_a_time(lake) -> None:
    """``<table>_as_of(timestamp)``: the last snapshot committed at or before it (commit times from pyiceberg)."""
    from lake.catalog import load_table
    from lake.query import run_sql
    from lake.write import upsert

    first = load_table("products", lake).current_snapshot().timestamp_ms
    upsert("products", [{"product_id": p, "product_type": "L2_IFG", "track": 45, "p_error": e,
                         "start_time": datetime(2024, 1, 2, tzinfo=UTC)} for p, e in (("P1", 0.9), ("P99", 0.5))],
           lake)
    second = load_table("products", lake).current_snapshot().timestamp_ms
    assert second > first + 1

    def as_of(ms: int, cast: str = "TIMESTAMPTZ") -> list[dict]:
        when = datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")
        when = when if cast == "TIMESTAMPTZ" else when.removesuffix("+00:00")  # else in the session's zone: UTC
        return run_sql(f"SELECT product_id, p_error FROM products_as_of({cast} '{when}') "
                       "WHERE product_id IN ('P1', 'P99') ORDER BY 1", lake).to_pylist()

    fixture, now = [{"product_id": "P1", "p_error": 0.1}], [{"product_id": "P1", "p_error": 0.9},
                                                             {"product_id": "P99", "p_error": 0.5}]
    assert as_of(first) == fixture
    assert as_of(second - 1) == fixture
    assert as_of(second - 1, "TIMESTAMP") == fixture
    assert as_of(second - 1, "") == fixture  # text, as an analyst types it
    assert as_of(second) == now
    assert as_of(second + 86_400_000) == now
    # before the oldest snapshot kept (maintenance expires old ones): an error that says so, not an empty table
    with pytest.raises(QueryError, match=r"products has no snapshot at or before .*: its oldest kept is of .* UTC"):
        as_of(first - 1)


def test_run_sql_returns_arrow(lake) -> None:
    from lake.query import run_sql

    result = run_sql("SELECT track, count(*) AS n FROM products GROUP BY track ORDER BY track", lake)
    assert result.to_pylist() == [{"track": 44, "n": 5}, {"track": 45, "n": 5}]
    assert run_sql("DESCRIBE products", lake).num_rows > 20
    assert run_sql("PRAGMA table_info('aois')", lake).num_rows > 5
    from lake.tables import TABLES
    from lake.views import VIEWS

    assert run_sql("SHOW TABLES", lake).num_rows == len(TABLES) + len(VIEWS)
    assert run_sql("EXPLAIN SELECT * FROM products", lake).num_rows >= 1


@pytest.mark.parametrize("sql", [
    "DELETE FROM products", "INSERT INTO aois (name) VALUES ('x')", "CREATE TABLE t (a INT)",
    "COPY products TO '/tmp/x.csv'", "ATTACH 'x.db'", "INSTALL httpfs", "LOAD httpfs", "SET threads = 1",
    "SELECT 1; DROP VIEW products", "EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1", "UPDATE products SET p_error = 0",
])
def test_writes_are_refused_with_a_clear_message(lake, sql: str) -> None:
    from lake.query import run_sql

    with pytest.raises(QueryError, match="not allowed: the lake is read-only"):
        run_sql(sql, lake)


def test_unknown_table_and_bad_sql_are_one_line(lake) -> None:
    from lake.query import run_sql

    with pytest.raises(QueryError) as err:
        run_sql("SELECT * FROM prodcts", lake)
    message = str(err.value)
    assert "\n" not in message and "prodcts" in message
    assert "acquisitions, aois, " in message and ", products, provenance, " in message
    with pytest.raises(QueryError) as err:
        run_sql("SELEC 1", lake)
    assert "\n" not in str(err.value) and "syntax" in str(err.value).lower()


def test_cli_sql_formats(lake, tmp_path) -> None:
    import pyarrow.parquet as pq

    from sarlake.cli import cli

    runner = CliRunner()
    q = "SELECT product_id, track FROM products ORDER BY product_id LIMIT 2"
    out = runner.invoke(cli, ["sql", q])
    assert out.exit_code == 0 and "P0" in out.output and "(2 rows)" in out.output
    out = runner.invoke(cli, ["sql", q, "--format", "csv"])
    assert out.output.splitlines()[:2] == ["product_id,track", "P0,44"]
    out = runner.invoke(cli, ["sql", q, "--format", "json"])
    assert json.loads(out.output) == [{"product_id": "P0", "track": 44}, {"product_id": "P1", "track": 45}]
    out = runner.invoke(cli, ["sql", q, "--format", "parquet"])
    assert out.exit_code == 2
    target = tmp_path / "x.parquet"
    out = runner.invoke(cli, ["sql", q, "--format", "parquet", "--output", str(target)])
    assert out.exit_code == 0 and pq.read_table(target).num_rows == 2
    out = runner.invoke(cli, ["sql", "DROP VIEW products"])
    assert out.exit_code == 2 and out.output.startswith("error: DROP statements are not allowed")
    out = runner.invoke(cli, ["tables"])
    assert "products" in out.output and "10" in out.output


def test_cli_help_is_fast_and_light() -> None:
    import subprocess
    import sys

    heavy = "('pyiceberg', 'duckdb', 'pyarrow', 'airflow')"
    code = f"import sys, sarlake.cli; sys.exit(any(m in sys.modules for m in {heavy}))"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_no_command_summary_in_cli_help_stops_at_an_abbreviation() -> None:
    """Click ends a command's one-line summary at its first '. ': `sarlake tag --help` read 'add  Tag
    PRODUCT_ID with one or more tags, e.g.' and stopped there."""
    import re

    from click.testing import CliRunner

    from sarlake.cli import cli

    top = CliRunner().invoke(cli, ["--help"]).output
    groups = [m.group(1) for m in re.finditer(r"^  ([a-z][a-z-]+)\s", top.split("Commands:")[1], re.M)]
    assert {"aoi", "tag", "archive"} <= set(groups)
    cut = [(g, line.strip()) for g in groups for line in CliRunner().invoke(cli, [g, "--help"]).output.splitlines()
           if re.search(r"\b(e\.g|i\.e|etc)\.$", line.strip())]
    assert not cut, cut


def test_pivot_is_a_read_query(lake) -> None:
    """A PIVOT whose values DuckDB looks up (no IN list) runs: DuckDB adds an enum type for them, not the user."""
    from lake.query import run_sql

    # the fixture: 10 products, tracks 44 and 45 alternating
    pivot = "PIVOT products ON track USING count(*) GROUP BY product_type"
    assert run_sql(pivot, lake).to_pylist() == [{"product_type": "L2_IFG", "44": 5, "45": 5}]
    nested = f"SELECT \"44\" + \"45\" AS n FROM ({pivot})"
    assert run_sql(nested, lake).to_pylist() == [{"n": 10}]
    for sql, refusal in [("CREATE TABLE t AS PIVOT products ON track USING count(*)", "CREATE statements"),
                         ("CREATE TABLE t AS PIVOT products ON track USING count(*); SELECT 1", "CREATE statements"),
                         ("PIVOT products ON track USING count(*); DROP VIEW products", "DROP statements"),
                         ("SELECT 1; PIVOT products ON track USING count(*)", "one statement at a time")]:
        with pytest.raises(QueryError, match=refusal):
            run_sql(sql, lake)


def test_an_unknown_function_is_not_called_a_table(lake) -> None:
    from lake.query import run_sql

    with pytest.raises(QueryError) as err:
        run_sql("SELECT getenv('HOME')", lake)
    assert "table" not in str(err.value) and "environment" in str(err.value), err.value
    with pytest.raises(QueryError) as err:
        run_sql("SELECT nosuchfn(1) FROM products", lake)
    assert str(err.value).startswith("unknown function nosuchfn"), err.value
    with pytest.raises(QueryError, match="^unknown table prodcts;"):
        run_sql("SELECT * FROM prodcts", lake)


def test_an_unknown_table_names_each_lake_table_once_with_the_catalogue_attached(lake) -> None:
    """With the dbt catalogue attached (its ``lake`` schema has a view per lake table, its ``staging`` schema the
    stg_lake__* models) the message listed every table twice and the staging models as the lake's tables."""
    from pathlib import Path

    import duckdb

    from lake.query import run_sql

    path = Path(lake.catalogue_db)
    with pytest.raises(QueryError, match=r"; the dbt marts \(catalogue.marts.\*\) are not built: `sarlake dbt build`$"):
        run_sql("SELECT * FROM marts.mart_product_quality", lake)
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA lake; CREATE VIEW lake.products AS SELECT 1 AS x;"
                    "CREATE SCHEMA staging; CREATE VIEW staging.stg_lake__products AS SELECT 1 AS x;"
                    "CREATE SCHEMA marts; CREATE TABLE marts.mart_product_quality AS SELECT 1 AS x")
    from lake.catalogue_store import publish

    publish(lake)  # an S3 lake reads the copy a build publishes beside its warehouse
    assert run_sql("SELECT count(*) AS n FROM catalogue.lake.products", lake).to_pylist() == [{"n": 1}]
    with pytest.raises(QueryError) as err:
        run_sql("SELECT * FROM prodcts", lake)
    tables, marts = str(err.value).split("the lake's tables are: ", 1)[1].split("; the dbt marts are: ")
    listed = tables.split(", ")
    assert listed.count("products") == 1 and "aois" in listed, err.value
    assert not [name for name in listed if name.startswith("stg_")], err.value
    # an analyst who wrote marts.<mart> (the schema dbt build named) learns the name SQL reaches it by
    assert marts == "catalogue.marts.mart_product_quality"


def test_only_the_pragmas_the_message_names_run(lake) -> None:
    from lake.query import run_sql

    with pytest.raises(QueryError) as err:
        run_sql("DROP VIEW products", lake)
    allowed = str(err.value).split("PRAGMAs ", 1)[1].rstrip(")").split(", ")
    assert "table_info" in allowed and "version" in allowed
    assert run_sql("PRAGMA version", lake).num_rows == 1
    assert run_sql("  -- which DuckDB?\n pragma VERSION;", lake).num_rows == 1
    for name in ("database_size", "storage_info('products')", "metadata_info", "enable_profiling"):
        with pytest.raises(QueryError) as err:
            run_sql(f"PRAGMA {name}", lake)
        assert "not allowed" in str(err.value) and "table_info" in str(err.value), (name, err.value)

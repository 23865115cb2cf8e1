"""Reading the catalogue without pyiceberg (lake.pointers) and the import boundaries of the light commands.

Truth for the pointers is pyiceberg itself (its catalogue's table list and each table's metadata location) and
the number of rows the test wrote; the light commands are checked by what a fresh interpreter imports, not by
how long they take (start-up times are measured by bench/bench_startup.py).
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lake.exceptions import CatalogError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def lake(settings):
    from lake.catalog import init_lake
    from lake.write import upsert

    init_lake(settings)
    upsert("products", [{"product_id": f"P{i}", "product_type": "L2_IFG", "track": 44,
                         "start_time": datetime(2024, 1, 1 + i, tzinfo=UTC)} for i in range(7)], settings)
    upsert("products", [{"product_id": "P7", "product_type": "L2_IFG", "track": 45,
                         "start_time": datetime(2024, 2, 1, tzinfo=UTC)}], settings)
    upsert("events", [{"event_id": "us1", "source": "usgs", "magnitude": 7.1, "lat": 1.0, "lon": 2.0,
                       "time": datetime(2024, 3, 1, tzinfo=UTC)}], settings)
    return settings


def test_pointers_and_counts_agree_with_pyiceberg(lake) -> None:
    from lake.catalog import get_catalog, load_table, table_counts
    from lake.pointers import table_pointers

    pointers = {p.name: p.metadata_location for p in table_pointers(lake)}
    listed = {ident[-1] for ident in get_catalog(lake).list_tables(lake.namespace)}
    assert set(pointers) == listed
    for name, location in pointers.items():
        assert location == load_table(name, lake).metadata_location, name
    counts = dict(table_counts(lake))
    assert counts["products"] == 8  # 7 rows, then one more in a second commit
    assert counts["events"] == 1
    assert counts["aois"] == 0  # a table with no snapshot yet


def test_sqlalchemy_reader_agrees_with_sqlite_reader(lake) -> None:
    from lake.pointers import _sqlalchemy_rows, _sqlite_rows

    if not lake.catalog_uri.startswith("sqlite:///"):
        pytest.skip("the sqlite3 reader reads SQLite catalogues only")
    direct = _sqlite_rows(lake.catalog_uri.removeprefix("sqlite:///"), lake)
    through_sqlalchemy = _sqlalchemy_rows(lake.catalog_uri, lake)
    assert sorted(direct[0]) == sorted(through_sqlalchemy[0]) and direct[1] and through_sqlalchemy[1]


def test_gzip_metadata_is_read(lake, tmp_path: Path) -> None:
    from lake.catalog import load_table
    from lake.pointers import read_metadata, total_records

    plain = Path(load_table("products", lake).metadata_location.removeprefix("file://"))
    if not plain.is_file():
        pytest.skip("the warehouse is not local")
    packed = tmp_path / "00001-x.gz.metadata.json"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert read_metadata(str(packed), lake) == json.loads(plain.read_bytes())
    assert total_records(read_metadata(str(packed), lake)) == 8


def test_uninitialised_lake_says_run_init_and_creates_nothing(settings) -> None:
    from lake.catalog import table_counts

    with pytest.raises(CatalogError, match="sarlake init"):
        table_counts(settings)
    if settings.catalog_uri.startswith("sqlite:///"):
        assert not Path(settings.catalog_uri.removeprefix("sqlite:///")).exists()


@pytest.mark.parametrize(("sql", "tableless"), [
    ("SELECT 1", True),
    ("select 1 + 1 AS x, 'a' AS y UNION ALL SELECT 3, 'b'", True),
    ("SELECT * FROM (VALUES (1), (2)) t(a) JOIN (SELECT 2 AS a) s USING (a)", True),
    ("SELECT * FROM products", False),
    ("FROM products", False),
    ("SELECT (SELECT count(*) FROM products)", False),
    ("WITH x AS (SELECT 1) SELECT * FROM x", False),
    ("SELECT * FROM read_csv('/etc/passwd')", False),
    ("SELECT count(*) FROM duckdb_views()", False),
    ("SELECT * FROM catalogue.marts.mart_product_quality", False),
    ("SHOW TABLES", False),
    ("DESCRIBE products", False),
    ("EXPLAIN SELECT 1", False),
    ("PRAGMA table_info('products')", False),
    ("SELECT 1; DROP VIEW products", False),
    ("SELEC 1", False),
])
def test_reads_no_table(sql: str, tableless: bool) -> None:
    import duckdb

    from lake.query import reads_no_table

    assert reads_no_table(duckdb.connect(":memory:"), sql) is tableless


def test_tableless_sql_runs_sealed(lake) -> None:
    from lake.exceptions import SQLSandboxError
    from lake.query import connect_for, run_sql

    assert run_sql("SELECT 40 + 2 AS x", lake).to_pylist() == [{"x": 42}]
    con = connect_for("SELECT 1", lake)
    for sql in ("SET threads = 1", "SELECT * FROM read_csv('/etc/passwd')"):
        with pytest.raises(Exception, match="locked|disabled|outside|not allowed"):
            con.execute(sql).fetchall()
    with pytest.raises(SQLSandboxError):  # the same refusal as on the full connection
        run_sql("SELECT * FROM read_csv('/etc/passwd')", lake)


def _imports_after(args: list[str], home: Path) -> set[str]:
    """Top-level packages a fresh interpreter has imported after running ``sarlake ARGS``."""
    code = ("import json, sys\nfrom sarlake.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n"
            "    assert not e.code, e.code\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SARLAKE_")} | {"SARLAKE_HOME": str(home)}
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                         check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_light_commands_import_boundaries(tmp_path: Path) -> None:
    """`sarlake tables` reads the catalogue without pyiceberg, DuckDB or Arrow; `sql "select 1"` without
    pyiceberg, SQLAlchemy, pandas, fsspec or the settings' pydantic (it still runs on DuckDB); `--help` imports
    none of them."""
    home = tmp_path / "home"
    from lake.catalog import init_lake
    from lake.settings import get_settings

    init_lake(get_settings(home=home))
    heavy = {"pyiceberg", "sqlalchemy", "duckdb", "pyarrow", "pandas", "airflow"}
    assert _imports_after(["--help"], home) & heavy == set()
    assert _imports_after(["tables"], home) & heavy == set()
    used = _imports_after(["sql", "select 1"], home)
    assert "duckdb" in used
    assert used & {"pyiceberg", "sqlalchemy", "pandas", "fsspec", "airflow", "pydantic_settings"} == set()
    full = _imports_after(["sql", "select count(*) from products"], home)
    assert "duckdb" in full  # a query over a table still gets the iceberg views

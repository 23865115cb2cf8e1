"""A sealed local lake connection dropped with a scan read in part neither hangs the process nor keeps its locks.

DuckDB 1.5.5 destroys a dropped connection holding the GIL; with a scan still running on the lake's read-only
Python file system that hung the process on the first drop (four data files of 4,000 products each were enough).
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.parametrize("catalog_backend", ["sqlite"], indirect=True)  # the local file system's case

FILES, PER_FILE = 4, 4_000


@pytest.fixture
def lake(settings):
    """A local lake whose products table has FILES data files of PER_FILE products each."""
    from lake.arrow_rows import to_arrow
    from lake.catalog import init_lake, load_table
    from lake.tables import TABLES

    init_lake(settings)
    table = load_table("products", settings)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    rng = random.Random(8)  # varied values: files too large to be read whole before the first row comes back
    for f in range(FILES):
        rows = [{"product_id": f"P{f}-{i:05d}", "product_type": "L2_IFG", "track": rng.randint(1, 175),
                 "start_time": start + timedelta(days=365 * f, minutes=i), "west": rng.uniform(-180, 170),
                 "south": rng.uniform(-80, 70), "coherence_mean": rng.random(), "unwrapped_fraction": rng.random(),
                 "perpendicular_baseline_m": rng.gauss(0, 60), "p_error": rng.random()} for i in range(PER_FILE)]
        table.append(to_arrow(TABLES["products"], rows, table))
    return settings


def _python(code: str, settings, timeout: float) -> subprocess.CompletedProcess[str]:
    env_code = f"import os; os.environ['SARLAKE_HOME'] = {str(settings.home)!r}\n" + code
    return subprocess.run([sys.executable, "-c", env_code], capture_output=True, text=True, timeout=timeout)


def test_dropping_connections_with_scans_read_in_part_does_not_hang(lake) -> None:
    code = """
from lake.query import connect
for _ in range(5):
    con = connect(catalogue=False)
    row = con.execute("SELECT * FROM products").fetchone()
    con = None  # dropped with the scan still running
    print(row[0])
print("done")
"""
    try:
        out = _python(code, lake, timeout=60)  # about 3 s when it does not hang
    except subprocess.TimeoutExpired:
        pytest.fail("the process hung dropping a connection whose scan was read in part")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split()
    assert lines[-1] == "done"
    assert all(line.startswith("P") and line.count("-") == 1 for line in lines[:-1]), lines  # rows of the lake


def test_a_relation_keeps_its_connection_open(lake) -> None:
    from lake.dropped_connections import INTERVAL
    from lake.query import connect

    relation = connect(catalogue=False).sql("SELECT count(*), min(product_id) FROM products")
    time.sleep(INTERVAL * 5)  # the releaser has looked several times
    assert relation.fetchall() == [(FILES * PER_FILE, "P0-00000")]


def test_a_cursor_outlives_its_dropped_connection(lake) -> None:
    """The browse app hands out cursors of a connection it drops when the lake changes; closing the dropped
    connection (as the first releaser did) closed its cursors too: "Connection already closed"."""
    from lake.dropped_connections import INTERVAL
    from lake.query import connect

    con = connect(catalogue=False)
    cursor = con.cursor()
    con.execute("SELECT * FROM products").fetchone()  # a result open on the connection too
    del con
    time.sleep(INTERVAL * 5)
    assert cursor.execute("SELECT count(*) FROM products").fetchall() == [(FILES * PER_FILE,)]


def test_a_dropped_connection_lets_dbt_rewrite_the_catalogue_file(lake) -> None:
    """A connection attaches the marts' file read-only, which locks it; once dropped, another process writes it."""
    from pathlib import Path

    import duckdb

    from lake.query import connect

    path = lake.catalogue_db
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(path).close()
    con = connect()
    assert con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = 'catalogue'").fetchall() == [(1,)]
    write = f"import duckdb; duckdb.connect({path!r}).execute('CREATE TABLE rebuilt AS SELECT 1 AS x').close()"
    locked = subprocess.run([sys.executable, "-c", write], capture_output=True, text=True, timeout=60)
    assert locked.returncode != 0, "the attached catalogue file was not locked: this test checks nothing"
    con.execute("SELECT product_id FROM products").fetchone()
    del con
    deadline = time.monotonic() + 10
    while True:
        written = subprocess.run([sys.executable, "-c", write], capture_output=True, text=True, timeout=60)
        if written.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert written.returncode == 0, written.stderr


def test_a_process_forked_while_a_dropped_connection_is_held_reads_the_lake(lake) -> None:
    """The child's own thread closed the parent's held copy, DuckDB's state without its threads: the child crashed."""
    code = """
import os
from lake.query import connect
con = connect(catalogue=False)
con.execute("SELECT * FROM products").fetchone()
con = None  # held until the releaser's next look, and the fork comes first
pid = os.fork()
if pid == 0:
    child = connect(catalogue=False)
    print(child.execute("SELECT count(*) FROM products").fetchall()[0][0], flush=True)
    child = None
    import time
    time.sleep(1)  # the releaser has looked
    os._exit(0)
print("child exit status", os.waitpid(pid, 0)[1])
"""
    out = _python(code, lake, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == [str(FILES * PER_FILE), "child exit status 0"], out.stdout

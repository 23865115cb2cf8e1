"""Lake connections and the dbt catalogue read times in UTC whatever the machine's time zone.

The truth is the calendar: 2024-01-31 23:00 UTC is 31 January in UTC and 1 February in Tokyo (UTC+9), so a
machine in Tokyo that answered in its own zone would print +09:00 and count the acquisition in February.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERY = ("SELECT cast(TIMESTAMPTZ '2024-01-31 23:00:00+00' AS date) AS day, "
         "cast(TIMESTAMPTZ '2024-01-31 23:00:00+00' AS varchar) AS shown")


def _in_tokyo(code: str, home: Path) -> str:
    env = {**os.environ, "TZ": "Asia/Tokyo", "SARLAKE_HOME": str(home)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_the_machine_zone_is_not_utc_in_the_child(tmp_path) -> None:
    """The premise: a plain DuckDB connection in the child process does answer in Tokyo time."""
    assert _in_tokyo(f"import duckdb; print(duckdb.sql({QUERY!r}).fetchone())", tmp_path) == (
        "(datetime.date(2024, 2, 1), '2024-02-01 08:00:00+09')")


def test_lake_connections_answer_in_utc(tmp_path) -> None:
    code = ("from lake.catalog import init_lake; from lake.query import connect, run_sql; init_lake(); "
            f"print(connect().sql({QUERY!r}).fetchone()); print(run_sql({QUERY!r}).to_pylist())")
    lines = _in_tokyo(code, tmp_path).splitlines()
    assert lines[0] == "(datetime.date(2024, 1, 31), '2024-01-31 23:00:00+00')"
    assert lines[1] == "[{'day': datetime.date(2024, 1, 31), 'shown': '2024-01-31 23:00:00+00'}]"


def test_the_dbt_plugin_builds_in_utc(tmp_path) -> None:
    code = ("import duckdb; from lake.catalog import init_lake; from sarlake.dbt_lake import Plugin; init_lake(); "
            "con = duckdb.connect(); p = Plugin.__new__(Plugin); p.initialize({}); p.configure_connection(con); "
            f"print(con.sql({QUERY!r}).fetchone())")
    assert _in_tokyo(code, tmp_path) == "(datetime.date(2024, 1, 31), '2024-01-31 23:00:00+00')"

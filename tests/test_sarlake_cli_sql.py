"""``sarlake sql``: repeated column names, --limit, streamed output, atomic --output, Ctrl-C."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def lake(settings):
    from lake.catalog import init_lake
    from lake.write import upsert

    init_lake(settings)
    upsert("products", [
        {"product_id": f"P{i}", "product_type": "L2_IFG", "track": 44, "run_id": f"prod-run-{i}",
         "start_time": datetime(2024, 1, 1 + i, tzinfo=UTC)} for i in range(3)
    ], settings)
    upsert("provenance", [
        {"product_id": f"P{i}", "run_id": f"prov-run-{i}", "pge_name": "interferogram", "pge_version": "0.1.0",
         "started_at": datetime(2024, 2, 1, tzinfo=UTC)} for i in range(3)
    ], settings)
    return settings


JOIN = ("SELECT p.product_id, p.run_id, v.run_id FROM products p JOIN provenance v USING (product_id) "
        "ORDER BY 1")


def test_repeated_column_names_are_made_unique_in_every_format(lake, tmp_path) -> None:
    import pyarrow.parquet as pq

    from sarlake.cli import cli

    runner = CliRunner()
    out = runner.invoke(cli, ["sql", JOIN, "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert rows[0] == {"product_id": "P0", "run_id": "prod-run-0", "run_id_2": "prov-run-0"}
    out = runner.invoke(cli, ["sql", JOIN])
    assert out.exit_code == 0, out.output
    header, _rule, first = out.output.splitlines()[:3]
    assert header.split() == ["product_id", "run_id", "run_id_2"]
    assert first.split() == ["P0", "prod-run-0", "prov-run-0"]
    out = runner.invoke(cli, ["sql", JOIN, "--format", "csv"])
    assert out.output.splitlines()[0] == "product_id,run_id,run_id_2"
    target = tmp_path / "j.parquet"
    out = runner.invoke(cli, ["sql", JOIN, "--format", "parquet", "-o", str(target)])
    assert out.exit_code == 0 and pq.read_table(target).column("run_id_2").to_pylist()[0] == "prov-run-0"


def test_limit_and_large_results_stream(lake, tmp_path) -> None:
    import pyarrow.parquet as pq

    from sarlake.cli import cli

    runner = CliRunner()
    out = runner.invoke(cli, ["sql", "SELECT * FROM range(1000000) t(i)", "--limit", "5", "--format", "json"])
    assert [r["i"] for r in json.loads(out.output)] == [0, 1, 2, 3, 4]
    out = runner.invoke(cli, ["sql", "SELECT i, i * 2 AS j FROM range(300000) t(i)"])
    assert out.exit_code == 0
    assert out.output.rstrip().endswith("(300000 rows (first 200 shown; use --limit, or --format parquet "
                                        "--output FILE for all))")
    target = tmp_path / "big.parquet"
    out = runner.invoke(cli, ["sql", "SELECT i FROM range(300000) t(i)", "--format", "parquet", "-o", str(target)])
    table = pq.read_table(target)
    assert table.num_rows == 300000 and table.column("i").to_pylist()[-1] == 299999
    assert pq.ParquetFile(target).metadata.num_row_groups > 1  # written batch by batch, not in one piece


def test_a_failed_query_leaves_no_output_file(lake, tmp_path) -> None:
    from sarlake.cli import cli

    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "out.csv"
    # The error comes after several batches, so a non-atomic writer would leave a partial file.
    query = "SELECT i, CASE WHEN i < 250000 THEN i ELSE error('boom at ' || i) END AS j FROM range(300000) t(i)"
    out = CliRunner().invoke(cli, ["sql", query, "--format", "csv", "-o", str(target)])
    assert out.exit_code == 2 and "boom" in out.output
    assert list(folder.iterdir()) == []


def test_ctrl_c_interrupts_a_long_query(lake) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    slow = "SELECT sum(hash(i)) FROM range(1000000000000) t(i)"
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "sarlake"), "-v", "sql", slow], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # wait until the query runs, then press Ctrl-C
            if "running SQL" in line:
                break
        time.sleep(1)
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        assert proc.poll() is not None, "sarlake sql ignored Ctrl-C"
        _out, err = proc.communicate()
        assert proc.returncode == 130, err
        assert err.strip().splitlines()[-1] == "error: query interrupted (Ctrl-C)"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_json_has_no_nan_and_an_output_file_takes_its_format_from_its_suffix(lake, tmp_path) -> None:
    """`--format json` wrote NaN and Infinity, which JSON parsers refuse; `-o out.csv` without --format wrote the
    aligned table into out.csv."""
    import csv

    from sarlake.cli import cli

    runner = CliRunner()
    query = "SELECT 1 AS n, 'nan'::DOUBLE AS x, ['inf'::DOUBLE, 2.5] AS xs, {'a': '-inf'::DOUBLE} AS s"
    out = runner.invoke(cli, ["sql", query, "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output, parse_constant=lambda c: pytest.fail(f"not JSON: {c}")) == [
        {"n": 1, "x": None, "xs": [None, 2.5], "s": {"a": None}}]
    target = tmp_path / "out.csv"
    out = runner.invoke(cli, ["sql", "SELECT 1 AS n, 'a,b' AS t", "-o", str(target)])
    assert out.exit_code == 0, out.output
    assert list(csv.reader(target.open())) == [["n", "t"], ["1", "a,b"]]
    target = tmp_path / "out.json"
    runner.invoke(cli, ["sql", "SELECT 1 AS n", "-o", str(target)])
    assert json.loads(target.read_text()) == [{"n": 1}]
    out = runner.invoke(cli, ["sql", "SELECT 1 AS n", "-o", str(tmp_path / "no" / "x.csv")])
    assert out.exit_code == 2 and f"Invalid value for '--output': folder {tmp_path / 'no'} does not exist" in out.output


def test_csv_quotes_a_value_only_where_it_needs_it(lake) -> None:
    """Every string came out quoted (pyarrow's "needed" style), so `sarlake sql ... --format csv | tail -1` handed
    `"S1-GUNW-..."` with its quotes to a shell script. Truth: Python's csv module reads every file back to the
    values, and plain values are written bare, as psql --csv and DuckDB write them."""
    import csv

    from sarlake.cli import cli

    runner = CliRunner()
    plain = runner.invoke(cli, ["sql", "SELECT 'S1-GUNW-A' AS product_id, 2 AS n", "--format", "csv"])
    assert plain.output.splitlines() == ["product_id,n", "S1-GUNW-A,2"]
    odd = runner.invoke(cli, ["sql", "SELECT 'a,b' AS t, 'say \"hi\"' AS q, 'two\nlines' AS m", "--format", "csv"])
    assert list(csv.reader(io.StringIO(odd.output))) == [["t", "q", "m"], ["a,b", 'say "hi"', "two\nlines"]]
    many = runner.invoke(cli, ["sql", "SELECT range AS n, CASE WHEN range = 2500 THEN 'x,y' ELSE 'z' END AS s "
                                      "FROM range(3000)", "--format", "csv"])  # several batches, one needs quotes
    rows = list(csv.reader(io.StringIO(many.output)))
    assert rows[0] == ["n", "s"] and len(rows) == 3001
    assert [r for r in rows[1:] if r[1] != "z"] == [["2500", "x,y"]]
    assert rows[1] == ["0", "z"] and many.output.splitlines()[1] == "0,z"

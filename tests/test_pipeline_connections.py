"""Pipeline code opens the lake without the analysts' dbt catalogue.

Even a read-only ATTACH of the catalogue's DuckDB file takes a lock on it: a pipeline task holding one made the
catalog DAG's dbt task fail ('Could not set lock on file .../catalogue.duckdb', retried), and while dbt
rebuilt the file every pipeline task logged 'the dbt catalogue ... is not readable now' as a warning. No
pipeline step reads the marts, so every ``lake.query.connect`` call in ``sarlake/workflows`` and
``sarlake_plugins`` passes ``catalogue=False`` (``sarlake sql`` and analysts' ``connect()`` keep it).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = [*sorted((ROOT / "sarlake" / "workflows").rglob("*.py")), *sorted((ROOT / "sarlake_plugins").rglob("*.py"))]


def _connect_calls(path: Path) -> list[ast.Call]:
    """Calls of ``connect`` in a module that imports it from ``lake.query``."""
    tree = ast.parse(path.read_text(), str(path))
    imported = any(isinstance(n, ast.ImportFrom) and n.module == "lake.query" and
                   any(a.name == "connect" and a.asname is None for a in n.names) for n in ast.walk(tree))
    return [n for n in ast.walk(tree) if imported and isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            and n.func.id == "connect"]


def test_pipeline_connections_leave_the_dbt_catalogue_unlocked() -> None:
    calls = [(p, c) for p in PIPELINE for c in _connect_calls(p)]
    assert len(calls) >= 10, "the check finds the pipeline's connections"
    attaching = [f"{p.relative_to(ROOT)}:{c.lineno}" for p, c in calls
                 if not any(k.arg == "catalogue" and isinstance(k.value, ast.Constant) and k.value.value is False
                            for k in c.keywords)]
    assert not attaching, f"these attach (and lock) the dbt catalogue: {attaching}"


def test_a_pipeline_step_logs_no_warning_while_dbt_rebuilds_the_catalogue(settings, caplog) -> None:
    """The timeseries planner's selection, with dbt's write lock held on the catalogue by another process."""
    import logging
    import subprocess
    import sys

    from lake.catalog import init_lake
    from sarlake.workflows.timeseries import select_interferograms

    init_lake(settings)
    path = Path(settings.catalogue_db)
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time\n"
                               f"con = duckdb.connect({str(path)!r}); con.execute('CREATE TABLE t (x INT)')\n"
                               "print('locked', flush=True); time.sleep(120)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with caplog.at_level(logging.WARNING):
            select_interferograms("etna", max_p_error=0.5)
    finally:
        holder.kill()
        holder.wait()
    assert not [r.getMessage() for r in caplog.records if "catalogue" in r.getMessage()]

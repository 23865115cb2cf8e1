"""Orchestration cost per task: N mapped local PGE tasks running the ``noop`` PGE, through Airflow.

A throwaway DAG maps ``N`` tasks of :func:`sarlake_plugins.pge.mapped_pge_operator` over ``noop`` run-configs
(the PGE validates its run-config, makes and removes its staging folder and writes its result file: a real
PGE run without science). It runs the way the urgent benchmark runs its DAG (``airflow dags test``: one
process, tasks in sequence), so the figures are the floor of what each mapped PGE task costs there:

* wall / N: the whole run divided by the tasks;
* per-task time: each task instance's ``end_date - start_date`` (task start-up, the PGE subprocess: Python
  start and ``pges`` imports, result hand-back);
* scheduling latency: ``start_date - scheduled_dttm`` of the first mapped task instance (how long a task
  waits after Airflow decided it may run; the later ones also wait for their siblings, one at a time here),
  and the gap between one task's end and the next one's start;
* the fixed cost before the first task starts (CLI start, imports, parsing the one DAG file, run creation).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
N = 20
DAG = '''
import pendulum
from airflow.sdk import dag, task

from sarlake_plugins.pge import mapped_pge_operator


@dag(dag_id="bench_noop", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def bench_noop():
    @task
    def configs():
        return [{{"pge": "noop", "run_id": "", "inputs": [], "output_dir": {out!r}, "parameters": {{}}}}
                for _ in range({n})]

    mapped_pge_operator("noop", task_id="noop", run_configs=configs())


bench_noop()
'''


def _run(cmd: list, env: dict) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def _ts(value: str | None) -> datetime | None:
    """An Airflow timestamp (UTC; SQLite stores it without an offset) as an aware datetime."""
    if not value:
        return None
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def airflow_env(home: Path, dags: Path) -> dict[str, str]:
    """A clean environment: a lake and an Airflow (SQLite) under ``home``, DAGs from ``dags``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SARLAKE_", "AIRFLOW"))}
    env.update({"SARLAKE_HOME": str(home / "lake"), "AIRFLOW_HOME": str(home / "airflow"),
                "AIRFLOW__CORE__DAGS_FOLDER": str(dags), "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "PATH": f"{BIN}:{os.environ.get('PATH', '')}"})
    return env


def task_timing(db: Path, dag_id: str) -> list[dict]:
    """Per task instance of the latest run of ``dag_id``: task id, map index, scheduled/start/end timestamps."""
    con = sqlite3.connect(db)
    rows = con.execute("SELECT task_id, map_index, scheduled_dttm, queued_dttm, start_date, end_date, state "
                       "FROM task_instance WHERE dag_id = ? ORDER BY start_date", [dag_id]).fetchall()
    con.close()
    return [{"task_id": r[0], "map_index": r[1], "scheduled": _ts(r[2]), "queued": _ts(r[3]), "start": _ts(r[4]),
             "end": _ts(r[5]), "state": r[6]} for r in rows]


def run() -> list[dict]:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-noop-") as tmp:
        home = Path(tmp)
        dags = home / "dags"
        dags.mkdir()
        (dags / "bench_noop.py").write_text(DAG.format(out=str(home / "out"), n=N))
        env = airflow_env(home, dags)
        _run([BIN / "sarlake", "init"], env)
        _run([BIN / "airflow", "db", "migrate"], env)
        t0, started = time.monotonic(), datetime.now(UTC)
        _run([BIN / "airflow", "dags", "test", "bench_noop", "-f", dags / "bench_noop.py"], env)
        wall = time.monotonic() - t0
        tis = task_timing(home / "airflow" / "airflow.db", "bench_noop")
    noop = [t for t in tis if t["task_id"] == "noop"]
    assert len(noop) == N and all(t["state"] == "success" for t in noop), [t["state"] for t in noop]
    per_task = [(t["end"] - t["start"]).total_seconds() for t in noop]
    waits = [(t["start"] - t["scheduled"]).total_seconds() for t in noop if t["scheduled"]]
    first_ti = min(t["start"] for t in tis)
    gaps = [(b["start"] - a["end"]).total_seconds() for a, b in zip(noop, noop[1:], strict=False)]
    first, last = min(t["start"] for t in noop), max(t["end"] for t in noop)
    mapped_wall = (last - first).total_seconds()
    ref = f"{N} mapped noop tasks, airflow dags test, load average {load:.1f} at the start"
    return [
        {"name": f"wall time of the run / {N} mapped no-op PGE tasks", "value": wall / N, "unit": "s/task",
         "target": "", "reference": f"{wall:.1f} s in all (DAG parse, run creation, the configs task); {ref}"},
        {"name": "mapped tasks only: first start to last end / N", "value": mapped_wall / N, "unit": "s/task",
         "target": "", "reference": ref},
        {"name": "per-task time (end - start), median", "value": median(per_task), "unit": "s",
         "target": "", "reference": f"max {max(per_task):.2f} s: task start-up, PGE subprocess start, imports, "
                                     "run-config check, result hand-back"},
        {"name": "scheduling latency of the first mapped task (start - scheduled_dttm)", "value": min(waits) if
         waits else None, "unit": "s", "target": "", "reference": f"median over the {N} {median(waits):.1f} s: they "
         "wait for each other, one at a time" if waits else "no scheduled_dttm"},
        {"name": "before the first task starts (CLI, imports, DAG file parse, run creation)", "value":
         (first_ti - started).total_seconds(), "unit": "s", "target": "", "reference": "paid once per run"},
        {"name": "gap between consecutive mapped tasks, median", "value": median(gaps) if gaps else None,
         "unit": "s", "target": "", "reference": "end of one task instance to the start of the next"},
    ]


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row, default=str))

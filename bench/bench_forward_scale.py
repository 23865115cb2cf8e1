"""Orchestration at scale: the forward DAG over ~100 mapped interferogram pairs, per batch size.

One lake and one Airflow (SQLite metadata, ``airflow dags test``: the tasks of a run one after the other, as
the end-to-end tests run them) under a temporary folder; a tiny AOI (0.03 x 0.03 degrees on the flank of
Vesuvius, the simulated archive) so each PGE run is small but real (simulate, interferogram + SNAPHU,
COGs, met.json). The look-back window and ``pairing_neighbours`` give ``PAIRS`` interferograms. The first
run (``batch_size`` 1) stages and makes them all; each later run forces ``reprocess`` with another
``batch_size``, so every run makes the same pairs.

Measured per run, from Airflow's task instances (start/end) and the PGEs' own timings (each product's
provenance ``started_at`` .. ``finished_at`` in its met.json): the span from the first interferogram task's
start to the catalogue task's end; the PGE compute inside it (sum over products); the share of the span
outside PGE compute (task start, the PGE process's start and imports, Airflow bookkeeping, cataloguing);
products per hour over that span. Plot: docs/img/forward_overhead.png.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests"))
AOI_BBOX = ["14.42", "40.80", "14.45", "40.83"]
LOGICAL_DATE = "2024-07-01"
#: ~17 acquisitions (12-day repeat in 200 days), each paired with up to 8 earlier ones: about 100 pairs
LOOKBACK_DAYS, NEIGHBOURS = int(os.environ.get("SARLAKE_BENCH_FWD_LOOKBACK", "200")), 8
BATCH_SIZES = [int(b) for b in os.environ.get("SARLAKE_BENCH_FWD_BATCHES", "1,10").split(",")]
IMG = ROOT / "docs" / "img"


def _ts(value: str | None) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _run(cmd: list, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True, cwd=ROOT)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{cmd} exited {proc.returncode}: {proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def _task_instances(env: dict) -> list[dict]:
    db = Path(env["AIRFLOW_HOME"]) / "airflow.db"
    with sqlite3.connect(db) as con:
        con.row_factory = sqlite3.Row
        run = con.execute("SELECT run_id, state FROM dag_run WHERE dag_id = 'forward' ORDER BY id DESC LIMIT 1"
                          ).fetchone()
        rows = con.execute("SELECT task_id, map_index, state, start_date, end_date FROM task_instance "
                           "WHERE dag_id = 'forward' AND run_id = ?", (run["run_id"],)).fetchall()
    return [{"run_id": run["run_id"], "run_state": run["state"], **dict(r)} for r in rows]


def _pge_seconds(env: dict, run_id: str) -> tuple[float, int]:
    """Sum of the interferogram PGE runs' own time (provenance) for the products this run made."""
    total, n = 0.0, 0
    for met in Path(env["SARLAKE_HOME"], "products", "L2_IFG").rglob("*.met.json"):
        prov = json.loads(met.read_text()).get("provenance") or {}
        if prov.get("run_id") == run_id and prov.get("finished_at"):
            total += (_ts(prov["finished_at"]) - _ts(prov["started_at"])).total_seconds()
            n += 1
    return total, n


def _one_run(env: dict, batch_size: int, reprocess: bool) -> dict:
    conf = {"lookback_days": LOOKBACK_DAYS, "pairing_neighbours": NEIGHBOURS, "batch_size": batch_size,
            "reprocess": reprocess}
    load = os.getloadavg()[0]
    t = time.perf_counter()
    proc = _run([BIN / "airflow", "dags", "test", "forward", LOGICAL_DATE, "-c", json.dumps(conf)], env, check=False)
    wall = time.perf_counter() - t
    tis = _task_instances(env)
    if proc.returncode != 0 or tis[0]["run_state"] != "success":
        raise RuntimeError(f"forward run failed ({tis[0]['run_state']}): {(proc.stdout + proc.stderr)[-4000:]}")
    ifg = [r for r in tis if r["task_id"] == "interferogram"]
    (cat,) = [r for r in tis if r["task_id"] == "catalogue"]
    start = min(_ts(r["start_date"]) for r in ifg)
    span = (_ts(cat["end_date"]) - start).total_seconds()
    pge, n = _pge_seconds(env, tis[0]["run_id"])
    run_start = min(_ts(r["start_date"]) for r in tis if r["start_date"])
    return {"batch_size": batch_size, "tasks": len(ifg), "products": n, "span_s": span, "pge_s": pge,
            "overhead": 1 - pge / span, "products_per_hour": n / span * 3600, "wall_s": wall,
            "before_s": (start - run_start).total_seconds(), "load": load, "load_after": os.getloadavg()[0]}


def _plot(results: list[dict]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    IMG.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 4))
    b = [r["batch_size"] for r in results]
    ax.plot(b, [100 * r["overhead"] for r in results], "o-", label="share of wall time outside PGE compute")
    ax.axhline(20, color="grey", ls=":", lw=0.8, label="target 20 %")
    ax.set_xscale("log")
    ax.set_xlabel("pairs per interferogram task (batch_size)")
    ax.set_ylabel("%")
    ax2 = ax.twinx()
    ax2.plot(b, [r["products_per_hour"] for r in results], "s--", color="C1", label="products / hour")
    ax2.set_ylabel("products / hour")
    ax.legend(loc="upper center", fontsize=8)
    ax2.legend(loc="center right", fontsize=8)
    ax.set_title(f"forward DAG, {results[0]['products']} interferograms (airflow dags test)")
    fig.tight_layout()
    path = IMG / "forward_overhead.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path.relative_to(ROOT / "docs").as_posix()


def run() -> list[dict]:
    """Run the forward DAG once per batch size on the same pairs; return the rows and write the plot."""
    from airflow_harness import airflow_env

    results = []
    with tempfile.TemporaryDirectory(prefix="bench-forward-") as tmp:
        env = airflow_env(Path(tmp))
        _run([BIN / "sarlake", "init"], env)
        _run([BIN / "sarlake", "aoi", "add", "flank", "--bbox", *AOI_BBOX], env)
        _run([BIN / "airflow", "db", "migrate"], env)
        for k, batch in enumerate(BATCH_SIZES):
            r = _one_run(env, batch, reprocess=k > 0)
            print(json.dumps(r), flush=True)
            results.append(r)
    return rows_of(results, _plot(results))


def rows_of(results: list[dict], plot: str) -> list[dict]:
    """The benchmark rows of the measured runs."""
    rows = []
    for r in results:
        tag = f"batch_size {r['batch_size']}: {r['tasks']} tasks, {r['products']} products (load {r['load']:.1f}" \
              f"->{r['load_after']:.1f})"
        rows += [
            {"name": f"forward DAG, share of wall time outside PGE compute, {tag}",
             "value": round(100 * r["overhead"], 1), "unit": "%", "target": "< 20 %",
             "reference": f"first interferogram task start -> catalogue end {r['span_s']:.0f} s, of which PGE "
             f"compute (provenance) {r['pge_s']:.0f} s; run before that (discover, stage, pair) {r['before_s']:.0f} s"},
            {"name": f"forward DAG, products per hour, {tag}", "value": round(r["products_per_hour"]),
             "unit": "products/h", "target": None,
             "reference": f"PGE compute alone: {r['products'] / r['pge_s'] * 3600:.0f} products/h; whole "
             f"`airflow dags test` {r['wall_s']:.0f} s"},
        ]
    rows.append({"name": "plot", "value": None, "unit": "", "target": None, "reference": f"![{plot}]({plot})"})
    return rows


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row))

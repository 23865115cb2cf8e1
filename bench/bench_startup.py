"""Start-up of the command line: wall and CPU time of the light commands, each beside its reference.

Every command runs as a fresh process (median of ``REPEATS`` runs) against an initialised, empty lake in a
temporary ``SARLAKE_HOME``. References, measured in the same run: the interpreter alone (``python -c pass``),
and for ``sarlake tables`` and ``sarlake sql`` the route they took before (open the catalogue with pyiceberg and
load every table; connect with the iceberg views over every table). CPU time is the children's user + system
time (``resource.getrusage``), which other jobs on the machine do not inflate the way they inflate wall time.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SARLAKE = str(Path(sys.executable).parent / "sarlake")  # the console script users run
REPEATS = 7

#: label -> argv
COMMANDS: dict[str, list[str]] = {
    "sarlake --help": [SARLAKE, "--help"],
    "sarlake tables": [SARLAKE, "tables"],
    'sarlake sql "select 1"': [SARLAKE, "sql", "select 1"],
    'sarlake sql "select count(*) from products"': [SARLAKE, "sql",
                                                    "select count(*) from products"],
    "python -m pges --list": [PYTHON, "-m", "pges", "--list"],
}
#: the same answer by the route the command took before (all tables loaded through pyiceberg)
OLD_TABLES = ("from lake.catalog import get_catalog, load_table\nfrom lake.settings import get_settings\n"
              "s = get_settings()\nfor i in get_catalog(s).list_tables(s.namespace):\n"
              "    snap = load_table(i[-1], s).current_snapshot()\n"
              "    print(i[-1], int(snap.summary.get('total-records', 0)) if snap else 0)\n")
OLD_SQL = ("from lake.query import connect\ncon = connect()\nprint(con.sql('select 1').fetchall())\n")
REFERENCES: dict[str, tuple[str, list[str]]] = {
    "sarlake --help": ("python -c pass", [PYTHON, "-c", "pass"]),
    "sarlake tables": ("the same counts through pyiceberg (load every table)", [PYTHON, "-c", OLD_TABLES]),
    'sarlake sql "select 1"': ("select 1 on lake.query.connect() (iceberg extension, a view per table)",
                               [PYTHON, "-c", OLD_SQL]),
    "python -m pges --list": ("python -c pass", [PYTHON, "-c", "pass"]),
}


def measure(argv: list[str], env: dict[str, str], repeats: int = REPEATS) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeats`` fresh runs of ``argv`` (after one warm-up run)."""
    walls, cpus = [], []
    for i in range(repeats + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(argv, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i:  # the first run warms the file cache and the bytecode
            walls.append(wall)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def run() -> list[dict[str, Any]]:
    """Measure every command and its reference; rows for docs/benchmarks.md."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SARLAKE_")} | {"SARLAKE_HOME": home}
        subprocess.run([SARLAKE, "init"], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        for label, argv in COMMANDS.items():
            load = os.getloadavg()[0]
            wall, cpu = measure(argv, env)
            what, ref_argv = REFERENCES.get(label, ("", []))
            ref_wall, ref_cpu = measure(ref_argv, env) if ref_argv else (0.0, 0.0)
            light = "sql" not in label or "select 1" in label
            rows.append({"name": f"{label}, wall (median of {REPEATS}; load {load:.1f})", "value": wall, "unit": "s",
                         "target": "< 0.5 s" if light else "",
                         "reference": f"{what}: {ref_wall:.2f} s wall, {ref_cpu:.2f} s CPU" if ref_argv else None})
            rows.append({"name": f"  {label}, CPU (user + system)", "value": cpu, "unit": "s", "target": "",
                         "reference": ""})
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:<70} {row['value']:.3f} {row['unit']}  target {row['target']}  ref {row['reference']}")

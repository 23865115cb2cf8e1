"""What the end-to-end DAG tests share: a clean Airflow + lake environment and a command runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: `sarlake aoi add` arguments of the AOI that holds the real Sydney stack of tests/data
SYDNEY_AOI = ("sydney", "--bbox", "150.8", "-34.3", "151.0", "-34.1")


def run(cmd, env, check=True):
    """Run ``cmd`` in the repository; with ``check``, fail the test with its output when it fails."""
    proc = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True, cwd=ROOT)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} exited {proc.returncode}:\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}")
    return proc


def airflow_env(home: Path) -> dict[str, str]:
    """This process's environment without any SARLAKE_/AIRFLOW setting, plus a lake and an Airflow under ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SARLAKE_", "AIRFLOW"))}
    env.update({
        "SARLAKE_HOME": str(home / "lake"),
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    })
    return env


def lake_and_airflow(home: Path, *setup: list) -> dict[str, str]:
    """:func:`airflow_env` with its lake and Airflow database made, then each ``setup`` command run in it."""
    env = airflow_env(home)
    run([BIN / "sarlake", "init"], env)
    run([BIN / "airflow", "db", "migrate"], env)
    for cmd in setup:
        run(cmd, env)
    return env


def sydney_lake_and_airflow(home: Path) -> dict[str, str]:
    """:func:`lake_and_airflow` with the Sydney AOI stored (:data:`SYDNEY_AOI`)."""
    return lake_and_airflow(home, [BIN / "sarlake", "aoi", "add", *SYDNEY_AOI])

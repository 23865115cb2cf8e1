"""What the end-to-end DAG tests share: a clean Airflow + lake environment and a command runner."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
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


#: auth manager -> a database ``airflow db migrate`` made in this test process, untouched since
_MIGRATED: dict[str, Path] = {}


def migrate_airflow(env: dict[str, str]) -> None:
    """``airflow db migrate`` for the Airflow of ``env`` (its SQLite database under ``AIRFLOW_HOME``).

    The real migration runs once per test process and auth manager (5-7 s of CPU each time on this machine);
    later Airflow homes get a copy of the database it made, which holds no secret and no path of its test (a
    fresh migration makes only the schema and the default pool). A test that names its own database migrates it.
    """
    home = Path(env["AIRFLOW_HOME"])
    manager = env.get("AIRFLOW__CORE__AUTH_MANAGER", "")
    if "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" in env or (home / "airflow.db").exists():
        run([BIN / "airflow", "db", "migrate"], env)
        return
    if manager not in _MIGRATED:
        run([BIN / "airflow", "db", "migrate"], env)
        keep = Path(tempfile.mkdtemp(prefix="sarlake-test-airflow-db-"))
        atexit.register(shutil.rmtree, keep, True)
        _MIGRATED[manager] = Path(shutil.copy(home / "airflow.db", keep / "airflow.db"))
        return
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(_MIGRATED[manager], home / "airflow.db")


def lake_and_airflow(home: Path, *setup: list) -> dict[str, str]:
    """:func:`airflow_env` with its lake and Airflow database made, then each ``setup`` command run in it."""
    env = airflow_env(home)
    run([BIN / "sarlake", "init"], env)
    migrate_airflow(env)
    for cmd in setup:
        run(cmd, env)
    return env


def sydney_lake_and_airflow(home: Path) -> dict[str, str]:
    """:func:`lake_and_airflow` with the Sydney AOI stored (:data:`SYDNEY_AOI`)."""
    return lake_and_airflow(home, [BIN / "sarlake", "aoi", "add", *SYDNEY_AOI])

"""The analysts' catalogue: run the dbt project in ``models/`` over the lake (build, docs, manifest).

dbt runs as a subprocess (the venv's ``dbt``), as Cosmos runs it in the ``catalog`` DAG. Its outputs stay
apart from the repository: the DuckDB file with the marts is ``<SARLAKE_HOME>/catalogue/catalogue.duckdb``
(setting ``catalogue_db``)
and run artefacts go to ``<SARLAKE_HOME>/dbt/target``, except the manifest that Airflow's ``catalog`` DAG
renders from, which :func:`write_manifest` puts at ``models/target/manifest.json`` (``make setup`` does).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MANIFEST", "PROJECT_DIR", "DbtResult", "build", "catalogue_db", "dbt_executable", "dbt_vars", "docs",
           "run_dbt", "target_dir", "write_manifest"]

logger = logging.getLogger(__name__)

#: The dbt project (dbt_project.yml, profiles.yml, staging/, marts/).
PROJECT_DIR = Path(__file__).resolve().parents[2] / "models"
#: Where the committed-to-nothing manifest for Cosmos is written (gitignored).
MANIFEST = PROJECT_DIR / "target" / "manifest.json"


@dataclass(frozen=True)
class DbtResult:
    """Outcome of one dbt command."""

    command: str
    success: bool
    nodes: int
    failures: list[str]
    target_path: Path


def target_dir() -> Path:
    """``<SARLAKE_HOME>/dbt/target``: where dbt writes run results, catalog.json and the docs site."""
    from lake.settings import get_settings

    return get_settings().home / "dbt" / "target"


def catalogue_db() -> Path:
    """The DuckDB file holding the staging views and mart tables (setting ``catalogue_db``)."""
    from lake.settings import get_settings

    return Path(get_settings().catalogue_db)


def dbt_vars(target: Path) -> dict[str, str]:
    """What a dbt run needs in its environment, for a subprocess or a dbt in this process.

    Its target folder, the lake home and the profile's DuckDB file (absolute, from the settings), and no usage
    statistics.
    """
    from lake.settings import get_settings

    settings = get_settings()
    return {"DBT_TARGET_PATH": str(target), "SARLAKE_HOME": str(settings.home),
            "SARLAKE_CATALOGUE_DB": str(catalogue_db()), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def _dbt_env(target: Path) -> dict[str, str]:
    """The environment of a dbt subprocess: this process's, with :func:`dbt_vars`."""
    return {**os.environ, **dbt_vars(target)}


def dbt_executable() -> str:
    """The venv's ``dbt`` (beside this Python), else the one on ``PATH``."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def run_dbt(args: list[str], target: Path | None = None) -> DbtResult:
    """Run one dbt command on the project in a subprocess and return its outcome.

    A subprocess, not ``dbtRunner`` in this process: dbt-duckdb keeps its DuckDB connection open for the life
    of the process, which would lock the catalogue file against the analysts' read-only connections.

    Raises:
        RuntimeError: dbt itself could not run (bad project, profile or connection).
        LakeMovedError: the lake was moved or copied from where it was made (checked before dbt starts).
    """
    from lake.exceptions import CatalogError, LakeMovedError
    from lake.pointers import table_pointers
    from lake.settings import get_settings

    try:
        table_pointers(get_settings())
    except LakeMovedError:
        raise
    except CatalogError:  # a lake not initialised yet: dbt builds its views empty
        pass
    target = target or target_dir()
    target.mkdir(parents=True, exist_ok=True)
    catalogue_db().parent.mkdir(parents=True, exist_ok=True)
    cmd = [dbt_executable(), *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
    proc = subprocess.run(cmd, env=_dbt_env(target), capture_output=True, text=True, check=False)
    logger.info("dbt %s exited %s\n%s", " ".join(args), proc.returncode, proc.stdout[-4000:])
    results_file = target / "run_results.json"
    results = json.loads(results_file.read_text()).get("results", []) if results_file.is_file() else []
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not results and args[0] != "parse"):
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
        raise RuntimeError(f"dbt {' '.join(args)} could not run (exit {proc.returncode}): {' | '.join(tail)}")
    failures = [f"{r['unique_id']}: {r.get('message')}" for r in results if r.get("status") in ("error", "fail")]
    return DbtResult(args[0], proc.returncode == 0, len(results), failures, target)


def build(select: str | None = None) -> DbtResult:
    """``dbt build``: the staging views, the marts and every data and unit test.

    On a lake whose warehouse is in S3, a whole build that passed is published where the lake's readers attach it
    (:func:`lake.catalogue_store.publish`); a build of a selection is not (it would publish those models alone).
    """
    result = run_dbt(["build", *(["--select", select] if select else [])])
    if result.success and not select:
        from lake.catalogue_store import publish
        from lake.settings import get_settings

        publish(get_settings())
    return result


def docs() -> DbtResult:
    """``dbt docs generate`` after a ``dbt run`` (so the catalog knows every column's type)."""
    run = run_dbt(["run"])
    if not run.success:
        return run
    return run_dbt(["docs", "generate"])


def write_manifest() -> Path:
    """``dbt parse`` into ``models/target``: the manifest the ``catalog`` DAG renders from (no dbt at parse time)."""
    result = run_dbt(["parse"], target=MANIFEST.parent)
    if not result.success or not MANIFEST.is_file():
        raise RuntimeError(f"dbt parse wrote no manifest at {MANIFEST}")
    return MANIFEST

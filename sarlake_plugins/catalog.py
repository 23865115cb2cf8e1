"""Cosmos configuration of the ``catalog`` DAG: the dbt project in ``models/``, rendered from its manifest.

The DAG renders one Airflow task per dbt model (and its tests) from ``models/target/manifest.json``, which
``make setup`` writes (``sarlake dbt manifest``): no dbt command runs while Airflow parses DAGs. dbt runs in
the worker through the venv's ``dbt`` executable with the project's own ``profiles.yml``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

__all__ = ["DOCS_NAME", "MANIFEST", "PROJECT_DIR", "cosmos_kwargs", "docs_projects", "drop_cosmos_params"]

PROJECT_DIR = Path(__file__).resolve().parents[1] / "models"
MANIFEST = PROJECT_DIR / "target" / "manifest.json"
DOCS_NAME = "Lake catalogue (dbt docs)"


def _dbt_executable() -> str:
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def cosmos_kwargs() -> dict[str, Any]:
    """Keyword arguments of ``cosmos.DbtDag`` for the lake catalogue.

    Raises:
        FileNotFoundError: the manifest has not been written (run ``make setup`` or ``sarlake dbt manifest``).
    """
    from cosmos import ExecutionConfig, LoadMode, ProfileConfig, ProjectConfig, RenderConfig, TestBehavior

    if not MANIFEST.is_file():
        raise FileNotFoundError(f"{MANIFEST} is missing: run `make setup` or `sarlake dbt manifest`")
    return {
        "project_config": ProjectConfig(dbt_project_path=PROJECT_DIR, manifest_path=MANIFEST, project_name="sarlake",
                                        models_relative_path="marts"),  # model-paths: staging, marts
        "profile_config": ProfileConfig(profile_name="sarlake", target_name="lake",
                                        profiles_yml_filepath=PROJECT_DIR / "profiles.yml"),
        "execution_config": ExecutionConfig(dbt_executable_path=_dbt_executable()),
        "render_config": RenderConfig(load_method=LoadMode.DBT_MANIFEST, emit_datasets=False,
                                      test_behavior=TestBehavior.AFTER_EACH),
        "operator_args": {"install_deps": False},
    }


def drop_cosmos_params(dag: Any) -> None:
    """Remove the params Cosmos adds to a ``DbtDag`` for itself, so the trigger form shows sarlake's own only.

    Cosmos keeps its telemetry metadata in a DAG param (``__cosmos_telemetry_metadata__``, "Do not edit."),
    which the trigger form showed as a field of compressed text (its dbt tasks carry a copy, shown in their
    details). Cosmos's DAG-run listener reads it with a fallback, so its usage metrics go out without that
    metadata; whether they go out at all is Cosmos's ``[cosmos] enable_telemetry`` setting (or ``DO_NOT_TRACK``).
    """
    for params in (dag.params, *(t.params for t in dag.tasks)):
        for name in [n for n in params if n.startswith("__cosmos")]:
            del params[name]


def docs_projects(target: Path) -> dict[str, dict[str, str]]:
    """The ``[cosmos] dbt_docs_projects`` value that shows the docs in ``target`` under Browse in the UI."""
    return {"sarlake": {"dir": str(target), "index": "index.html", "name": DOCS_NAME}}

"""Cosmos configuration of the ``catalog`` DAG: the dbt project in ``models/``, rendered from its manifest.

The DAG renders one Airflow task per dbt model (and its tests) from ``models/target/manifest.json``, which
``make setup`` writes (``sarlake dbt manifest``): no dbt command runs while Airflow parses DAGs. It runs in
Cosmos's watcher mode: one task (``dbt_producer_watcher``) runs a single ``dbt build`` of the whole project
(the venv's dbt, the project's own ``profiles.yml`` and its threads), so one process writes the catalogue's
DuckDB file, and each model's tasks are sensors that report that model's status and log from the build as it
goes, deferred to the triggerer in between; a failed one fails with dbt's message for its model or tests
(:mod:`sarlake_plugins.catalog_sensors`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sarlake.workflows.dbt import MANIFEST, PROJECT_DIR, dbt_executable

__all__ = ["DOCS_NAME", "MANIFEST", "PROJECT_DIR", "PRODUCER", "cosmos_kwargs", "docs_projects",
           "drop_cosmos_params", "setting", "start_after"]

DOCS_NAME = "Lake catalogue (dbt docs)"
#: the task that runs the one ``dbt build`` (Cosmos's ``PRODUCER_WATCHER_TASK_ID``)
PRODUCER = "dbt_producer_watcher"


def cosmos_kwargs() -> dict[str, Any]:
    """Keyword arguments of ``cosmos.DbtDag`` for the lake catalogue.

    Raises:
        FileNotFoundError: the manifest has not been written (run ``make setup`` or ``sarlake dbt manifest``).
    """
    import cosmos as c

    if not MANIFEST.is_file():
        raise FileNotFoundError(f"{MANIFEST} is missing: run `make setup` or `sarlake dbt manifest`")
    return {
        "project_config": c.ProjectConfig(dbt_project_path=PROJECT_DIR, manifest_path=MANIFEST,
                                          project_name="sarlake",
                                          models_relative_path="marts"),  # model-paths: staging, marts
        "profile_config": c.ProfileConfig(profile_name="sarlake", target_name="lake",
                                          profiles_yml_filepath=PROJECT_DIR / "profiles.yml"),
        "execution_config": c.ExecutionConfig(execution_mode=c.ExecutionMode.WATCHER,
                                              dbt_executable_path=dbt_executable()),
        "render_config": c.RenderConfig(load_method=c.LoadMode.DBT_MANIFEST, emit_datasets=False,
                                        test_behavior=c.TestBehavior.AFTER_EACH),
        # No Airflow retries for the dbt tasks: Cosmos skips a retried producer rather than build again, and a
        # retried model task runs dbt for its one model in a process of its own, several of them side by side
        # on the one DuckDB file ("Could not set lock on file"). A failed run is run again by the next lake
        # change or a trigger; a cleared model task runs dbt for its model alone.
        "operator_args": {"install_deps": False, "retries": 0,
                          # on an S3 lake the whole build is published where readers attach it: this task's pod
                          # and its disk go once it ends (the KubernetesExecutor)
                          "callback": "sarlake_plugins.catalog_publish.publish_after_build",
                          # the lake home and the catalogue file as the settings name them, rendered in the task's
                          # own process: dbt runs in a temporary copy of the project, where a relative (or unset:
                          # var) SARLAKE_HOME named another lake and put the catalogue in that copy, gone with it
                          "env": {"SARLAKE_HOME": "{{ sarlake_setting('home') }}",
                                  "SARLAKE_CATALOGUE_DB": "{{ sarlake_setting('catalogue_db') }}"}},
        "user_defined_macros": {"sarlake_setting": setting},
    }


def setting(name: str) -> str:
    """A setting as the dbt tasks' environment gives it to dbt (``home``, ``catalogue_db``: absolute paths)."""
    from lake.settings import get_settings

    return str(getattr(get_settings(), name))


def start_after(dag: Any, first: Any) -> None:
    """Put ``first`` (the DAG's ``check_conf``) before every dbt task of the watcher-mode ``DbtDag`` ``dag``.

    The producer and the model tasks at the head of the dbt graph (those reading only the lake's sources have
    no parent in the DAG) become children of ``first``; the model tasks start when it succeeds, while the
    producer runs. Cosmos gives a model task it puts under the producer the trigger rule ``always``, so it
    watches the build as it runs; that becomes ``one_success`` under ``first`` too. When ``first`` fails, the
    model tasks end ``upstream_failed`` with the producer instead of waiting for a build that never runs.
    """
    first = getattr(first, "operator", first)  # the task of a TaskFlow call's XComArg
    producer = dag.get_task(PRODUCER)
    heads = [t for t in dag.roots if t is not first]
    heads += [t for t in producer.downstream_list if t.trigger_rule == "always"]
    first >> heads
    for task in heads:
        if task.trigger_rule == "always":
            task.trigger_rule = "one_success"


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

"""The ``catalog`` DAG's producer publishes its build on an S3 lake: the marts' DuckDB file and the dbt docs site.

Under the KubernetesExecutor the producer's pod and its disk go when the task ends, so what analysts read must
reach the lake itself (:mod:`lake.catalogue_store`): the catalogue file, which ``sarlake sql`` and ``connect()``
attach, and the docs site (``dbt docs generate``: index.html, manifest.json, catalog.json), which Cosmos's docs
view shows under Browse in the Airflow UI when ``[cosmos] dbt_docs_projects`` names its folder (the Helm values).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from sarlake_plugins.catalog import PRODUCER, PROJECT_DIR

__all__ = ["generate_docs", "publish_after_build"]

logger = logging.getLogger(__name__)


def publish_after_build(project_dir: str, context: Any = None, **_: Any) -> str | None:
    """Cosmos's callback after each dbt command of the ``catalog`` DAG: publish the producer's whole build.

    Cosmos calls it before it checks dbt's outcome, so it reads the build's ``run_results.json`` itself: a build
    with an error or a failed test is not published (readers keep the last good one, and ``sarlake sql`` says
    how far it is behind the lake). A model task cleared and run again builds its one model, which is not
    published either. On a local lake there is nothing to publish (:func:`lake.catalogue_store.publish`).

    Returns:
        The URI the catalogue was published to, or ``None``.
    """
    from lake.catalogue_store import publish, publish_docs, published_uri
    from lake.settings import get_settings

    ti = (context or {}).get("ti")
    settings = get_settings()
    if ti is None or ti.task_id != PRODUCER or published_uri(settings) is None:
        return None
    results_file = Path(project_dir) / "target" / "run_results.json"
    results = json.loads(results_file.read_text()).get("results", []) if results_file.is_file() else []
    failed = [r.get("unique_id") for r in results if r.get("status") in ("error", "fail", "runtime error")]
    if not results or failed:
        logger.warning("dbt catalogue not published: %s", f"{len(failed)} node(s) failed" if failed else
                       f"no {results_file}")
        return None
    uri = publish(settings)
    site = generate_docs(project_dir)
    if site is not None:
        publish_docs(site, settings)
    return uri


def generate_docs(project_dir: str) -> Path | None:
    """``dbt docs generate`` of the build just made, into a folder of ``project_dir``; ``None`` if dbt fails.

    In this process, where dbt built it (dbt-duckdb keeps the catalogue file open for the process's life, so a
    dbt of its own would find it locked). A failure is a warning: the catalogue itself is already published.
    """
    from dbt.cli.main import dbtRunner

    from sarlake.workflows.dbt import dbt_vars
    from sarlake.workflows.environ import environ

    site = Path(project_dir) / "docs-site"
    with environ(dbt_vars(site)):  # what `sarlake dbt docs` gives its dbt subprocess
        result = dbtRunner().invoke(["docs", "generate", "--project-dir", project_dir,
                                     "--profiles-dir", str(PROJECT_DIR), "--quiet"])
    if not result.success:
        logger.warning("dbt docs generate failed (%s); the docs site is not published", result.exception)
        return None
    return site

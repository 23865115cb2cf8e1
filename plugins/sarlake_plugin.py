"""Registration shell: sarlake's Airflow plugin. The code lives in the ``sarlake_plugins`` package."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from sarlake_plugins.tags_api import app as tags_api


class SarlakePlugin(AirflowPlugin):
    """Registers sarlake with Airflow: the tags REST API (the browse UI and event triggers join here later)."""

    name = "sarlake"
    #: ``sarlake_plugins.tags_api`` at ``/sarlake/api/...``, behind Airflow's auth manager.
    fastapi_apps = [{"app": tags_api, "url_prefix": "/sarlake", "name": "sarlake tags API"}]

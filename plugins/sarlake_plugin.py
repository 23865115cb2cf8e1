"""Registration shell: sarlake's Airflow plugin. The code lives in the ``sarlake_plugins`` package."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from sarlake_plugins.browse.app import app as browse_app
from sarlake_plugins.tags_api import app as tags_api


class SarlakePlugin(AirflowPlugin):
    """Registers sarlake with Airflow: the tags REST API and the browse UI (event triggers join here later)."""

    name = "sarlake"
    #: ``sarlake_plugins.tags_api`` at ``/sarlake/api/...``; the browse UI at ``/sarlake/browse/``;
    #: both behind Airflow's auth manager.
    #: (browse first: its prefix is inside the tags API's, and the first matching mount wins)
    fastapi_apps = [
        {"app": browse_app, "url_prefix": "/sarlake/browse", "name": "sarlake browse"},
        {"app": tags_api, "url_prefix": "/sarlake", "name": "sarlake tags API"},
    ]
    #: the browse UI in the Airflow UI's menu (shown inside the UI, an iframe of the same origin)
    external_views = [
        {"name": "Lake browser", "href": "/sarlake/browse/", "destination": "nav", "url_route": "sarlake-browse",
         "category": "browse", "icon": "/sarlake/browse/static/icon.svg"},
    ]

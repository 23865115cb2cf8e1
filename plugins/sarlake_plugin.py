"""Registration shell: sarlake's Airflow plugin. The code lives in the ``sarlake_plugins`` package."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from sarlake_plugins.lazy_asgi import LazyASGI, in_api_server

#: imported on first request (at once in the API server): every other Airflow process loads this plugin too
browse_app = LazyASGI("sarlake_plugins.browse.app:app", eager=in_api_server())
tags_api = LazyASGI("sarlake_plugins.tags_api:app", eager=in_api_server())


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
    #: the browse UI and the quality gate's Data Docs in the Airflow UI's menu (iframes of the same origin)
    external_views = [
        {"name": "Lake browser", "href": "/sarlake/browse/", "destination": "nav", "url_route": "sarlake-browse",
         "category": "browse", "icon": "/sarlake/browse/static/icon.svg"},
        {"name": "Data Docs (quality gate)", "href": "/sarlake/browse/data-docs/index.html", "destination": "nav",
         "url_route": "sarlake-data-docs", "category": "browse"},
    ]

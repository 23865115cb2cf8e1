"""Registration shell: sarlake's Airflow plugin. The code lives in the ``sarlake_plugins`` package."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin


class SarlakePlugin(AirflowPlugin):
    """Registers sarlake with Airflow (the browse/tagging UI and event triggers join here later)."""

    name = "sarlake"

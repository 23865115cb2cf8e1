"""Airflow-side code of sarlake: the PGE operator factory, Assets and task bodies (imported by dags/ and plugins/)."""

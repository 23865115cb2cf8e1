"""Workflows that combine the lake and the PGEs (ingest -> catalogue, select -> time series -> catalogue, ...).

Each module holds one workflow as plain functions; the CLI and the Airflow task bodies call them.
"""

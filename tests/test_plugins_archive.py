"""Task bodies of the maintenance and archive_roll DAGs take retention from settings; Params only override it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest


def _products(n: int, coherence: float) -> list[dict]:
    return [{"product_id": f"P{i}", "product_type": "L2_IFG", "coherence_mean": coherence,
             "start_time": datetime(2024, 1, 1 + i, tzinfo=UTC)} for i in range(n)]


def test_maintenance_retention_comes_from_settings_and_params_override_it(settings, monkeypatch) -> None:
    from lake.catalog import init_lake, load_table
    from lake.write import upsert
    from sarlake_plugins.archive import maintain_tables

    init_lake(settings)
    for k in range(5):
        upsert("products", _products(3, 0.1 * (k + 1)), settings)
    assert len(load_table("products", settings).snapshots()) == 5
    by_table = {r["table"]: r for r in maintain_tables()}  # defaults: 7 days, nothing is that old
    assert by_table["products"]["expired_snapshots"] == 0
    monkeypatch.setenv("SARLAKE_MAINTENANCE__SNAPSHOT_RETENTION_DAYS", "0")
    monkeypatch.setenv("SARLAKE_MAINTENANCE__RETAIN_LAST", "3")
    by_table = {r["table"]: r for r in maintain_tables()}
    assert (by_table["products"]["expired_snapshots"], by_table["products"]["remaining_snapshots"]) == (2, 3)
    by_table = {r["table"]: r for r in maintain_tables(older_than_days="", retain_last="")}  # emptied fields
    assert by_table["products"]["remaining_snapshots"] == 3  # the settings
    by_table = {r["table"]: r for r in maintain_tables(retain_last=1)}  # the trigger form's value wins
    assert by_table["products"]["remaining_snapshots"] == 1
    assert len(load_table("products", settings).snapshots()) == 1


def test_roll_hot_retention_comes_from_settings_and_the_param_overrides_it(settings, monkeypatch) -> None:
    from airflow.sdk.exceptions import AirflowSkipException

    from lake.catalog import init_lake
    from lake.write import upsert
    from sarlake_plugins.archive import roll_step

    init_lake(settings)
    folder = Path(settings.products_root) / "P0"
    folder.mkdir(parents=True)
    (folder / "P0.met.json").write_text(json.dumps({"id": "P0"}))
    upsert("products", [{**_products(1, 0.5)[0], "version": "1", "uri": str(folder),
                         "met_uri": str(folder / "P0.met.json")}], settings)
    with pytest.raises(AirflowSkipException):  # made just now: younger than 30 days, nothing selected
        roll_step("select")
    monkeypatch.setenv("SARLAKE_DAAC__HOT_RETENTION_DAYS", "0")
    with pytest.raises(AirflowSkipException):  # the Param overrides the setting
        roll_step("select", hot_retention_days=5)
    assert roll_step("select")["moved"] == 1


def test_a_roll_step_that_only_records_failures_is_not_skipped(settings, monkeypatch) -> None:
    """A step is skipped (no Asset event) only when it recorded nothing: failures are rows of archive_transfers
    too (the catalogue's archive mart shows them), so a step whose every transfer failed still announces them."""
    from lake.catalog import init_lake
    from lake.write import upsert
    from sarlake_plugins.archive import roll_step

    init_lake(settings)
    gone = Path(settings.products_root) / "P0"  # catalogued, but its hot files are not there
    upsert("products", [{**_products(1, 0.5)[0], "version": "1", "uri": str(gone),
                         "met_uri": str(gone / "P0.met.json")}], settings)
    monkeypatch.setenv("SARLAKE_DAAC__HOT_RETENTION_DAYS", "0")
    report = roll_step("select")
    assert (report["moved"], report["failed"], report["notes"]) == (0, 1, 0)


def test_report_retention_comes_from_settings_and_the_param_overrides_it(settings, monkeypatch) -> None:
    import os
    import time

    from click.testing import CliRunner

    from lake.catalog import init_lake
    from sarlake.cli import cli
    from sarlake_plugins.archive import expire_reports

    init_lake(settings)
    report = Path(settings.products_root) / "QA_SCORES" / "qa-run-0000"
    report.mkdir(parents=True)
    (report / "qa.jsonl").write_text("{}\n")
    ten_days_ago = time.time() - 10 * 86400
    os.utime(report / "qa.jsonl", (ten_days_ago, ten_days_ago))
    assert expire_reports()["removed"] == ()  # the setting's 30 days
    monkeypatch.setenv("SARLAKE_MAINTENANCE__SCORE_REPORT_RETENTION_DAYS", "5")
    assert expire_reports(older_than_days=20)["removed"] == ()  # the Param wins
    out = CliRunner().invoke(cli, ["maintain", "--table", "products"])  # one table: reports are left alone
    assert out.exit_code == 0, out.output
    assert report.is_dir() and "QA_SCORES" not in out.output
    out = CliRunner().invoke(cli, ["maintain"])  # the setting's 5 days
    assert out.exit_code == 0, out.output
    assert "QA_SCORES" in out.output and "deleted    1 reports older than 5 days (1 files)" in out.output
    assert not report.exists()


def test_data_docs_retention_comes_from_settings_and_the_param_overrides_it(settings, monkeypatch) -> None:
    """The quality gate's validation results piled up for good. Truth: one validation made ten days old here."""
    from datetime import UTC, datetime, timedelta

    import pandas as pd
    from click.testing import CliRunner

    from lake.catalog import init_lake
    from sarlake.cli import cli
    from sarlake.workflows.quality import run_suite
    from sarlake_plugins.archive import expire_data_docs

    init_lake(settings)
    run_suite("qa_predictions", pd.DataFrame({"product_id": ["a"], "p_error": [0.1]}), settings, run_name="old")
    gx = settings.home / "gx" / "uncommitted"
    aged = (datetime.now(UTC) - timedelta(days=10)).strftime("%Y%m%dT%H%M%S.%fZ")
    for folder in (gx / "validations" / "qa_predictions" / "old",
                   gx / "data_docs" / "local_site" / "validations" / "qa_predictions" / "old"):
        (run_time,) = list(folder.iterdir())
        run_time.rename(folder / aged)
    assert expire_data_docs()["removed"] == 0  # the setting's 90 days
    monkeypatch.setenv("SARLAKE_MAINTENANCE__DATA_DOCS_RETENTION_DAYS", "5")
    assert expire_data_docs(older_than_days=20)["removed"] == 0  # the Param wins
    out = CliRunner().invoke(cli, ["maintain", "--table", "products"])  # one table: the Data Docs are left alone
    assert out.exit_code == 0, out.output
    assert "data docs" not in out.output
    out = CliRunner().invoke(cli, ["maintain"])  # the setting's 5 days
    assert out.exit_code == 0, out.output
    assert "data docs      deleted    1 validations older than 5 days, kept    0" in out.output
    assert not list((gx / "validations").rglob("*.json"))

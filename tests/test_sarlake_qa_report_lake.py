"""`sarlake qa report`'s lake part: precision, recall and F1 per model version against the tag consensus."""

from __future__ import annotations

from datetime import UTC, datetime


def test_undefined_precision_and_recall_are_shown_as_such_not_as_zero(settings):
    """With no product tagged UWE >= 2 and none predicted so, precision and recall are 0/0: the report printed
    0.000, which reads as a model that is always wrong."""
    from click.testing import CliRunner

    from lake.catalog import init_lake
    from lake.consensus import refresh_consensus
    from lake.tags import Tag, add_tags
    from lake.write import upsert
    from sarlake.cli import cli
    from sarlake.workflows.qa import quality_report

    init_lake(settings)
    ids = ["P1", "P2", "P3", "P4"]
    upsert("products", [{"product_id": p, "product_type": "L2_IFG", "start_time": "2024-01-01T00:00:00Z"}
                        for p in ids], settings)
    tags = {"P1": "UWE_0", "P2": "UWE_1", "P3": "UWE_2", "P4": "UWE_3"}
    add_tags([Tag.of(p, t, "ann") for p, t in tags.items()], settings)
    refresh_consensus(settings)
    when = datetime(2024, 6, 1, tzinfo=UTC)
    # version 1 calls nothing UWE >= 2 on the two clean products it scored; version 2 finds one of two errors
    upsert("qa_predictions", [
        {"product_id": "P1", "model_name": "m", "model_version": "1", "p_error": 0.1, "uwe_class": 0,
         "degraded": False, "predicted_at": when},
        {"product_id": "P2", "model_name": "m", "model_version": "1", "p_error": 0.2, "uwe_class": 1,
         "degraded": False, "predicted_at": when},
        {"product_id": "P3", "model_name": "m", "model_version": "2", "p_error": 0.9, "uwe_class": 2,
         "degraded": False, "predicted_at": when},
        {"product_id": "P4", "model_name": "m", "model_version": "2", "p_error": 0.3, "uwe_class": 1,
         "degraded": False, "predicted_at": when},
    ], settings)
    models = {m["model_version"]: m for m in quality_report()["models"]}
    assert (models["1"]["precision"], models["1"]["recall"], models["1"]["f1"]) == (None, None, None)
    assert (models["2"]["precision"], models["2"]["recall"], models["2"]["f1"]) == (1.0, 0.5, 0.6667)
    out = CliRunner().invoke(cli, ["qa", "report"])
    assert "| 1 | 2 | - | - | - |" in out.output and "| 2 | 2 | 1.000 | 0.500 | 0.667 |" in out.output


def test_a_registry_out_of_reach_fails_the_report_to_retry_it_instead_of_showing_no_versions(settings, monkeypatch):
    """`qa report` read an MLflow server that did not answer as "no version registered" and exited 0."""
    from click.testing import CliRunner
    from ports import free_port

    from lake.catalog import init_lake
    from sarlake.cli import cli

    init_lake(settings)
    port = free_port()  # nothing listens there
    monkeypatch.setenv("SARLAKE_MLFLOW_TRACKING_URI", f"http://ops:hunter2@127.0.0.1:{port}")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    result = CliRunner().invoke(cli, ["qa", "report", "--json"])
    assert result.exit_code == 1, result.output
    assert f"error: cannot reach the MLflow registry at http://ops:***@127.0.0.1:{port} " in result.output
    assert "hunter2" not in result.output

"""Task bodies of the ``qa``, ``qa_train`` and ``reprocess`` DAGs. They call ``sarlake.workflows``.

Everything here returns small JSON records (ids, versions, metrics), never rasters: XCom carries URIs.
A missing champion fails the QA task at once (no retries) with a message naming the model and the alias.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

log = logging.getLogger(__name__)


def _run_id(context: dict[str, Any]) -> str:
    return str(context.get("run_id") or "manual")


def plan_scoring(context: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``qa`` PGE's run-configs for every L2 interferogram the champion has not scored yet.

    Raises:
        AirflowSkipException: nothing new (the PGE and record tasks are skipped, no Asset event).
        AirflowFailException: no champion (the message names the model and alias and says how to train one), or
            a registry a PGE pod cannot reach; a retry would fail the same way.
    """
    from pges.errors import InputValidationError
    from sarlake.workflows.qa_batches import scoring_run_configs

    try:
        configs = scoring_run_configs(_run_id(context))
    except InputValidationError as exc:  # ModelMissingError is one too
        raise AirflowFailException(str(exc)) from exc
    if not configs:
        raise AirflowSkipException("no new interferogram to score")
    log.info("%d products to score in %d qa PGE tasks", sum(len(c["inputs"]) for c in configs), len(configs))
    return configs


def record_scores(results: list[dict[str, Any]], context: dict[str, Any]) -> dict[str, Any]:
    """Catalogue the ``qa`` PGE tasks' scores; then fail (no retries) naming the products that could not be read.

    Returns:
        A summary for the XCom (not a row per product: a backlog may be thousands): how many were scored, by
        which version, per predicted class, and the reports.
    """
    from sarlake.workflows.qa import first_few
    from sarlake.workflows.qa_batches import record_reports

    reports = [p["met_uri"] for r in results for p in r["products"]]
    records, failed = record_reports(reports, _run_id(context))
    log.info("recorded %d scores", len(records))
    if failed:
        raise AirflowFailException(f"{len(failed)} products not scored (the other {len(records)} were recorded): "
                                   + first_few(failed))
    return {"scored": len(records), "models": sorted({f"{r['model_name']} v{r['model_version']}" for r in records}),
            "uwe_classes": {f"UWE_{k}": sum(r["uwe_class"] == k for r in records) for k in range(4)},
            "mean_p_error": round(sum(r["p_error"] for r in records) / len(records), 4) if records else None,
            "reports": reports}


def plan_training_set(params: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """The ``qa_dataset`` run-config of the trigger's labelled set (the ``qa_train`` DAG's first task).

    Raises:
        AirflowFailException: before any simulation, what the ``train`` pod could not reach (Kubernetes runner).
    """
    from pges.errors import InputValidationError
    from sarlake.workflows.qa_train import check_pods_reach, dataset_run_config

    try:
        check_pods_reach(params.get("real_check") or None)
    except InputValidationError as exc:
        raise AirflowFailException(str(exc)) from exc
    return dataset_run_config(params["scenes"], first_scene=params["first_scene"], run_id=_run_id(context),
                              workers=params["workers"])


def label_training_set(result: dict[str, Any], params: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """Tag the simulated set, record its consensus labels and return the ``train`` PGE's run-config.

    The labels and the data version go to the XCom ``dataset``. What the ``train`` pod could not reach was
    refused by :func:`plan_training_set`, before the set was simulated.
    """
    from sarlake.workflows.qa_train import label_training_set as label
    from sarlake.workflows.qa_train import train_options, train_run_config

    dataset = label(result["products"][0]["met_uri"], first_scene=params["first_scene"])
    context["ti"].xcom_push(key="dataset", value=dataset)
    # the trigger form typed every param; an empty one takes the setting or the train PGE's default
    return train_run_config(dataset, run_id=_run_id(context), real_check=params.get("real_check") or None,
                            max_real_false_alarms=params.get("max_real_false_alarms"), **train_options(params))


def training_summary(result: dict[str, Any]) -> dict[str, Any]:
    """What the ``train`` PGE registered and promoted (read from its ``training.json``)."""
    from sarlake.workflows.qa_train import training_record

    record = training_record(result["products"][0]["met_uri"])
    return {"promotion": record["promotion"], "data_version": record["data_version"],
            "candidates": [{"name": c["name"], "version": c["version"], "f1_uwe2": c["metrics"]["test_f1_uwe2"],
                            "real_cuts_f1_uwe2": c["metrics"].get("real_cuts_f1_uwe2"),
                            "second_sim_f1_uwe2": c["metrics"].get("second_sim_f1_uwe2"),
                            "fresh_f1_uwe2": c["metrics"].get("fresh_f1_uwe2")}
                           for c in record["candidates"]], "record": record["folder"]}


def plan_reprocess(params: dict[str, Any], context: dict[str, Any]) -> list[dict[str, Any]]:
    """The plans of the products to reprocess: what was chosen and why, the PGE that re-makes it, its run-config.

    Raises:
        AirflowSkipException: nothing to reprocess (the PGE and record tasks are skipped too).
        AirflowFailException: an unknown PGE version, a prior version asked of the local runner, or a requested
            product that cannot be reprocessed.
    """
    from sarlake.workflows.reprocess_plan import plan_reprocessing

    try:  # the trigger form typed every param; an empty threshold is the SARLAKE_QA_MAX_P_ERROR setting
        plans = plan_reprocessing(max_p_error=params["max_p_error"], limit=params["limit"], run_id=_run_id(context),
                                  product_ids=params["product_ids"] or None, pge_version=params["pge_version"],
                                  max_attempts=params.get("max_attempts"))
    except ValueError as exc:
        raise AirflowFailException(str(exc)) from None
    if not plans:
        raise AirflowSkipException("no product above the p(error) threshold left to reprocess")
    return plans


def run_configs_of(plans: list[dict[str, Any]], pge: str) -> list[dict[str, Any]]:
    """The run-configs of the plans ``pge`` re-makes (empty: its mapped PGE task is skipped)."""
    return [p["run_config"] for p in plans if p["pge"] == pge]


def catalogue_reprocess(results: dict[str, list[dict[str, Any]] | None], plans: list[dict[str, Any]],
                        context: dict[str, Any]) -> list[dict[str, Any]]:
    """Catalogue the products made again; return the ``qa`` PGE's run-configs that score them.

    ``results`` are each remaking PGE task's results (None or empty: it had nothing to run). The new products go
    to the XCom ``new_ids`` (one per plan, in order). Originals without a score are scored with them, to compare.

    Raises:
        AirflowFailException: no champion to score them (they stay catalogued; the ``qa`` DAG scores them once
            there is one), or a registry a PGE pod cannot reach.
    """
    from lake.settings import get_settings
    from pges.errors import InputValidationError
    from sarlake.workflows.qa_batches import scoring_run_configs
    from sarlake.workflows.reprocess import catalogue_reprocessed, in_plan_order, to_score

    run_context = {"run_id": _run_id(context), "dag_id": "reprocess", "runner": get_settings().runner}
    ordered = in_plan_order(plans, {pge: list(runs or []) for pge, runs in results.items()})
    new_ids = catalogue_reprocessed(plans, ordered, run_context)
    context["ti"].xcom_push(key="new_ids", value=new_ids)
    try:
        return scoring_run_configs(_run_id(context), product_ids=to_score(plans, new_ids))
    except InputValidationError as exc:  # ModelMissingError is one too
        raise AirflowFailException(str(exc)) from exc


def record_reprocess(results: list[dict[str, Any]], plans: list[dict[str, Any]], new_ids: list[str],
                     context: dict[str, Any]) -> list[dict[str, Any]]:
    """Record the new versions' scores, then every version of each original in ``product_lineage``.

    A new product that could not be read is named after the others are recorded (the task fails, no retries).
    """
    from sarlake.workflows.qa import first_few
    from sarlake.workflows.qa_batches import record_reports
    from sarlake.workflows.reprocess import record_lineage

    records, failed = record_reports([p["met_uri"] for r in results for p in r["products"]], _run_id(context))
    done = record_lineage(list(plans), list(new_ids), {r["product_id"]: r["p_error"] for r in records},
                          _run_id(context))
    if failed:
        raise AirflowFailException(f"{len(failed)} reprocessed products not scored, so not in product_lineage: "
                                   + first_few(failed))
    return done

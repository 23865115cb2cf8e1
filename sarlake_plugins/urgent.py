"""Task bodies of the ``urgent_response`` DAG (the workflow is sarlake.workflows.urgent).

The urgent path has as few tasks as keep a failure legible, because every task costs a task start-up
(and, on a real executor, a new process that imports the lake's libraries again):

* :func:`evaluate_and_plan` records the feed's events and plans each triggering one (its AOI, the pre- and
  post-event scenes per track, their staging run-configs) in one task; its log says which step it is in.
* :func:`catalogue_and_qa` catalogues the coseismic products, marks their events ``done`` and scores them
  with the QA champion in the same process. With no champion the task still **succeeds**: the product is
  catalogued and delivered, an earthquake response must not be reported as failed for want of a QA model,
  and the log says which model and alias are missing and how to train one. The next urgent run (or the
  ``qa`` DAG) scores the products left unscored once a champion exists.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

log = logging.getLogger(__name__)


def _run_id(context: dict[str, Any]) -> str:
    return str(context.get("run_id") or "")


def evaluate_and_plan(feed_url: str, context: dict[str, Any]) -> list[dict[str, Any]]:
    """Step *evaluate* (feed -> ``events``), then step *plan* (AOI, pre/post scenes per track) per trigger.

    The plans go to the XCom ``plans`` (read by ``plan_pairs`` and ``catalogue_and_qa``).

    Returns:
        Every plan's staging run-configs in one list, for the mapped ``stage`` task (Airflow maps only over a
        task's return value).

    Raises:
        AirflowFailException: the feed cannot be read or parsed (nothing written; not retried).
    """
    from lake.settings import get_settings
    from sarlake.events import FeedError
    from sarlake.workflows.urgent import evaluate_feed, plan_coseismic

    settings = get_settings()
    feed = feed_url or settings.urgent.feed_url
    try:
        work = evaluate_feed(feed, run_id=_run_id(context), settings=settings)["work"]
    except FeedError as exc:
        raise AirflowFailException(f"step evaluate: {exc}") from None
    log.info("step evaluate done: %d event(s) to process", len(work))
    plans = [plan_coseismic(item, run_id=_run_id(context), settings=settings) for item in work]
    configs = [c for p in plans for c in p["stage_run_configs"]]
    log.info("step plan done: %d scene(s) to stage, %d pair(s)", len(configs), sum(len(p["pairs"]) for p in plans))
    context["ti"].xcom_push(key="plans", value=plans)
    return configs


def catalogue_and_qa(results: list[dict[str, Any]] | None, plans: list[dict[str, Any]],
                     context: dict[str, Any]) -> dict[str, Any]:
    """Step *catalogue* (products, provenance, events ``done``), then step *qa* (the champion's p(error)).

    Returns:
        ``{"products": [id, ...], "qa": [{product_id, p_error, uwe_class, model_name, model_version}], "qa_note"}``.
    """
    from lake.settings import get_settings
    from pges.qa.score import ModelMissingError
    from sarlake.workflows.urgent import finish, score_coseismic

    settings = get_settings()
    run_context = {"run_id": _run_id(context), "dag_id": "urgent_response", "task_id": "interferogram",
                   "runner": settings.runner}
    from sarlake_plugins.assets import asset, asset_alias

    ids = finish(list(results or []), plans, run_context=run_context, settings=settings)
    log.info("step catalogue done: %d product(s)", len(ids))
    if ids:  # only new products wake the DAGs scheduled on products (qa, quality_gate, timeseries)
        for table in ("products", "provenance"):
            context["outlet_events"][asset_alias(table)].add(asset(table))
    note = ""
    try:
        records = score_coseismic(ids, run_id=_run_id(context))
    except ModelMissingError as exc:
        records, note = [], f"QA not scored, the coseismic products are delivered unscored: {exc}"
        log.warning("step qa: %s", note)
    else:
        note = "" if records else "no coseismic product to QA-score in this run"
        log.info("step qa done: %d product(s) scored", len(records))
    if records:  # only real scores wake the DAGs scheduled on qa_predictions (reprocess)
        context["outlet_events"][asset_alias("qa_predictions")].add(asset("qa_predictions"))
    return {"products": ids, "qa_note": note,
            "qa": [{k: r[k] for k in ("product_id", "p_error", "uwe_class", "model_name", "model_version")}
                   for r in records]}

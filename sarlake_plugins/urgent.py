"""Task bodies of the ``urgent_response`` DAG that need Airflow's exceptions (the workflow is sarlake.workflows.urgent).

QA of the coseismic products: scored with the champion right after they are catalogued. With no champion
in the registry the task is **skipped**, not failed: the product is already catalogued and delivered, an
earthquake response must not be reported as failed for want of a QA model, and the skip message says which
model and alias are missing and how to train one. The next urgent run (or the ``qa`` DAG) scores the
products left unscored once a champion exists.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk.exceptions import AirflowSkipException

log = logging.getLogger(__name__)


def qa_score(product_ids: list[str] | None, context: dict[str, Any]) -> list[dict[str, Any]]:
    """Score this run's coseismic products (and earlier unscored ones) with the QA champion.

    Raises:
        AirflowSkipException: nothing to score, or no champion (the message names the model and how to train).
    """
    from pges.qa.score import ModelMissingError
    from sarlake.workflows.urgent import score_coseismic

    try:
        records = score_coseismic(list(product_ids or []), run_id=str(context.get("run_id") or ""))
    except ModelMissingError as exc:
        raise AirflowSkipException(f"QA not scored, the coseismic products are delivered unscored: {exc}") from None
    if not records:
        raise AirflowSkipException("no coseismic product to QA-score in this run")
    return [{k: r[k] for k in ("product_id", "p_error", "uwe_class", "model_name", "model_version")}
            for r in records]

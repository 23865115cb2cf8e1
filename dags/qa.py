"""### QA: p(error|I) of every new interferogram

Scheduled on the `products` Asset (data-aware: it runs when the forward, ingest or reprocess DAGs catalogue
products, never on a clock). For every L2 interferogram the champion has not scored yet it:

1. computes the QA features from the product alone (`qa_features`);
2. loads `models:/sarlake-qa-uwe@champion` from the MLflow registry and writes p(error|I), the predicted UWE
   class and the model name and version to `qa_predictions`, and `p_error` to `products`.

Products above `SARLAKE_QA_MAX_P_ERROR` are left out of time series and picked up by the `reprocess` DAG
(scheduled on `qa_predictions`). With no champion the task fails at once (no retries) and says how to train
one: trigger the `qa_train` DAG. When nothing is new the task is skipped and emits no Asset event.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, task

from sarlake_plugins.assets import asset
from sarlake_plugins.callbacks import record_failed_run
from sarlake_plugins.conf import check_conf


@dag(
    dag_id="qa",
    schedule=[asset("products")],
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["sarlake", "qa", "ml"],
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1), "execution_timeout": timedelta(minutes=30)},
    doc_md=__doc__,
    on_failure_callback=record_failed_run,
)
def qa() -> None:
    """Score new interferograms with the champion QA model."""

    @task(outlets=[asset("qa_predictions")])
    def score(**context: Any) -> list[dict[str, Any]]:
        """Features + p(error|I) of every unscored L2 interferogram (qa_features, qa_predictions, products)."""
        from sarlake_plugins.qa import score_new

        return score_new(context)

    check_conf() >> score()


qa()

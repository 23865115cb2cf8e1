"""### QA: p(error|I) of every new interferogram

Scheduled on the `products` Asset (data-aware: it runs when the forward, ingest or reprocess DAGs catalogue
products, never on a clock). For every L2 interferogram the champion has not scored yet:

1. **plan** pins the version behind `models:/sarlake-qa-uwe@champion` and splits the new products into batches
   (500 a task; at most 200 tasks);
2. **score** runs the `qa` PGE on each batch (a local subprocess, or a pod with `SARLAKE_RUNNER=kubernetes`): the
   QA features from the product alone, and p(error|I) and the UWE class from that version; a `QA_SCORES` report
   per batch goes to the products root;
3. **record** writes them to `qa_features` and `qa_predictions`, and `p_error` to `products`.

Products above `SARLAKE_QA_MAX_P_ERROR` are left out of time series and picked up by the `reprocess` DAG
(scheduled on `qa_predictions`). With no champion the run fails at once (no retries) and says how to train one:
trigger the `qa_train` DAG. A product whose files cannot be read is named by `record`, which fails without
retries once the others are recorded. When nothing is new the run is skipped and emits no Asset event.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, task

from sarlake_plugins.assets import asset
from sarlake_plugins.callbacks import record_failed_run
from sarlake_plugins.conf import check_conf
from sarlake_plugins.pge import mapped_pge_operator


@dag(
    dag_id="qa",
    description="When products are catalogued: score every new interferogram's p(error) with the QA champion model.",
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

    @task(show_return_value_in_logs=False)
    def plan(**context: Any) -> list[dict[str, Any]]:
        """The qa PGE's run-configs: every unscored L2 interferogram, in batches, with the champion's version."""
        from sarlake_plugins.qa import plan_scoring

        return plan_scoring(context)

    @task(outlets=[asset("qa_predictions")], multiple_outputs=False)  # one summary XCom, not one per key
    def record(results: list[dict[str, Any]], **context: Any) -> dict[str, Any]:
        """The scores into qa_features, qa_predictions and products.p_error; a summary (count, classes, version)."""
        from sarlake_plugins.qa import record_scores

        return record_scores(list(results), context)

    configs = plan()
    score = mapped_pge_operator("qa", task_id="score", run_configs=configs)
    check_conf() >> configs
    record(score.output)


qa()

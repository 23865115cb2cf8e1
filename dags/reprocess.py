"""### Reprocess interferograms QA judged bad

Scheduled on the `qa_predictions` Asset. Every L2 interferogram whose p(error|I) is above the threshold
(`max_p_error`, default `SARLAKE_QA_MAX_P_ERROR`) and that has not been reprocessed yet is made again from
the same two SLCs with other parameters (the other unwrapper, a stronger Goldstein filter), catalogued,
re-scored with the champion, and both versions are kept in `product_lineage` with their scores and
parameters; the better-scored one is the default (`product_quality.is_default`).

1. **check_conf** refuses unknown trigger keys and out-of-range values;
2. **plan** picks the products and makes their run-configs with the requested `pge_version` (skipped when
   there is nothing to reprocess);
3. **interferogram** runs the PGE once per product, like every other DAG's PGE tasks: a local subprocess, or
   with `SARLAKE_RUNNER=kubernetes` a pod of that version's registered image; the product's provenance
   records the version that ran (a prior version needs the Kubernetes runner);
4. **catalogue** catalogues the new products;
5. **score** runs the `qa` PGE on them with the champion's version (a subprocess, or a pod), as the `qa` DAG does;
6. **record** writes their scores and `product_lineage`; a new product that could not be read is named, and the
   task fails without retries once the others are recorded.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from sarlake_plugins.assets import asset
from sarlake_plugins.callbacks import record_failed_run
from sarlake_plugins.conf import check_conf
from sarlake_plugins.params import OPTIONAL_LIST, PGE_VERSION_PATTERN, PRODUCT_ID_PATTERN
from sarlake_plugins.pge import mapped_pge_operator


@dag(
    dag_id="reprocess",
    description="When QA scores arrive, or on request: re-unwrap interferograms above the p(error) threshold.",
    schedule=[asset("qa_predictions")],
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["sarlake", "qa", "reprocess"],
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2), "execution_timeout": timedelta(hours=3)},
    doc_md=__doc__,
    on_failure_callback=record_failed_run,
    params={
        "max_p_error": Param(None, type=["null", "number"], minimum=0, maximum=1, title="p(error) threshold",
                             description="Reprocess products above this; empty = SARLAKE_QA_MAX_P_ERROR."),
        "limit": Param(20, type="integer", minimum=1, maximum=500, title="Products per run",
                       description="At most this many products are reprocessed in one run."),
        "product_ids": Param([], type=OPTIONAL_LIST, items={"type": "string", "pattern": PRODUCT_ID_PATTERN},
                             title="Products", description="Reprocess exactly these (e.g. asked for from the "
                             "browse UI), whatever their p(error); empty = those above the threshold."),
        "pge_version": Param("latest", type="string", pattern=PGE_VERSION_PATTERN, title="PGE version",
                             description="Interferogram PGE version that re-unwraps: latest, or a registered "
                             "MAJOR.MINOR.PATCH (a prior one runs from its image: SARLAKE_RUNNER=kubernetes)."),
    },
)
def reprocess() -> None:
    """Re-unwrap bad interferograms with other parameters, re-score, keep both versions."""

    @task(show_return_value_in_logs=False)
    def plan(params: dict[str, Any] | None = None, **context: Any) -> list[dict[str, Any]]:
        """The products to reprocess and their interferogram run-configs (XCom ``plans``: what was chosen, why)."""
        from sarlake_plugins.qa import plan_reprocess

        return plan_reprocess(dict(params or {}), context)

    @task(show_return_value_in_logs=False)
    def catalogue(results: list[dict[str, Any]], plans: list[dict[str, Any]], **context: Any) -> list[dict[str, Any]]:
        """Catalogue the new versions; the qa PGE's run-configs that score them (XCom ``new_ids``)."""
        from sarlake_plugins.qa import catalogue_reprocess

        return catalogue_reprocess(list(results), plans, context)

    # not the qa_predictions Asset, though it scores: this DAG is scheduled on it and would trigger itself
    @task(outlets=[asset("products"), asset("product_lineage")])
    def record(results: list[dict[str, Any]], plans: list[dict[str, Any]], new_ids: list[str],
               **context: Any) -> list[dict[str, Any]]:
        """The new versions' scores; both versions and the default in product_lineage."""
        from sarlake_plugins.qa import record_reprocess

        return record_reprocess(list(results), plans, new_ids, context)

    # mypy ignores below: XComArg[key] (the task's XCom of that key) works, but Airflow's stubs do not type it
    configs = plan()
    check_conf() >> configs
    runs = mapped_pge_operator("interferogram", task_id="interferogram", run_configs=configs)
    scoring = catalogue(runs.output, configs["plans"])  # type: ignore[index]
    scores = mapped_pge_operator("qa", task_id="score", run_configs=scoring)
    record(scores.output, configs["plans"], scoring["new_ids"])  # type: ignore[index]


reprocess()

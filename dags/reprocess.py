"""### Reprocess interferograms QA judged bad

Scheduled on the `qa_predictions` Asset. Every L2 interferogram whose p(error|I) is above the threshold
(`max_p_error`, default `SARLAKE_QA_MAX_P_ERROR`) is made again by the PGE that made it, with other parameters (the
other unwrapper, or SNAPHU in one tile after tiled SNAPHU; a stronger Goldstein filter), catalogued, re-scored with
the champion, and every version is kept in `product_lineage` with its score and parameters; the best-scored one is
the default (`product_quality.is_default`). While the default stays above the threshold the product is taken
again, from its last version, up to `max_attempts` times (default `SARLAKE_QA_REPROCESS_ATTEMPTS`, 2) and never
with parameters it was already made with.

1. **check_conf** refuses unknown trigger keys and out-of-range values;
2. **plan** picks the products and makes their run-configs with the requested `pge_version` (skipped when
   there is nothing to reprocess; a requested product ingested from another processor's unwrapped files fails it
   once: there is nothing to make it again from);
3. **interferogram** runs the interferogram PGE once per product it made, from the same two SLCs, and **unwrap**
   the unwrap PGE once per product it made from another processor's wrapped interferogram (that file, that pair):
   a local subprocess, or with `SARLAKE_RUNNER=kubernetes` a pod of that version's registered image; the product's
   provenance records the version that ran (a prior version needs the Kubernetes runner). A task with nothing
   to run is skipped;
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
    description="When QA scores arrive, or on request: re-make interferograms above the p(error) threshold.",
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
        "max_attempts": Param(None, type=["null", "integer"], minimum=1, maximum=6, title="Attempts per product",
                              description="Make one product again at most this many times in all, while its best "
                              "version stays above the threshold; empty = SARLAKE_QA_REPROCESS_ATTEMPTS (2)."),
        "product_ids": Param([], type=OPTIONAL_LIST, items={"type": "string", "pattern": PRODUCT_ID_PATTERN},
                             title="Products", description="Reprocess exactly these (e.g. asked for from the "
                             "browse UI), whatever their p(error); empty = those above the threshold."),
        "pge_version": Param("latest", type="string", pattern=PGE_VERSION_PATTERN, title="PGE version",
                             description="Version of the PGE that re-makes each product (the interferogram or the "
                             "unwrap PGE, whichever made it): latest, or a registered MAJOR.MINOR.PATCH (a prior one "
                             "runs from its image: SARLAKE_RUNNER=kubernetes)."),
    },
)
def reprocess() -> None:
    """Re-make bad interferograms with other parameters, re-score, keep every version."""

    @task(show_return_value_in_logs=False)
    def plan(params: dict[str, Any] | None = None, **context: Any) -> list[dict[str, Any]]:
        """The products to reprocess: what was chosen and why, the PGE that re-makes each, its run-config."""
        from sarlake_plugins.qa import plan_reprocess

        return plan_reprocess(dict(params or {}), context)

    @task(show_return_value_in_logs=False)
    def runs_of(plans: list[dict[str, Any]], pge: str) -> list[dict[str, Any]]:
        """The run-configs of the products this PGE made (none: its PGE task is skipped)."""
        from sarlake_plugins.qa import run_configs_of

        return run_configs_of(plans, pge)

    # runs when either PGE task ran (the other, with nothing to run, is skipped); skipped when plan is
    @task(show_return_value_in_logs=False, trigger_rule="none_failed_min_one_success")
    def catalogue(interferograms: list[dict[str, Any]] | None, unwrapped: list[dict[str, Any]] | None,
                  plans: list[dict[str, Any]], **context: Any) -> list[dict[str, Any]]:
        """Catalogue the new versions; the qa PGE's run-configs that score them (XCom ``new_ids``)."""
        from sarlake_plugins.qa import catalogue_reprocess

        return catalogue_reprocess({"interferogram": interferograms, "unwrap": unwrapped}, plans, context)

    # not the qa_predictions Asset, though it scores: this DAG is scheduled on it and would trigger itself
    @task(outlets=[asset("products"), asset("product_lineage")])
    def record(results: list[dict[str, Any]], plans: list[dict[str, Any]], new_ids: list[str],
               **context: Any) -> list[dict[str, Any]]:
        """The new versions' scores; every version and the default in product_lineage."""
        from sarlake_plugins.qa import record_reprocess

        return record_reprocess(list(results), plans, new_ids, context)

    # mypy ignores below: a @task takes XComArgs, and XComArg[key] works, but Airflow's stubs type neither
    plans = plan()
    check_conf() >> plans
    ifg_runs = runs_of.override(task_id="interferogram_runs")(plans, "interferogram")  # type: ignore[arg-type]
    unwrap_runs = runs_of.override(task_id="unwrap_runs")(plans, "unwrap")  # type: ignore[arg-type]
    remade = mapped_pge_operator("interferogram", task_id="interferogram", run_configs=ifg_runs)
    unwrapped = mapped_pge_operator("unwrap", task_id="unwrap", run_configs=unwrap_runs)
    scoring = catalogue(remade.output, unwrapped.output, plans)  # type: ignore[arg-type]
    scores = mapped_pge_operator("qa", task_id="score", run_configs=scoring)
    record(scores.output, plans, scoring["new_ids"])  # type: ignore[arg-type, index]


reprocess()

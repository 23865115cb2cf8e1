"""### Bulk reprocessing: a date range across AOIs and tracks, with a chosen PGE version

Trigger from the UI form or the REST API. For every AOI (`aois`, empty = every active AOI) and track
(`tracks`, empty = each AOI's own), acquisitions between `start_date` and `end_date` are staged and paired
(nearest `neighbours`), and the interferogram PGE runs once per pair by dynamic task mapping.

* **Idempotent and resumable**: pairs that already have a product of the requested `pge_version` (or newer)
  are skipped, so a second run does nothing and a run after a crash halfway does only the rest; the
  catalogue step runs even when some interferograms failed, so finished work is kept.
* **Never starves other work**: bulk PGE tasks run in the `bulk` pool (2 slots by default, fewer than the
  executor's parallelism) at priority weight 1; forward, on-demand (100) and urgent (1000) tasks run in the
  default pool and are picked first when slots free up.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from sarlake_plugins.assets import asset
from sarlake_plugins.callbacks import record_failed_run
from sarlake_plugins.conf import check_conf
from sarlake_plugins.forward import stage_pge
from sarlake_plugins.outcome import fail_if_any_failed
from sarlake_plugins.params import AOI_NAME, AOI_NAME_PATTERN, AOI_NAME_RULE, OPTIONAL_LIST, PGE_VERSION_PATTERN
from sarlake_plugins.pge import TaskPriority, mapped_pge_operator

#: Bulk PGE work: its own pool, the lowest priority.
BULK: TaskPriority = {"pool": "bulk", "priority_weight": 1, "weight_rule": "absolute"}


@dag(
    dag_id="bulk",
    description="On request: reprocess a date range of AOIs and tracks with a chosen PGE version (lowest priority).",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["sarlake", "bulk", "interferogram"],
    default_args={"retries": 2, "execution_timeout": timedelta(minutes=15), "retry_delay": timedelta(minutes=5)},
    doc_md=__doc__,
    on_failure_callback=record_failed_run,
    params={
        "aois": Param([], type=OPTIONAL_LIST,
                      items={"description": AOI_NAME, "type": "string", "pattern": AOI_NAME_PATTERN},
                      title="AOIs",
                      description=f"AOI names, one a line ({AOI_NAME_RULE}); empty means every active AOI."),
        "tracks": Param([], type=OPTIONAL_LIST, items={"type": "integer", "minimum": 1, "maximum": 175},
                        title="Tracks", description="Tracks (1-175) as a JSON list, e.g. [44, 117]; empty means "
                        "each AOI's own."),
        "start_date": Param("2024-01-01", type="string", format="date", title="Start date",
                            description="First acquisition date (UTC)."),
        "end_date": Param("2024-03-01", type="string", format="date", title="End date",
                          description="Last acquisition date (UTC); after the start date."),
        "neighbours": Param(2, type="integer", minimum=1, maximum=10, title="Pairs per acquisition",
                            description="Nearest-n sequential pairs (an AOI's own setting wins)."),
        "pge_version": Param("latest", type="string", pattern=PGE_VERSION_PATTERN, title="PGE version",
                             description="Interferogram PGE version; pairs with a product of it are skipped."),
        "unwrapper": Param("snaphu", type="string", enum=["snaphu", "quality"], title="Unwrapper",
                           description="Phase unwrapper."),
        "looks": Param(4, type="integer", minimum=1, maximum=32, title="Multilook factor",
                       description="Looks in range and azimuth."),
    },
)
def bulk() -> None:
    """Validate, plan the missing or outdated pairs, stage, form interferograms, catalogue."""

    @task(retries=0)
    def validate(params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Dates in order, known AOIs and PGE version."""
        from airflow.sdk.exceptions import AirflowFailException

        from lake.settings import get_settings
        from sarlake.workflows.bulk import validate_request

        try:
            return validate_request(dict(params or {}), runner=get_settings().runner)
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from None

    @task(outlets=[asset("acquisitions")], show_return_value_in_logs=False)
    def plan(request: dict[str, Any], **context: Any) -> dict[str, Any]:
        """The pairs still to make (missing or outdated) and the staging they need."""
        from sarlake.workflows.bulk import plan as _plan

        return _plan(request, run_id=str(context.get("run_id") or ""))

    @task(show_return_value_in_logs=False)
    def stage_run_configs(planned: dict[str, Any]) -> list[dict[str, Any]]:
        """The staging run-configs, one list to map over."""
        return planned["stage"]

    @task(show_return_value_in_logs=False)
    def pairs(request: dict[str, Any], planned: dict[str, Any], staged: Any, **context: Any) -> list[dict]:
        """One interferogram run-config per pair to make."""
        from sarlake.workflows.bulk import interferogram_run_configs
        from sarlake_plugins.forward import require_staged

        require_staged(staged)
        return interferogram_run_configs(request, planned, run_id=str(context.get("run_id") or ""))

    @task(outlets=[asset("products"), asset("provenance")], trigger_rule="all_done")
    def catalogue(results: list[dict[str, Any]] | None, **context: Any) -> list[str]:
        """Catalogue every product made, even when some pairs failed (a rerun does only the rest); skipped
        when nothing was made.
        """
        from sarlake_plugins.forward import catalogue as _catalogue

        return _catalogue(list(results or []), context=context)

    # mypy ignores below: a @task takes XComArgs here; Airflow's stubs type its call with the resolved values
    checked = check_conf()
    request = validate()
    checked >> request
    planned = plan(request)  # type: ignore[arg-type]
    stage_configs = stage_run_configs(planned)  # type: ignore[arg-type]
    staged = mapped_pge_operator(stage_pge(), task_id="stage", run_configs=stage_configs, **BULK)
    configs = pairs(request, planned, staged.output)  # type: ignore[arg-type]
    interferograms = mapped_pge_operator("interferogram", task_id="interferogram", run_configs=configs, **BULK)
    catalogued = catalogue(interferograms.output)
    # catalogue runs whatever failed upstream (all_done): without this leaf a failed run would report success
    fail_if_any_failed(checked, request, planned, staged, configs, interferograms, catalogued)


bulk()

"""### On-demand interferograms for one request

Trigger from the UI form (**Trigger DAG w/ config**) or the REST API
(`POST /api/v2/dags/on_demand/dagRuns` with `{"logical_date": null, "conf": {...}}`).

* **where**: `aoi` (a stored AOI name) *or* `bbox` (`[west, south, east, north]`, degrees);
* **when**: `start_date` .. `end_date`; `pairing` `endpoints` makes one interferogram between the first and last
  acquisition (a date pair), `sequential` pairs each acquisition with its `neighbours` nearest earlier ones;
* **how**: `pge_version` (`latest` or a registered version), `unwrapper` (`snaphu` or `quality`), `looks`.

The form and the API refuse a value of the wrong type or out of range (a bbox that is not four numbers in
range, a date that is not a date, an unknown unwrapper) before a run exists. Checks across fields (aoi *or*
bbox, dates in order, a version that is registered) run in the first tasks, **check_conf** and **validate**,
which fail the run at once, without retries and before any PGE starts. The products' provenance records
the requester: the logged-in user who triggered the run.
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
from sarlake_plugins.params import (
    AOI_NAME_RULE,
    NUMBER_PATTERN,
    OPTIONAL_AOI_PATTERN,
    OPTIONAL_LIST,
    PGE_VERSION_PATTERN,
)
from sarlake_plugins.pge import TaskPriority, mapped_pge_operator

#: On-demand work ranks below urgent response and above bulk reprocessing.
ON_DEMAND: TaskPriority = {"priority_weight": 100, "weight_rule": "absolute"}


@dag(
    dag_id="on_demand",
    description="On request: interferograms of one AOI or bounding box over a date window.",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["sarlake", "on-demand", "interferogram"],
    default_args={
        "retries": 2, "execution_timeout": timedelta(minutes=15), "retry_delay": timedelta(minutes=1), **ON_DEMAND,
    },
    doc_md=__doc__,
    on_failure_callback=record_failed_run,
    params={
        # optional fields allow null: the trigger form sends null for a field left empty, and an empty string or
        # a list of numbers typed one per line (the form sends text) would not pass a plain schema
        # the help in description_md, part of the schema: the form shows a refused value with the schema that
        # refused it, and so with the rule in words beside the pattern
        "aoi": Param(None, type=["null", "string"], pattern=OPTIONAL_AOI_PATTERN, title="AOI",
                     description_md=f"The name of a stored AOI ({AOI_NAME_RULE}); leave empty and give a bbox "
                                    "instead."),
        "bbox": Param(None, type=["null", "array"], minItems=4, maxItems=4,
                      items={"type": ["number", "string"], "pattern": NUMBER_PATTERN},
                      title="Bounding box", description="[west, south, east, north] in degrees as JSON, e.g. "
                      "[14.40, 40.79, 14.46, 40.84], instead of an AOI; checked when the run starts."),
        "start_date": Param("2024-01-01", type="string", format="date", title="Start date",
                            description="First acquisition date searched (UTC)."),
        "end_date": Param("2024-02-15", type="string", format="date", title="End date",
                          description="Last acquisition date searched (UTC); after the start date."),
        "pairing": Param("endpoints", type="string", enum=["endpoints", "sequential"], title="Pairing",
                         description="endpoints: one pair (first, last); sequential: nearest-n pairs across."),
        "neighbours": Param(2, type="integer", minimum=1, maximum=10, title="Pairs per acquisition",
                            description="For sequential pairing."),
        "tracks": Param([], type=OPTIONAL_LIST, items={"type": "integer", "minimum": 1, "maximum": 175},
                        title="Tracks", description="Tracks (1-175) to process as a JSON list, e.g. [44, 117]; "
                        "empty means the AOI's or the default."),
        "pge_version": Param("latest", type="string", pattern=PGE_VERSION_PATTERN, title="PGE version",
                             description="Interferogram PGE version: latest, or a registered MAJOR.MINOR.PATCH."),
        "unwrapper": Param("snaphu", type="string", enum=["snaphu", "quality"], title="Unwrapper",
                           description="SNAPHU (statistical cost) or the quality-guided unwrapper."),
        "looks": Param(4, type="integer", minimum=1, maximum=32, title="Multilook factor",
                       description="Looks in range and azimuth."),
    },
)
def on_demand() -> None:
    """Validate the request, stage, pair, form interferograms, catalogue with the requester."""

    @task(retries=0)
    def validate(params: dict[str, Any] | None = None, **context: Any) -> dict[str, Any]:
        """Cross-field checks (aoi or bbox, date order, known version); record the requester."""
        from airflow.sdk.exceptions import AirflowFailException

        from lake.settings import get_settings
        from sarlake.workflows.on_demand import validate_request

        user = getattr(context.get("dag_run"), "triggering_user_name", None) or ""
        try:
            request = validate_request(dict(params or {}), user, runner=get_settings().runner)
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from None
        return request.model_dump(mode="json")

    @task(outlets=[asset("aois"), asset("acquisitions")], show_return_value_in_logs=False)
    def plan(request: dict[str, Any], **context: Any) -> dict[str, Any]:
        """Search acquisitions and plan staging and pairs."""
        from sarlake.workflows.on_demand import OnDemandRequest
        from sarlake.workflows.on_demand import plan as _plan

        return _plan(OnDemandRequest(**request), run_id=str(context.get("run_id") or ""))

    @task(show_return_value_in_logs=False)
    def stage_run_configs(planned: dict[str, Any]) -> list[dict[str, Any]]:
        """The staging run-configs, one list to map over."""
        return planned["stage_run_configs"]

    @task(show_return_value_in_logs=False)
    def pairs(request: dict[str, Any], planned: dict[str, Any], staged: Any, **context: Any) -> list[dict]:
        """One interferogram run-config per pair."""
        from sarlake.workflows.on_demand import OnDemandRequest, interferogram_run_configs
        from sarlake_plugins.forward import require_staged

        require_staged(staged)
        return interferogram_run_configs(OnDemandRequest(**request), planned, run_id=str(context.get("run_id") or ""))

    @task(outlets=[asset("products"), asset("provenance")], trigger_rule="none_failed")
    def catalogue(results: list[dict[str, Any]] | None, request: dict[str, Any], **context: Any) -> list[str]:
        """Catalogue the products; provenance records the requester."""
        from sarlake_plugins.forward import catalogue as _catalogue

        return _catalogue(list(results or []), context=context, requester=request.get("requester") or None)

    # mypy ignores below: a @task takes XComArgs here; Airflow's stubs type its call with the resolved values
    checked = check_conf()
    request = validate()
    checked >> request
    planned = plan(request)  # type: ignore[arg-type]
    stage_configs = stage_run_configs(planned)  # type: ignore[arg-type]
    staged = mapped_pge_operator(stage_pge(), task_id="stage", run_configs=stage_configs, **ON_DEMAND)
    configs = pairs(request, planned, staged.output)  # type: ignore[arg-type]
    interferograms = mapped_pge_operator("interferogram", task_id="interferogram", run_configs=configs, **ON_DEMAND)
    catalogue(interferograms.output, request)  # type: ignore[arg-type]


on_demand()

"""Task bodies of the ``ingest`` DAG: the form's fields -> the ingest PGE's run-config; its products -> the lake.

The run-config is :func:`sarlake.workflows.ingest.ingest_run_config`, the one ``sarlake ingest`` runs, so the
CLI and the DAG ingest alike. An unknown AOI fails ``plan`` at once (no retries); a bad input fails the PGE task
with the PGE's message (exit 2, not retried: :mod:`sarlake_plugins.pge`).
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

log = logging.getLogger(__name__)

#: the form's fields passed to the PGE as they are (``replace`` is its ``overwrite``; paths and aoi are not
#: parameters)
PASSED = ("source_format", "wavelength_m", "track", "orbit_state", "los_sign", "mission", "coherence", "coherence_dirs",
          "skip_bad", "revision")


def ingest_parameters(params: dict[str, Any]) -> dict[str, Any]:
    """The ingest PGE's parameters from the form: empty fields left out, as the CLI leaves out unset options."""
    chosen = {k: params.get(k) for k in PASSED}
    if chosen["coherence_dirs"]:  # the form's lines, as the CLI's repeated --coherence-dir
        chosen["coherence_dirs"] = [str(d).strip() for d in chosen["coherence_dirs"] if str(d).strip()]
    chosen["overwrite"] = params.get("replace")
    return {k: list(v) if isinstance(v, list | tuple) else v for k, v in chosen.items()
            if v not in (None, "", [], (), False)}


def plan_ingest(params: dict[str, Any], context: dict[str, Any]) -> list[dict[str, Any]]:
    """The ingest PGE's run-config (a list of one, for the mapped PGE task), run_id that of the DAG run.

    Raises:
        AirflowFailException: the AOI is not in the lake (or its name is bad), or the lake was never initialised; a
            retry would fail the same way.
    """
    from lake.exceptions import CatalogError
    from sarlake.workflows.ingest import ingest_run_config

    paths = [str(p).strip() for p in params.get("paths") or [] if str(p).strip()]
    if not paths:
        raise AirflowFailException("ingest: no paths given (s3:// objects or prefixes, or paths the workers read)")
    try:
        config = ingest_run_config(paths, params.get("aoi"), run_id=str(context.get("run_id") or "") or None,
                                   what="aoi", **ingest_parameters(params))
    except (ValueError, CatalogError) as exc:  # InvalidAOIError, InvalidNameError; a lake never initialised
        raise AirflowFailException(str(exc)) from None
    shown = {k: v for k, v in config["parameters"].items() if k != "aoi_wkt"}
    log.info("Ingesting %d path(s) into %s with %s", len(paths), config["output_dir"], shown)
    return [config]


def catalogue_context(pge: str, context: dict[str, Any]) -> dict[str, Any]:
    """The provenance of products a DAG's ``pge`` task published, the DAG named after it: its run, who triggered it."""
    from lake.settings import get_settings

    return {"run_id": str(context.get("run_id") or ""), "dag_id": pge, "task_id": pge, "runner": get_settings().runner,
            "requester": getattr(context.get("dag_run"), "triggering_user_name", None)}


def catalogue_ingest(results: list[dict[str, Any]], plans: list[dict[str, Any]],
                     context: dict[str, Any]) -> dict[str, Any]:
    """Catalogue what the PGE published; a summary for the task log and XCom (ids and counts)."""
    from sarlake.workflows.ingest import catalogue_result, moved_note
    from sarlake_plugins.refusals import refusals_not_retried

    run_context = catalogue_context("ingest", context)
    result = {"products": [p for r in results if r for p in r.get("products") or []],
              "rejected": [b for r in results if r for b in r.get("rejected") or []],
              "left_out": [o for r in results if r for o in r.get("left_out") or []]}
    with refusals_not_retried():
        report = catalogue_result(result, plans[0]["output_dir"], run_context, form=True)
    for bad in report.rejected:
        log.warning("skipped %s: %s", bad.get("input"), bad.get("error"))
    for move in report.moved:
        log.warning("%s", moved_note(move))
    for note in report.undelivered + report.went_back:
        log.warning("%s", note)
    for product_id, removal in sorted(report.returned.items()):
        log.warning("%s had been removed from the catalogue (%s); it is catalogued again from its kept folder",
                    product_id, removal)
    revision = (plans[0].get("parameters") or {}).get("revision")
    if report.kept and revision is not None:  # kept: replace was not ticked
        log.warning("revision %s was not applied to the %d product(s) already published and kept at their version: "
                    "tick replace as well to re-ingest them at that revision", revision, len(report.kept))
    summary = {"target": report.target, "ids": report.ids, "catalogued": len(report.ids), "kept": len(report.kept),
               "returned": len(report.returned), "rejected": len(report.rejected), "left_out": len(report.left_out),
               "moved": len(report.moved)}
    log.info("Catalogued %d product(s) under %s (%d already published and kept, %d bad input(s) skipped, "
             "%d file(s) left out)", summary["catalogued"], report.target, summary["kept"], summary["rejected"],
             summary["left_out"])
    return summary

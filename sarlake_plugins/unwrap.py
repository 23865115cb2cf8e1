"""Task bodies of the ``unwrap`` DAG: the form's fields -> the unwrap PGE's run-config; its products -> the lake.

The run-config is :func:`sarlake.workflows.unwrap.unwrap_run_config`, the one ``sarlake unwrap`` runs, so the CLI
and the DAG unwrap alike. An unknown AOI fails ``plan`` at once (no retries); a bad input fails the PGE task with the
PGE's message (exit 2, not retried: :mod:`sarlake_plugins.pge`).
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

log = logging.getLogger(__name__)

#: the form's fields passed to the PGE as they are (the others are built into its nested parameters)
PASSED = ("source_format", "wavelength_m", "track", "orbit_state", "mission", "coherence", "coherence_dirs",
          "looks_azimuth", "looks_range", "min_coherence", "pairs")


def unwrap_parameters(params: dict[str, Any]) -> dict[str, Any]:
    """The unwrap PGE's parameters from the form, as ``sarlake unwrap`` makes them from its options."""
    chosen = {k: params.get(k) for k in PASSED}
    for key in ("coherence_dirs", "pairs"):  # the form's lines, as the CLI's repeated --coherence-dir and --pair
        chosen[key] = [str(d).strip() for d in chosen[key] or [] if str(d).strip()]
    out = {k: list(v) if isinstance(v, list | tuple) else v for k, v in chosen.items()
           if v not in (None, "", [], ())}
    out["unwrap"] = {"method": params.get("method") or "snaphu"}
    out["filter"] = {"strength": float(params.get("filter_strength") or 0.0)}
    if params.get("replace"):
        out["overwrite"] = True
    return out


def plan_unwrap(params: dict[str, Any], context: dict[str, Any]) -> list[dict[str, Any]]:
    """The unwrap PGE's run-config (a list of one, for the mapped PGE task), run_id that of the DAG run.

    Raises:
        AirflowFailException: no paths, or the AOI is not in the lake (or its name is bad), or the lake was never
            initialised: a retry would fail the same way.
    """
    from lake.exceptions import CatalogError
    from sarlake.workflows.unwrap import unwrap_run_config

    paths = [str(p).strip() for p in params.get("paths") or [] if str(p).strip()]
    if not paths:
        raise AirflowFailException("unwrap: no paths given (s3:// objects or prefixes, or paths the workers read)")
    try:
        config = unwrap_run_config(paths, params.get("aoi"), run_id=str(context.get("run_id") or "") or None,
                                   what="aoi", **unwrap_parameters(params))
    except (ValueError, CatalogError) as exc:  # InvalidAOIError, InvalidNameError; no lake
        raise AirflowFailException(str(exc)) from None
    shown = {k: v for k, v in config["parameters"].items() if k != "aoi_wkt"}
    log.info("Unwrapping %d path(s) into %s with %s", len(paths), config["output_dir"], shown)
    return [config]


def catalogue_unwrap(results: list[dict[str, Any]], context: dict[str, Any]) -> dict[str, Any]:
    """Catalogue what the PGE published; a summary for the task log and XCom (ids and count)."""
    from lake.catalogue import catalogue_products
    from sarlake.workflows.pge import kept_ids
    from sarlake_plugins.ingest import catalogue_context
    from sarlake_plugins.refusals import refusals_not_retried

    products = [p for r in results if r for p in r.get("products") or []]
    with refusals_not_retried():
        ids = catalogue_products([p["met_uri"] for p in products], catalogue_context("unwrap", context),
                                 kept=kept_ids(results))
    kept = sum(bool(p.get("skipped")) for p in products)
    log.info("Catalogued %d unwrapped product(s) (%d already published and kept; the unwrap task's log gives each "
             "one's share in connected components)", len(ids), kept)
    return {"ids": ids, "catalogued": len(ids), "kept": kept}

"""Task bodies of the forward DAG. They call ``lake``; the DAG file only wires them.

Everything here returns small JSON records (URIs, ids), never rasters or frames: XCom carries URIs.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

log = logging.getLogger(__name__)

#: Interferogram product type in the ``products`` table.
IFG_PRODUCT_TYPE = "L2_IFG"


def as_record(obj: Any) -> dict[str, Any]:
    """Return a JSON-able dict of a pydantic model, dataclass or mapping."""
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _jsonable(dataclasses.asdict(obj))
    return _jsonable(dict(obj))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def run_end(context: dict[str, Any]) -> datetime:
    """Return the end of the run's data interval (the logical date for manual runs, now when neither is set)."""
    for key in ("data_interval_end", "logical_date"):
        value = context.get(key)
        if value is not None:
            return datetime.fromisoformat(value.isoformat())
    return datetime.now(UTC)


def require_staged(staged: Any) -> None:
    """Fail the task (no retry) when any mapped staging run did not succeed; pairs need every scene."""
    failed = [s for s in (staged or []) if s.get("status") != "ok"]
    if failed:
        raise AirflowFailException(f"{len(failed)} staging run(s) did not succeed: {failed[0].get('error')}")


def stage_pge() -> str:
    """Return the PGE that stages the configured acquisition source's scenes (``simulate`` for the simulator).

    Cheap enough for DAG parsing: it reads settings from the environment and touches no database.
    """
    from lake.settings import get_settings
    from lake.sources import get_source

    return get_source(get_settings()).stage_pge


def select_aois(names: list[str]) -> list[dict[str, Any]]:
    """Return the AOIs to process: the named ones, or every active AOI.

    Raises:
        AirflowFailException: a name that is not an AOI (not retried: the trigger form was wrong).
    """
    from lake.aoi import list_aois

    aois = {a.name: a for a in list_aois(active_only=not names)}
    if names:
        unknown = sorted(set(names) - set(aois))
        if unknown:
            raise AirflowFailException(
                f"unknown AOI {', '.join(map(repr, unknown))}; AOIs in the lake: {', '.join(sorted(aois)) or 'none'}"
                " (add one with `sarlake aoi add NAME --bbox W S E N`)"
            )
        aois = {n: aois[n] for n in names}
    if not aois:
        log.warning("No active AOI: add one with `sarlake aoi add NAME --bbox W S E N`.")
    else:
        log.info("%d AOI(s) to process: %s", len(aois), ", ".join(aois))
    return [as_record(a) for a in aois.values()]


def discover(aois: list[dict[str, Any]], *, lookback_days: int, context: dict[str, Any]) -> list[dict[str, Any]]:
    """Search the acquisition source for each AOI, upsert the acquisitions and plan their staging.

    Returns:
        One group per AOI, track and frame: ``{"acquisitions": [record, ...], "stage_run_config": {...}}``.
    """
    from lake.aoi import AOI
    from lake.catalogue import record_acquisitions
    from lake.settings import get_settings
    from lake.sources import get_source

    settings = get_settings()
    source = get_source(settings)
    end = run_end(context)
    start = end - timedelta(days=lookback_days)
    run_id = str(context.get("run_id") or "")
    groups: dict[tuple, list[Any]] = defaultdict(list)
    neighbours = {a["name"]: a.get("pairing_neighbours") for a in aois}
    for aoi in aois:
        found = source.search(AOI(**aoi), start, end)
        log.info("AOI %s: %d acquisitions between %s and %s", aoi["name"], len(found), start, end)
        for record in found:
            groups[(record.aoi, record.track, record.frame)].append(record)
    all_records = [r for records in groups.values() for r in records]
    if all_records:
        record_acquisitions(all_records)
    return [
        {
            "aoi": key[0],
            "pairing_neighbours": neighbours.get(key[0]),
            "acquisitions": [as_record(r) for r in records],
            "stage_run_config": source.stage_run_config(records, run_id=run_id),
        }
        for key, records in groups.items()
    ]


def plan_pairs(
    groups: list[dict[str, Any]],
    staged: list[dict[str, Any]],
    *,
    neighbours: int | None,
    looks: int,
    reprocess: bool,
    context: dict[str, Any],
) -> list[dict[str, Any]]:
    """Pair the staged acquisitions and return one interferogram run-config per pair still to make."""
    from lake.names import check_aoi_name, join_under
    from lake.pairing import nearest_pairs
    from lake.settings import get_settings
    from lake.sources import AcquisitionRecord

    settings = get_settings()
    require_staged(staged)
    pairs = []
    uris: dict[str, str] = {}
    for group in groups:
        records = [AcquisitionRecord(**a) for a in group["acquisitions"]]
        uris.update({r.acquisition_id: r.uri for r in records})
        n = group.get("pairing_neighbours") or neighbours or settings.pairing_neighbours
        pairs += [(group["aoi"], p) for p in nearest_pairs(records, n)]
    done = set() if reprocess else _catalogued_pairs({g["aoi"] for g in groups})
    run_id = str(context.get("run_id") or "")
    configs = []
    for aoi, pair in pairs:
        if (pair.reference_id, pair.secondary_id) in done:
            continue
        configs.append(
            {
                "pge": "interferogram",
                "run_id": run_id,
                "inputs": [uris[pair.reference_id], uris[pair.secondary_id]],
                "output_dir": join_under(settings.products_root, IFG_PRODUCT_TYPE, check_aoi_name(aoi)),
                "parameters": {"looks_range": looks, "looks_azimuth": looks},
            }
        )
    log.info("%d pairs, %d already catalogued, %d to process", len(pairs), len(pairs) - len(configs), len(configs))
    return configs


def batches(configs: list[dict[str, Any]], batch_size: int) -> list[Any]:
    """Group run-configs ``batch_size`` at a time (lists: one mapped task each); 1 leaves them one per task.

    Batching needs the local runner (one process runs the batch); with the Kubernetes runner each pair stays
    its own pod.
    """
    from lake.settings import get_settings

    if batch_size <= 1 or not configs:
        return configs
    if get_settings().runner != "local":
        log.warning("batch_size %d ignored: the %s runner runs one pair per pod", batch_size, get_settings().runner)
        return configs
    return [configs[k : k + batch_size] for k in range(0, len(configs), batch_size)]


def _catalogued_pairs(aois: set[str]) -> set[tuple[str, str]]:
    """Return the (reference, secondary) acquisition ids of the interferograms already in the lake for these AOIs."""
    from lake.query import connect

    if not aois:
        return set()
    con = connect(catalogue=False)
    rows = con.execute(
        "SELECT reference_acquisition, secondary_acquisition FROM products "
        "WHERE product_type = ? AND list_contains(?, aoi)",
        [IFG_PRODUCT_TYPE, sorted(aois)],
    ).fetchall()
    return {(r[0], r[1]) for r in rows}


def catalogue(results: list[dict[str, Any]], *, context: dict[str, Any], requester: str | None = None) -> list[str]:
    """Catalogue the products the interferogram tasks made; return their ids (forward, bulk and on-demand).

    ``requester`` (on-demand: the user who triggered the run) goes into the products' provenance.

    Raises:
        AirflowSkipException: nothing was made. A skipped task sends no Asset event, so the DAGs scheduled on
            ``products`` (qa, time series, the gate, the catalogue) do not run for a run that made nothing.
        AirflowFailException: the catalogue refused a product with other content at its archived version (not
            retried: :mod:`sarlake_plugins.refusals`).
    """
    from airflow.sdk.exceptions import AirflowSkipException

    from lake.catalogue import catalogue_products
    from lake.settings import get_settings
    from sarlake.workflows.pge import kept_ids
    from sarlake_plugins.refusals import refusals_not_retried

    met_uris = [p["met_uri"] for r in results if r for p in r.get("products", [])]
    if not met_uris:
        raise AirflowSkipException("nothing new to catalogue (no products event)")
    ti = context.get("ti")
    run_context = {
        "run_id": str(context.get("run_id") or ""),
        "dag_id": getattr(ti, "dag_id", "forward"),
        "task_id": "interferogram",
        "runner": get_settings().runner,
    }
    if requester:
        run_context["requester"] = requester
    with refusals_not_retried():  # a removed product whose files a task kept is back: recorded as returned
        ids = catalogue_products(met_uris, run_context, kept=kept_ids(results))
    log.info("Catalogued %d products", len(ids))
    return ids

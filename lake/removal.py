"""Taking products out of the catalogue, with a provenance record of the removal.

``remove_products(["P1", "P2"], reason="wrong wavelength")`` deletes the products' rows from ``products``
(one Iceberg delete), and writes one ``provenance`` row per product (``pge_name`` ``sarlake-remove``,
``run_id`` ``remove__<UTC time>``, the removed row's key fields, the reason and who asked in
``parameters``), so the history of every product id stays queryable after it left the catalogue. The
product's files stay where they are unless ``delete_files`` (then its met.json goes first, so a half
deleted product can never be catalogued again by mistake). An archived product's files are the DAAC's, which keeps
what it acknowledged: they are never deleted (a cached product's hot copy is).
"""

from __future__ import annotations

import getpass
import json
import logging
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lake.exceptions import LakeError
from lake.settings import Settings, get_settings

__all__ = ["REMOVED_BY", "RETURNED_BY", "RemovedProduct", "record_returns", "remove_products"]

#: the provenance ``pge_name`` of a removal (``lake.verify`` leaves the kept files of a removed product alone)
REMOVED_BY = "sarlake-remove"
#: the provenance ``pge_name`` of a removed product's return to the catalogue from its kept files
RETURNED_BY = "sarlake-return"

logger = logging.getLogger(__name__)

_KEEP = ("product_id", "product_type", "aoi", "reference_date", "secondary_date", "start_time", "uri", "met_uri",
         "pge_name", "pge_version", "run_id", "version", "tier")


@dataclass(frozen=True)
class RemovedProduct:
    """One removed product and where its files were."""

    product_id: str
    uri: str | None
    files_deleted: int
    at_archive: bool = False  # catalogued at the DAAC's archive: its files are the DAAC's, never deleted here


def _delete_files(row: dict[str, Any], settings: Settings) -> int:
    from lake import storage

    prefix = row.get("uri")
    if not prefix:
        return 0
    uris = storage.list_uris(prefix, settings=settings)
    met = [u for u in uris if u.endswith(".met.json")]
    storage.delete_many(met, settings)  # first: a product half deleted is no longer found by its metadata
    storage.delete_many([u for u in uris if u not in met], settings)
    if "://" not in prefix:
        import shutil

        shutil.rmtree(storage.local_path(prefix), ignore_errors=True)
    return len(uris)


def _at_archive(row: dict[str, Any], settings: Settings) -> bool:
    """Whether the product's folder is the DAAC's (archived; a cached product's folder is its hot copy)."""
    from lake.exceptions import PathEscapeError
    from lake.names import check_under

    if row.get("tier") == "archive":
        return True
    if not row.get("uri") or not settings.daac.root:
        return False
    try:
        check_under(row["uri"], settings.daac.root)
    except PathEscapeError:
        return False
    return True


def remove_products(
    product_ids: list[str], *, reason: str | None = None, delete_files: bool = False,
    settings: Settings | None = None,
) -> list[RemovedProduct]:
    """Remove products from the catalogue and record the removal in ``provenance``.

    Args:
        product_ids: the ids; every one must be catalogued (otherwise nothing is removed).
        reason: free text kept in the provenance record.
        delete_files: also delete the product folders (met.json first); never an archived product's (the DAAC's).
        settings: the lake settings; default :func:`lake.settings.get_settings`.

    Returns:
        What was removed.

    Raises:
        LakeError: no ids, or an id that is not in the catalogue (named; nothing is removed).
    """
    from pyiceberg.expressions import In

    from lake.catalog import load_table
    from lake.write import upsert

    settings = settings or get_settings()
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        raise LakeError("name at least one product id to remove")
    table = load_table("products", settings)
    flt = In("product_id", ids)  # type: ignore[call-arg,arg-type,misc,unused-ignore]
    rows = table.scan(row_filter=flt, selected_fields=_KEEP).to_arrow().to_pylist()
    found = {r["product_id"]: r for r in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise LakeError(f"product {missing[0]!r} is not in the catalogue (see `sarlake sql \"SELECT product_id "
                        f"FROM products\"`); nothing removed" + (f"; {len(missing) - 1} more unknown" if
                                                                 len(missing) > 1 else ""))
    now = datetime.now(UTC)
    run_id = f"remove__{now:%Y%m%dT%H%M%S%f}"
    who = f"{getpass.getuser()}@{socket.gethostname()}"
    provenance = [
        {
            "product_id": pid, "run_id": run_id, "pge_name": REMOVED_BY, "pge_version": None,
            "inputs": [found[pid].get("met_uri") or ""],
            "parameters": json.dumps({"action": "remove", "reason": reason, "by": who, "delete_files": delete_files,
                                      "removed": found[pid]}, sort_keys=True, default=str),
            "software": "{}", "started_at": now, "finished_at": now, "host": socket.gethostname(),
            "dag_id": None, "task_id": "products-remove", "runner": "local",
        }
        for pid in ids
    ]
    upsert("provenance", provenance, settings)  # the record first: a crash after it leaves a re-runnable remove
    table.delete(delete_filter=flt)
    removed = []
    for pid in ids:
        archived = _at_archive(found[pid], settings)
        count = _delete_files(found[pid], settings) if delete_files and not archived else 0
        removed.append(RemovedProduct(pid, found[pid].get("uri"), count, archived))
        logger.info("removed %s from the catalogue (%d files deleted)", pid, count)
    return removed


def record_returns(product_ids: list[str], run_context: dict[str, Any],
                   settings: Settings | None = None) -> dict[str, str]:
    """Record in ``provenance`` which of ``product_ids``, catalogued again from kept files, had been removed.

    A product removed with its files kept and then found again by a run (an ingest, an unwrap, a DAG's PGE task
    that keeps what is published) is catalogued from its published met.json: its own provenance row is the first
    run's, so without this record the removal would stay the last word of its history
    (:func:`lake.catalogue.catalogue_products` calls this for the products a run says it ``kept``). Call it after
    cataloguing ``product_ids``; those whose latest record is not a removal (a product published but never
    catalogued) get none.

    Args:
        product_ids: products just catalogued again, as they were published.
        run_context: the run that catalogued them (``run_id``; ``dag_id``, ``task_id``, ``runner`` and
            ``requester`` where known), as :func:`lake.catalogue.catalogue_products` takes it.
        settings: the lake settings; default :func:`lake.settings.get_settings`.

    Returns:
        ``product id -> the removal's run id``, for the products that came back.
    """
    from pyiceberg.expressions import In

    from lake.catalog import load_table
    from lake.write import upsert

    settings = settings or get_settings()
    if not product_ids:
        return {}
    rows = load_table("provenance", settings).scan(
        row_filter=In("product_id", sorted(set(product_ids))),  # type: ignore[call-arg,arg-type,misc,unused-ignore]
        selected_fields=("product_id", "run_id", "pge_name", "finished_at"),
    ).to_arrow().to_pylist()
    never = datetime.min.replace(tzinfo=UTC)
    latest: dict[str, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: r["finished_at"] or never):  # the last record of each product wins
        latest[r["product_id"]] = r
    came_back = {pid: r["run_id"] for pid, r in latest.items() if r["pge_name"] == REMOVED_BY}
    if not came_back:
        return {}
    now = datetime.now(UTC)
    who = run_context.get("requester") or f"{getpass.getuser()}@{socket.gethostname()}"
    upsert("provenance", [
        {"product_id": pid, "run_id": run_context["run_id"], "pge_name": RETURNED_BY, "pge_version": None,
         "inputs": [], "parameters": json.dumps({"action": "return", "removed_by": removal, "by": who},
                                                sort_keys=True),
         "software": "{}", "started_at": now, "finished_at": now, "host": socket.gethostname(),
         "dag_id": run_context.get("dag_id"), "task_id": run_context.get("task_id"),
         "runner": run_context.get("runner") or "local"}
        for pid, removal in sorted(came_back.items())
    ], settings)
    logger.info("%d removed product(s) catalogued again by %s", len(came_back), run_context["run_id"])
    return came_back

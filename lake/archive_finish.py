"""The roll's last steps: ``catalogue`` (the product points at the archive) and ``expire`` (its hot copy goes).

:func:`catalogue_and_expire` is both in one commit, as :func:`lake.archive_roll.run_roll` runs them.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from lake import archive_step, storage
from lake.archive_files import remove_empty_dirs
from lake.archive_step import Known, RollReport, in_own_folder, io_threads, run_each, waiting_for
from lake.archive_superseded import earlier_deliveries, superseded_files
from lake.archive_transfers import FINISHED_COLUMNS, Transfer, latest_transfers, record
from lake.settings import Settings, is_remote

__all__ = ["catalogue", "catalogue_and_expire", "expire"]

logger = logging.getLogger(__name__)


def _catalogue_patches(waiting: list[Transfer]) -> list[dict[str, Any]]:
    patches = []
    for t in waiting:
        met = next((f["uri"] for f in t.files if f["name"].endswith(".met.json")), None)
        patches.append({"product_id": t.product_id, "uri": t.archive_uri, "met_uri": met, "tier": "archive",
                        "cache_expires_at": None})
    return patches


def catalogue(settings: Settings, now: datetime) -> RollReport:
    """Point each acknowledged product at its archive copy (``tier = 'archive'``), then record ``catalogued``."""
    from lake.write import update

    waiting = waiting_for(settings, "acknowledged")
    if not waiting:
        return RollReport()
    update("products", _catalogue_patches(waiting), settings)
    archive_step.failpoint("catalogue:before-record")
    record([t.row("catalogued") for t in waiting], settings)
    return RollReport(moved=len(waiting))


def _expire_one(t: Transfer, settings: Settings, earlier: list[Transfer]) -> tuple[dict[str, Any], bool]:
    """Delete one transfer's hot copy and its earlier versions' leftovers at the archive: its ``hot_deleted`` row.

    Hot files already gone are fine. The leftovers are the archive files of the product's earlier versions that
    this version does not have (:mod:`lake.archive_superseded`).
    """
    storage.delete_many([f["hot_uri"] for f in t.files], settings)  # S3: one request per 1,000 objects
    if t.hot_uri and not is_remote(t.hot_uri):
        remove_empty_dirs(storage.local_path(t.hot_uri))
    stale = superseded_files(t, earlier)
    if stale:
        storage.delete_many(stale, settings)
        logger.info("%s: deleted %d archive file(s) of earlier versions that version %s does not have: %s",
                    t.product_id, len(stale), t.version, ", ".join(u.rsplit("/", 1)[-1] for u in stale))
    return t.row("hot_deleted"), True


def expire(settings: Settings, now: datetime) -> RollReport:
    """Delete the hot copy of each catalogued transfer (and its earlier versions' leftovers in a shared folder)."""
    catalogued = waiting_for(settings, "catalogued")
    if not catalogued:
        return RollReport()
    shared = [t for t in catalogued if not in_own_folder(t)]  # only these can have superseded files to delete
    earlier = {}
    if shared:  # only their products' transfer history is read (pushed down to the scan)
        states = latest_transfers(settings, columns=FINISHED_COLUMNS, product_ids={t.product_id for t in shared})
        earlier = earlier_deliveries(shared, states, settings)
    return run_each(catalogued, lambda t: _expire_one(t, settings, earlier.get(t.product_id, [])), "expire",
                     settings)


def catalogue_and_expire(settings: Settings, now: datetime, known: Known) -> tuple[RollReport, RollReport]:
    """Catalogue acknowledged products, delete hot copies, then record both steps' rows in one commit.

    Acknowledged products are pointed at the archive first (one commit of ``products``); then the hot copies
    of those and of transfers catalogued earlier are deleted: the hot copy goes only after the catalogue
    update is committed, as in the two separate steps. A crash before the rows are recorded leaves the
    transfers acknowledged; a re-run sets the same catalogue values and deletes nothing more.
    """
    from concurrent.futures import ThreadPoolExecutor

    from lake.write import update

    acknowledged = waiting_for(settings, "acknowledged", known)
    rows: list[dict[str, Any]] = []
    if acknowledged:
        update("products", _catalogue_patches(acknowledged), settings)
        archive_step.failpoint("catalogue:before-record")
        rows += [t.row("catalogued") for t in acknowledged]
    catalogued = waiting_for(settings, "catalogued", known)  # now also the ones just catalogued
    if catalogued:
        earlier = earlier_deliveries([t for t in catalogued if not in_own_folder(t)], known.transfers, settings)
        with ThreadPoolExecutor(max_workers=io_threads(settings)) as pool:
            rows += [row for row, _ in pool.map(lambda t: _expire_one(t, settings, earlier.get(t.product_id, [])),
                                                catalogued)]
        archive_step.failpoint("expire:before-record")
    record(rows, settings)
    return RollReport(moved=len(acknowledged)), RollReport(moved=len(catalogued))



"""The roll's ``select`` step: hot products past the hot retention become new transfers (:mod:`lake.archive_roll`)."""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from lake import archive_step, storage
from lake.archive_files import catalogued_checksums
from lake.archive_step import Known, RollReport, fail
from lake.archive_transfers import FINISHED_COLUMNS, HELD, Transfer, latest_transfers, record, transfer_id
from lake.settings import Settings, is_remote

__all__ = ["select"]

logger = logging.getLogger(__name__)


def select(settings: Settings, now: datetime, known: Known | None = None) -> RollReport:
    """New transfers for hot products past the hot retention, not excluded by status and not delivered at their version.

    A failed attempt is tried again once its back-off has passed, up to ``daac.max_attempts``.
    """
    import pyarrow.compute as pc

    from lake.catalog import load_table

    cutoff = now - timedelta(days=settings.daac.hot_retention_days)
    fields = ("product_id", "product_type", "version", "uri", "status", "tier", "created_at", "assets")
    products = load_table("products", settings).scan(selected_fields=fields).to_arrow()
    if products.num_rows == 0:
        return RollReport()
    hot = pc.equal(pc.fill_null(products["tier"], "hot"), "hot")
    old = pc.less_equal(products["created_at"], cutoff)
    allowed = pc.invert(pc.is_in(products["status"], value_set=pc.cast(
        _pa_strings(settings.daac.exclude_statuses), products["status"].type)))
    allowed = pc.fill_null(allowed, True)
    candidates = products.filter(pc.and_(pc.and_(hot, old), allowed)).to_pylist()
    transfers = known.transfers if known else latest_transfers(
        settings, columns=FINISHED_COLUMNS)
    by_product: dict[tuple[str, str], list[Transfer]] = {}
    for t in transfers.values():
        by_product.setdefault((t.product_id, t.version), []).append(t)
    rows: list[dict[str, Any]] = []
    new: list[Transfer] = []
    report = RollReport()
    for p in candidates:
        version = p["version"] or "1"
        previous = sorted(by_product.get((p["product_id"], version), []), key=lambda t: t.attempt)
        if previous:
            last = previous[-1]
            if last.step in HELD:  # removed and made again at that version
                logger.warning("%s: version %s was delivered (%s), and the product is hot again at that version: "
                               "not delivered twice (hot_after_delivery in `sarlake archive verify`)",
                               p["product_id"], version, last.transfer_id)
            if last.step != "failed":
                continue  # in flight, or done
            if last.attempt >= settings.daac.max_attempts:
                continue
            if last.next_attempt_at and last.next_attempt_at > now:
                continue
        attempt = previous[-1].attempt + 1 if previous else 1
        archive_uri = archive_step.archive_location(p["product_type"], p["product_id"], settings, version)
        t = Transfer(transfer_id(p["product_id"], version, attempt), p["product_id"], version, attempt, "new",
                     hot_uri=p["uri"], archive_uri=archive_uri)
        new.append(t)
        if known is not None:
            known.types[p["product_id"]] = p["product_type"]
        if not p["uri"]:
            rows.append(fail(t, "select", "product has no uri in the catalogue", settings, now))
            report.failed += 1
            continue
        try:
            listing = storage.list_uris(p["uri"], settings=settings)
        except Exception as exc:  # noqa: BLE001 - any storage error keeps the product hot, recorded
            listing, error = [], str(exc)
        else:
            error = ""
        if not listing:
            rows.append(fail(t, "select", f"hot files vanished: nothing under {p['uri']} {error}".strip(),
                              settings, now))
            report.failed += 1
            continue
        catalogued = catalogued_checksums(p["assets"])
        names = [(_relative(uri, p["uri"]), uri) for uri in listing]
        t.files = [{"name": name, "hot_uri": uri, "size": None, "sha256": catalogued.get(name)}
                   for name, uri in names]
        rows.append(t.row("selected"))
        report.moved += 1
    archive_step.failpoint("select:before-record")
    record(rows, settings)
    if known is not None:
        known.transfers.update((t.transfer_id, t) for t in new)
    return report


def _pa_strings(values: tuple[str, ...]) -> Any:
    import pyarrow as pa

    return pa.array(list(values), pa.string())


def _relative(uri: str, base: str) -> str:
    base = base.rstrip("/")
    if is_remote(base) or base.startswith("file://"):
        return uri[len(base) + 1:]
    root = str(storage.local_path(base))
    if uri.startswith(root + os.sep):  # what list_entries returns: no Path arithmetic per file
        return uri[len(root) + 1:]
    return str(Path(uri).relative_to(storage.local_path(base)))

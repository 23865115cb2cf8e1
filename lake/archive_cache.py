"""Cache back: bring archived products into the hot lake for a time to live, and let them expire again.

:func:`restore` copies an archived product's files from the archive into ``<products_root>/<product>/``
(verifying each file's sha256 against what the DAAC acknowledged), then points the catalogue at the hot copy
with ``tier = 'cached'`` and ``cache_expires_at = now + ttl``. :func:`expire_cache` does the reverse for
products whose time is up: catalogue back to the archive first, then delete the hot copy. The archive copy is
never touched. Both record their steps (``restored``, ``evicted``) in ``archive_transfers`` under
``<product>.v<version>.cache<n>``.

:func:`ensure_hot` is the on-demand form: workflows that need files (e.g. a time series over old
interferograms) call it with the products they are about to read.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lake import storage
from lake.exceptions import LakeError
from lake.settings import Settings, get_settings, is_remote

__all__ = ["CacheResult", "cache_step", "delete_copy", "deliveries", "ensure_hot", "expire_cache", "require_hot",
           "restore", "stored_products"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CacheResult:
    """Products restored (or evicted) and those left alone, with why."""

    done: list[str]
    skipped: dict[str, str]


def deliveries(settings: Settings, product_ids: Collection[str] | None = None) -> dict[str, dict[str, Any]]:
    """Product -> its last delivery the catalogue points at (files with archive URIs and sha256).

    Its ``step`` is ``hot_deleted`` once finished, ``catalogued`` while the roll has still to delete the hot copy
    at ``hot_uri``. ``product_ids`` reads only those products' deliveries (default: all).
    """
    from lake.archive_transfers import HELD, Transfer, latest_transfers, newer

    last: dict[str, Transfer] = {}
    for t in latest_transfers(settings, product_ids=product_ids).values():
        if t.step in HELD and newer(t, last.get(t.product_id)):
            last[t.product_id] = t
    return {pid: {"attempt": t.attempt, "version": t.version, "files": t.files, "hot_uri": t.hot_uri,
                  "archive_uri": t.archive_uri, "step": t.step} for pid, t in last.items()}


def stored_products(ids: list[str] | set[str] | None, settings: Settings) -> list[dict[str, Any]]:
    """The catalogue's rows of ``ids`` (all products when None): id, type, location, tier, expiry, version, AOI."""
    from pyiceberg.expressions import AlwaysTrue, BooleanExpression, In

    from lake.catalog import load_table

    row_filter: BooleanExpression = AlwaysTrue()
    if ids is not None:
        row_filter = In("product_id", set(ids))  # type: ignore[call-arg,arg-type,misc]
    fields = ("product_id", "product_type", "uri", "met_uri", "tier", "cache_expires_at", "version", "aoi")
    return load_table("products", settings).scan(row_filter=row_filter, selected_fields=fields).to_arrow().to_pylist()


def restore(product_ids: list[str], ttl: timedelta | None = None, settings: Settings | None = None,
            now: datetime | None = None) -> CacheResult:
    """Bring archived products back to the hot lake for ``ttl`` (default ``settings.daac.cache_ttl_days``).

    Already hot or cached products are left alone (a cached one gets its expiry pushed back).

    Raises:
        LakeError: a product id is not in the catalogue.
    """
    from lake.archive_transfers import record
    from lake.write import update

    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    ttl = ttl or timedelta(days=settings.daac.cache_ttl_days)
    rows = {r["product_id"]: r for r in stored_products(product_ids, settings)}
    unknown = [p for p in product_ids if p not in rows]
    if unknown:
        raise LakeError(f"not in the catalogue: {', '.join(unknown[:5])}; check the product ids "
                        "(`sarlake sql \"SELECT product_id, tier FROM products\"`)")
    delivered = deliveries(settings, rows)
    patches, steps, done, skipped = [], [], [], {}
    for pid in dict.fromkeys(product_ids):
        row = rows[pid]
        if row["tier"] == "cached":
            patches.append({"product_id": pid, "cache_expires_at": now + ttl})
            done.append(pid)
            continue
        if row["tier"] != "archive" or pid not in delivered:
            skipped[pid] = f"tier is {row['tier'] or 'hot'}: nothing to restore"
            continue
        d = delivered[pid]
        hot = storage.join(settings.products_root, pid)
        try:
            for f in d["files"]:
                data = storage.read_bytes(f["uri"], settings)
                if hashlib.sha256(data).hexdigest() != f["sha256"]:
                    raise LakeError(f"archive copy {f['uri']} does not match the sha256 the DAAC acknowledged")
                storage.write_bytes(storage.join(hot, f["name"]), data, settings)
        except (LakeError, OSError) as exc:
            skipped[pid] = str(exc)
            logger.warning("cannot restore %s: %s", pid, exc)
            continue
        met = next((storage.join(hot, f["name"]) for f in d["files"] if f["name"].endswith(".met.json")), None)
        patches.append({"product_id": pid, "uri": hot, "met_uri": met, "tier": "cached",
                        "cache_expires_at": now + ttl})
        steps.append(cache_step(pid, d, "restored", f"cached until {(now + ttl).isoformat()}", hot, now))
        done.append(pid)
    update("products", patches, settings)
    record(steps, settings)
    return CacheResult(done, skipped)


def ensure_hot(product_ids: list[str], settings: Settings | None = None) -> CacheResult:
    """Restore whichever of ``product_ids`` are only at the archive (on-demand cache back)."""
    settings = settings or get_settings()
    archived = [r["product_id"] for r in stored_products(product_ids, settings) if r["tier"] == "archive"]
    if not archived:
        return CacheResult([], {})
    return restore(archived, settings=settings)


def require_hot(product_ids: list[str], what: str, settings: Settings | None = None) -> CacheResult:
    """Make sure ``product_ids`` can be read from the hot lake before ``what`` reads them.

    Archived ones are restored for ``daac.cache_ttl_days`` when ``daac.restore_on_demand`` (the default);
    otherwise, or when a restore fails, this stops with the products named and the command that brings them
    back.

    Raises:
        LakeError: some products are only at the archive and cannot (or may not) be restored.
    """
    settings = settings or get_settings()
    archived = [r["product_id"] for r in stored_products(product_ids, settings) if r["tier"] == "archive"]
    if not archived:
        return CacheResult([], {})
    shown = " ".join(archived[:10]) + (f" ... ({len(archived)} in all)" if len(archived) > 10 else "")
    if not settings.daac.restore_on_demand:
        raise LakeError(f"{what} needs {len(archived)} product(s) that are only at the DAAC archive: bring them "
                        f"back with `sarlake archive restore {shown}` (or set SARLAKE_DAAC__RESTORE_ON_DEMAND=true)")
    logger.info("%s: restoring %d archived product(s) for %s days: %s", what, len(archived),
                settings.daac.cache_ttl_days, shown)
    result = restore(archived, settings=settings)
    if result.skipped:
        why = "; ".join(f"{pid}: {reason}" for pid, reason in list(result.skipped.items())[:3])
        raise LakeError(f"{what} needs archived products that could not be restored ({why}); retry with "
                        f"`sarlake archive restore {' '.join(result.skipped)}` once the archive answers")
    return result


def expire_cache(settings: Settings | None = None, now: datetime | None = None) -> CacheResult:
    """Evict cached products whose time to live has passed: catalogue back to the archive, then delete."""
    from lake.archive_transfers import record
    from lake.write import update

    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    due = [r for r in stored_products(None, settings)
           if r["tier"] == "cached" and r["cache_expires_at"] is not None and r["cache_expires_at"] <= now]
    if not due:
        return CacheResult([], {})
    delivered = deliveries(settings, [r["product_id"] for r in due])
    patches, evict = [], []
    for r in due:
        d = delivered[r["product_id"]]
        met = next((f["uri"] for f in d["files"] if f["name"].endswith(".met.json")), None)
        patches.append({"product_id": r["product_id"], "uri": d["archive_uri"], "met_uri": met, "tier": "archive",
                        "cache_expires_at": None})
        evict.append((r, d))
    update("products", patches, settings)  # readers go to the archive before the hot copy goes
    steps = []
    for r, d in evict:
        delete_copy(r["uri"], d["files"], settings)
        steps.append(cache_step(r["product_id"], d, "evicted", "time to live passed", r["uri"], now))
    record(steps, settings)
    return CacheResult([r["product_id"] for r, _ in evict], {})


def delete_copy(uri: str, files: list[dict[str, Any]], settings: Settings) -> None:
    """Delete a hot copy of a delivered product: the delivery's ``files`` under ``uri``, then empty folders."""
    for f in files:
        storage.delete(storage.join(uri, f["name"]), settings)
    if not is_remote(uri):
        from lake.archive_files import remove_empty_dirs

        remove_empty_dirs(storage.local_path(uri))


def cache_step(pid: str, d: dict[str, Any], step: str, reason: str, hot: str, now: datetime) -> dict[str, Any]:
    """The ``archive_transfers`` row of a cache step (``restored``, ``evicted``) of delivery ``d`` at ``hot``."""
    import json

    return {"transfer_id": f"{pid}.v{d['version']}.cache-{now.strftime('%Y%m%dT%H%M%S%f')}", "step": step,
            "product_id": pid, "version": d["version"], "hot_uri": hot, "archive_uri": d["archive_uri"],
            "files": json.dumps(d["files"]), "bytes": sum(int(f["size"]) for f in d["files"]), "reason": reason,
            "recorded_at": now}

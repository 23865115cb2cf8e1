"""Where a catalogued product's files are when the lake already holds its version archived or cached.

The roll points an archived product's ``uri``/``met_uri`` at the DAAC archive (``tier = 'archive'``), and a
restore at its hot cache (``tier = 'cached'``, :mod:`lake.archive_cache`). When :func:`lake.catalogue.
catalogue_products` reads a met.json of such a product again:

* **A new version** is a new delivery: hot again (``tier = 'hot'``) at its new location, and the roll delivers
  it in turn. A cached copy of the version it replaces is deleted once the catalogue points at the new one (an
  ``evicted`` cache step).
* **The same version, from where it already is** (the archive's or the cache's met.json: a repair, a re-run of
  the catalogue task): nothing moves.
* **The same version, made again elsewhere** (the forward DAG's *reprocess*, an on-demand request over pairs
  already made, ``sarlake unwrap`` again): the new folder is a hot copy of the archived product, so it becomes
  the product's cached copy, as if restored: ``tier = 'cached'`` until ``daac.cache_ttl_days`` from now (or the
  later expiry a cache already had), evicted when due like any restore (:func:`lake.archive_cache.expire_cache`),
  the archive untouched. A cached copy it replaces is deleted once the catalogue points at the new one, so the
  lake never holds two copies the catalogue does not both know. Each is recorded as a ``restored`` cache step in
  ``archive_transfers``. Before, the catalogue kept pointing at the archive and the new folder stayed a twin no
  row named (``stale_hot_copy`` in ``sarlake archive verify`` until the next roll, or never, beside a cache).
* **The same version, while its delivery is under way** (catalogued at the archive, the hot copy not deleted
  yet) and read from that hot folder: the archive location is kept, since the roll's next step deletes it.
* **The same version with other content** (an asset whose sha256 is not the delivered file's): refused
  (``ArchivedContentError``, the files left where they are). As a cached copy it would hide the archived product
  and be undone when it expires; new content is a new version. A cached copy overwritten in its own folder
  (``sarlake ingest --replace``) is no copy any more: the catalogue points at the archive again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lake.exceptions import ArchivedContentError
from lake.settings import Settings

__all__ = ["Placement", "place"]

logger = logging.getLogger(__name__)


@dataclass
class Placement:
    """What to do once the catalogue commit points at the new copies: old cached copies to delete, steps to record."""

    superseded: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)

    def finish(self, settings: Settings) -> None:
        """Delete the cached copies the new ones replace, then record the cache steps (after the products commit)."""
        from lake.archive_cache import delete_copy
        from lake.archive_transfers import record

        for uri, files in self.superseded:
            delete_copy(uri, files, settings)
        record(self.steps, settings)


def _stored(ids: set[str], settings: Settings) -> dict[str, dict[str, Any]]:
    """The archived or cached rows of ``ids``."""
    from lake.archive_cache import stored_products

    return {r["product_id"]: r for r in stored_products(ids, settings) if r["tier"] in ("archive", "cached")}


def place(products: list[dict[str, Any]], settings: Settings, now: datetime | None = None) -> Placement:
    """Set ``tier``, ``uri``, ``met_uri`` and ``cache_expires_at`` of product rows about to be upserted.

    Rows of products the lake holds only hot keep a null tier (the stored one is kept: ``lake.tables``
    ``keep_existing``). See the module docstring for archived and cached ones.

    Returns:
        What :meth:`Placement.finish` does after the products commit.
    """
    placement = Placement()
    for product in products:
        product.setdefault("tier", None)
        product.setdefault("cache_expires_at", None)
    placed = _stored({p["product_id"] for p in products}, settings)
    delivered: dict[str, dict[str, Any]] | None = None
    now = now or datetime.now(UTC)
    for product in products:
        old = placed.get(product["product_id"])
        if old is None:
            continue
        if (product["version"] or "1") != (old["version"] or "1"):
            logger.info("%s: version %s replaces the %s version %s; it is hot again at %s", product["product_id"],
                        product["version"], old["tier"], old["version"], product["uri"])
            product["tier"], product["cache_expires_at"] = "hot", None
            if old["tier"] == "cached" and old["uri"] != product["uri"]:
                if delivered is None:
                    from lake.archive_cache import deliveries

                    delivered = deliveries(settings, placed)
                _evict_replaced(product, old, delivered.get(product["product_id"]), placement, now)
            continue
        new = (product["uri"], product["met_uri"])
        product.update(uri=old["uri"], met_uri=old["met_uri"], cache_expires_at=old["cache_expires_at"])
        if new[0] == old["uri"] and old["tier"] == "archive":
            continue  # the archive's own met.json (a repair)
        if delivered is None:
            from lake.archive_cache import deliveries

            delivered = deliveries(settings, placed)
        if new[0] == old["uri"]:
            _check_cache(product, old, delivered.get(product["product_id"]), settings, now)
        else:
            _adopt(product, old, new, delivered.get(product["product_id"]), placement, settings, now)
    return placement


def _evict_replaced(product: dict[str, Any], old: dict[str, Any], d: dict[str, Any] | None, placement: Placement,
                    now: datetime) -> None:
    """A cached copy of the version a new one replaces: deleted after the commit, like an expired cache.

    Left, it stayed in the hot lake with no catalogue row pointing at it, so no expiry ever evicted it.
    """
    from lake.archive_cache import cache_step

    if d is None or (d["version"] or "1") != (old["version"] or "1"):
        return
    placement.superseded.append((old["uri"], d["files"]))
    placement.steps.append(cache_step(product["product_id"], d, "evicted", f"replaced by version "
                                      f"{product['version']} at {product['uri']}", old["uri"], now))


def _other_content(product: dict[str, Any], old: dict[str, Any], differ: list[str], uri: str,
                   what: str) -> ArchivedContentError:
    shown = ", ".join(differ[:3]) + (" ..." if len(differ) > 3 else "")
    fact = (f"{product['met_uri']}: {product['product_id']} version {old['version']} is archived with other content "
            f"({shown}: not the bytes the DAAC acknowledged): {what}")
    return ArchivedContentError(
        f"{fact}. The files at {uri} are left as they are: delete them, or make the product again with a new version "
        "(its met.json's `sarlake:version`: a new PGE version, or an ingest's `--revision`), which is delivered as a "
        "new version", product["product_id"], old["version"], fact)


def _check_cache(product: dict[str, Any], old: dict[str, Any], d: dict[str, Any] | None, settings: Settings,
                 now: datetime) -> None:
    """A cached product catalogued from its cache: refused, and evicted, when its files there were overwritten.

    A PGE that overwrites its products (``sarlake ingest --replace``) writes into the cached copy's folder; left
    pointed at, that copy would stand for the archived product until it expires and then revert to it.
    """
    from lake.archive_cache import cache_step
    from lake.archive_transfers import record
    from lake.write import update

    if d is None or (d["version"] or "1") != (old["version"] or "1"):
        return
    differ = _differing_files(product, d)
    if not differ:
        return
    met = next((f["uri"] for f in d["files"] if f["name"].endswith(".met.json")), None)
    update("products", [{"product_id": product["product_id"], "uri": d["archive_uri"], "met_uri": met,
                         "tier": "archive", "cache_expires_at": None}], settings)
    record([cache_step(product["product_id"], d, "evicted", "its cached copy was overwritten with other content",
                       old["uri"], now)], settings)
    raise _other_content(product, old, differ, old["uri"], "its cached copy there was overwritten, so the catalogue "
                         f"points at the archive again ({d['archive_uri']})")


def _adopt(product: dict[str, Any], old: dict[str, Any], new: tuple[str, str], d: dict[str, Any] | None,
           placement: Placement, settings: Settings, now: datetime) -> None:
    """Point ``product`` at the copy made again at ``new`` (uri, met_uri) as its cached copy, where that is safe."""
    from lake.archive_cache import cache_step

    pid, (uri, met_uri) = product["product_id"], new
    if d is None or (d["version"] or "1") != (old["version"] or "1"):
        logger.warning("%s is %s at %s but no delivery of version %s is recorded: its location is kept (made "
                       "again at %s; see `sarlake archive verify`)", pid, old["tier"], old["uri"], old["version"],
                       uri)
        return
    differ = _differing_files(product, d)
    if differ:
        product["met_uri"] = met_uri
        raise _other_content(product, old, differ, uri, "catalogued, this copy would hide the archived product, "
                             "and be undone when its cache expires")
    if d["step"] != "hot_deleted" and uri == d["hot_uri"]:
        logger.info("%s is being archived: its hot copy at %s goes with the roll's next step; the archive location "
                    "is kept", pid, uri)
        return
    until = now + timedelta(days=settings.daac.cache_ttl_days)
    if old["tier"] == "cached" and old["cache_expires_at"] is not None:
        until = max(until, old["cache_expires_at"])
    replaced = ""
    if old["tier"] == "cached":
        placement.superseded.append((old["uri"], d["files"]))
        replaced = f"; replaces the cached copy at {old['uri']}"
    product.update(uri=uri, met_uri=met_uri, tier="cached", cache_expires_at=until)
    reason = f"made again at the archived version by run {product.get('run_id') or '?'}: cached until " \
             f"{until.isoformat()}{replaced}"
    placement.steps.append(cache_step(pid, d, "restored", reason, uri, now))
    logger.info("%s: %s", pid, reason)


def _differing_files(product: dict[str, Any], d: dict[str, Any]) -> list[str]:
    """The files of the new copy whose catalogued sha256 is not the delivered file's (none known: not compared).

    The PGEs here are deterministic (the forward DAG made again with *reprocess* records every asset's sha256 as
    before: ``tests/test_forward_e2e.py``), so a difference means other content, not another run.
    """
    from lake.archive_files import catalogued_checksums

    delivered = {f["name"]: f.get("sha256") for f in d["files"]}
    return [name for name, digest in catalogued_checksums(product.get("assets")).items()
            if delivered.get(name) != digest]

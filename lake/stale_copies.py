"""Folders of a product the catalogue points at elsewhere (``stale_hot_copy``), and which repair makes its cache.

``lake verify`` finds published met.json files of a product whose row names another folder. Such a folder is left by:

* a roll that stopped before deleting the hot copy of a product it archived: the roll's next step deletes it;
* a cataloguing that stopped between its commit and deleting the cached copy that the copy made again replaces
  (:meth:`lake.placement.Placement.finish`): two copies of the same bytes, one of them catalogued;
* a product made again at its archived version with other content, which :mod:`lake.placement` refused;
* a product published in two folders while hot (the catalogue names the last one catalogued).

:func:`adoptable` picks the folders repair may catalogue again: those of an archived or cached product whose
delivery of that version has finished, at that version. Cataloguing one goes through :mod:`lake.placement` as any
copy made again does: the delivered bytes become the cached copy (a cached copy it replaces is deleted, so one copy
stays), other content is refused and left where it is. Hot products' folders are never touched: which one is
wanted is the operator's call.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from lake.settings import Settings
from lake.storage import read_bytes

__all__ = ["adoptable", "describe"]

logger = logging.getLogger(__name__)


def describe(tier: str | None, catalogued_at: str) -> str:
    """The ``stale_hot_copy`` finding's detail for a product of ``tier`` whose met.json is at ``catalogued_at``."""
    if tier in ("archive", "cached"):
        return (f"a copy of the product {'archived' if tier == 'archive' else 'cached'} at {catalogued_at}: the next "
                "archive roll deletes it if its delivery stopped before that step (`sarlake archive status`); "
                "otherwise `sarlake lake verify --repair` makes it the cached copy when its files are the bytes "
                "delivered, and leaves it when they are not (made again with other content: delete it)")
    return (f"another folder of the product catalogued at {catalogued_at} (published twice, e.g. ingested into two "
            "AOIs): repair leaves the catalogue as it is; delete this folder if it is not wanted")


def adoptable(findings: list[Any], settings: Settings) -> list[str]:
    """The met.json URIs of the ``stale_hot_copy`` findings that repair catalogues again (module doc)."""
    from lake.archive_cache import deliveries, stored_products

    stale = {f.path: f.product_id for f in findings if f.kind == "stale_hot_copy" and f.path and f.product_id}
    if not stale:
        return []
    rows = {r["product_id"]: r for r in stored_products(set(stale.values()), settings)
            if r["tier"] in ("archive", "cached")}
    delivered = deliveries(settings, rows) if rows else {}
    out = []
    for met, pid in sorted(stale.items()):
        row, d = rows.get(pid), delivered.get(pid)
        if row is None or d is None or (d["version"] or "1") != (row["version"] or "1"):
            continue
        if d["step"] != "hot_deleted" and met.rsplit("/", 1)[0].rstrip("/") == (d["hot_uri"] or "").rstrip("/"):
            continue  # the roll's own hot copy: its next step deletes it
        version = _version(met, settings)
        if (version or "1") != (row["version"] or "1"):
            logger.info("%s: version %s, not the stored %s: left as it is", met, version, row["version"])
            continue
        out.append(met)
    return out


def _version(met: str, settings: Settings) -> str | None:
    """The ``sarlake:version`` of a met.json (None when unreadable or absent)."""
    try:
        props = json.loads(read_bytes(met, settings)).get("properties") or {}
    except (OSError, ValueError, AttributeError):
        return None
    return props.get("sarlake:version") if isinstance(props, dict) else None

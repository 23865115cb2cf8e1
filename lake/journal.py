"""Write-ahead journal of cataloguing: a product and its provenance appear together, or are completed later.

The SQL catalogue commits one table at a time, so cataloguing is three steps:

1. a journal record holding the ``provenance`` and ``products`` rows is written under
   ``<warehouse>/_journal/catalogue/`` (one JSON object, written atomically);
2. ``provenance`` is upserted, then ``products`` (in that order, so a reader never sees a product without
   its provenance; a kill in between leaves provenance whose product row is missing or older);
3. the record is deleted.

A record that is still there after its writer died is *pending*. :func:`complete` finishes it: every row of
the record that nobody has written since the record began is upserted again (upserts are idempotent), so a
later re-catalogue of the same product is never reverted. ``lake.verify.repair`` (``sarlake lake verify
--repair``) completes every pending record; a successful re-run of the same cataloguing drops the records
it supersedes.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from lake.settings import Settings
from lake.storage import delete, join, list_uris, read_bytes, write_bytes

__all__ = ["JournalRecord", "begin", "complete", "finish", "pending", "supersede"]

logger = logging.getLogger(__name__)

#: Tables a record holds rows of, in the order they are committed.
ORDER = ("provenance", "products")


@dataclass(frozen=True)
class JournalRecord:
    """One cataloguing in progress (or interrupted).

    Attributes:
        uri: where the record is stored.
        created_at: when cataloguing began (UTC).
        rows: table name -> rows (JSON-safe: times as ISO strings).
    """

    uri: str
    created_at: datetime
    rows: dict[str, list[dict[str, Any]]]

    @property
    def product_ids(self) -> list[str]:
        """Ids of the products the record catalogues."""
        return [r["product_id"] for r in self.rows.get("products", [])]


def _folder(settings: Settings) -> str:
    return join(settings.warehouse, "_journal", "catalogue")


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def begin(rows: dict[str, list[dict[str, Any]]], settings: Settings) -> JournalRecord:
    """Write a record before cataloguing ``rows`` (table name -> rows).

    Returns:
        The record (pass it to :func:`finish` once every table is committed).
    """
    now = datetime.now(UTC)
    safe = {t: [{k: _json_value(v) for k, v in r.items()} for r in rs] for t, rs in rows.items()}
    uri = join(_folder(settings), f"{now.strftime('%Y%m%dT%H%M%S%fZ')}-{uuid.uuid4().hex[:12]}.json")
    write_bytes(uri, json.dumps({"created_at": now.isoformat(), "rows": safe}).encode(), settings)
    return JournalRecord(uri, now, safe)


def finish(record: JournalRecord, settings: Settings) -> None:
    """Delete a record whose rows are all committed."""
    delete(record.uri, settings)


def pending(settings: Settings) -> list[JournalRecord]:
    """Records still in the journal, oldest first (interrupted cataloguings, or ones running right now)."""
    records = []
    for uri in list_uris(_folder(settings), ".json", settings):
        try:
            doc = json.loads(read_bytes(uri, settings))
        except FileNotFoundError:  # finished meanwhile
            continue
        except json.JSONDecodeError:
            logger.warning("unreadable journal record %s (ignored)", uri)
            continue
        records.append(JournalRecord(uri, datetime.fromisoformat(doc["created_at"]), doc["rows"]))
    return sorted(records, key=lambda r: (r.created_at, r.uri))


def complete(record: JournalRecord, settings: Settings) -> dict[str, int]:
    """Commit what an interrupted cataloguing did not, then delete its record.

    A row is written again unless the table holds a row of its key written after the record began (by this
    cataloguing before it stopped, or by a later one, which must not be reverted).

    Returns:
        Rows written per table.
    """
    from lake.tables import TABLES
    from lake.write import upsert

    written = {}
    for table in ORDER:
        rows = record.rows.get(table, [])
        stale = _written_since(table, rows, record.created_at, settings)
        todo = [r for r in rows if tuple(r[k] for k in TABLES[table].key) not in stale]
        written[table] = upsert(table, todo, settings).written if todo else 0
    finish(record, settings)
    logger.info("completed journal record %s: %s", record.uri, written)
    return written


def supersede(record: JournalRecord, settings: Settings) -> int:
    """Delete older pending records whose every row has the same key as a row of ``record`` (just committed)."""
    from lake.tables import TABLES

    mine = {t: {tuple(r[k] for k in TABLES[t].key) for r in rs} for t, rs in record.rows.items()}
    dropped = 0
    for other in pending(settings):
        if other.uri == record.uri or other.created_at >= record.created_at:
            continue
        if all({tuple(r[k] for k in TABLES[t].key) for r in rs} <= mine.get(t, set()) for t, rs in other.rows.items()):
            finish(other, settings)
            dropped += 1
    return dropped


def _written_since(table: str, rows: list[dict[str, Any]], since: datetime, settings: Settings) -> set[tuple[Any, ...]]:
    """Keys of ``rows`` whose stored row was last changed after ``since``."""
    from pyiceberg.expressions import In

    from lake.catalog import load_table
    from lake.tables import TABLES

    if not rows:
        return set()
    key = TABLES[table].key
    ids = {r[key[0]] for r in rows}
    row_filter = In(key[0], ids)  # type: ignore[call-arg,arg-type]
    stored = load_table(table, settings).scan(row_filter=row_filter, selected_fields=(*key, "updated_at"))
    return {
        tuple(r[k] for k in key)
        for r in stored.to_arrow().to_pylist()
        if r["updated_at"] is not None and r["updated_at"] > since
    }

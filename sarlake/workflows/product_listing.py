"""Products as ``sarlake products list`` and ``show`` give them: the lake's rows filtered, or one product whole.

``list`` is one read-only query over ``products`` and the ``product_quality`` view (:func:`list_sql`), run like any
``sarlake sql`` statement (table, CSV, JSON or Parquet). Its filters are typed by the CLI and written into the SQL as
literals (a text value quoted, its quotes doubled), so the statement it prints with ``--show-sql`` runs as is in
``sarlake sql`` or a DuckDB client set up with ``sarlake sql-setup``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

__all__ = ["LIST_COLUMNS", "ProductFilter", "date_span", "jsonable", "list_sql", "product_summary", "query_rows"]

#: the columns of ``products list``, in order, and their SQL over products ``p`` and product_quality ``q``
_COLUMNS = {
    "product_id": "q.product_id", "product_type": "q.product_type", "aoi": "q.aoi", "track": "q.track",
    # an interferogram's two dates; a time series' first and last (the UTC days of its sensing interval)
    "first_date": "coalesce(q.secondary_date, CAST(timezone('UTC', p.start_time) AS DATE))",
    "last_date": "coalesce(q.reference_date, CAST(timezone('UTC', p.end_time) AS DATE))",
    "status": "q.status", "tier": "coalesce(p.tier, 'hot')",  # rows from before tiers are hot (init fills them)
    "p_error": "q.p_error", "predicted_uwe": "q.predicted_uwe", "uwe_consensus": "q.uwe_consensus",
    "is_default": "q.is_default",
}
LIST_COLUMNS = tuple(_COLUMNS)


@dataclass(frozen=True)
class ProductFilter:
    """What ``products list`` keeps: every given condition holds (None: no condition)."""

    aoi: str | None = None
    product_type: str | None = None
    status: str | None = None
    #: ``hot``, ``archive`` or ``cached`` (the products.tier values)
    tier: str | None = None
    track: int | None = None
    #: first acquisition (an interferogram's earlier date, a time series' first) on or after this day
    since: date | None = None
    #: last acquisition on or before this day
    until: date | None = None
    #: scored at most this p(error) (unscored products are left out)
    max_p_error: float | None = None
    #: scored at least this p(error)
    min_p_error: float | None = None
    #: only the default version of each reprocessed product
    default_only: bool = False


def _text(value: str) -> str:
    """``value`` as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def list_sql(f: ProductFilter) -> str:
    """The SELECT of the products ``f`` keeps, oldest pair first within each AOI."""
    day, number = (lambda d: f"DATE '{d.isoformat()}'"), (lambda x: repr(float(x)))
    checks: tuple[tuple[Any, str, Any], ...] = (
        (f.aoi, "q.aoi = {}", _text), (f.product_type, "q.product_type = {}", _text),
        (f.status, "q.status = {}", _text), (f.tier, _COLUMNS["tier"] + " = {}", _text),
        (f.track, "q.track = {}", int), (f.since, _COLUMNS["first_date"] + " >= {}", day),
        (f.until, _COLUMNS["last_date"] + " <= {}", day), (f.max_p_error, "q.p_error <= {}", number),
        (f.min_p_error, "q.p_error >= {}", number),
    )
    conds = [template.format(literal(value)) for value, template, literal in checks if value is not None]
    if f.default_only:
        conds.append("q.is_default")
    where = ("\nWHERE " + "\n  AND ".join(conds)) if conds else ""
    columns = ",\n       ".join(f"{sql} AS {name}" for name, sql in _COLUMNS.items())
    return (f"SELECT {columns}\nFROM product_quality q JOIN products p USING (product_id){where}\n"
            "ORDER BY aoi NULLS LAST, first_date, last_date, product_id")


def product_summary(product_id: str) -> dict[str, Any]:
    """One product as ``products show`` prints it: its row, quality, versions and tags.

    Returns:
        ``{"product": products row (no assets), "first_date", "last_date" (an interferogram's dates, a time
        series' first and last UTC days), "assets": {name: href}, "quality": product_quality row,
        "quality_failures": [expectation] (quarantined), "versions": [{product_id, is_default, p_error,
        pge_version}], "tags": [{tag_type, intensity, raters, agreement}], "deliveries": [each attempt to
        deliver it to the DAAC: :func:`deliveries`]}``; dates and times as ISO text.

    Raises:
        LakeError: the product is not in the lake.
    """
    from lake.exceptions import LakeError
    from lake.query import connect

    con = connect(catalogue=False)
    try:
        found = query_rows(con, "SELECT * FROM products WHERE product_id = ?", product_id)
        if not found:
            raise LakeError(f"product {product_id!r} is not in the lake (`sarlake products list` lists them)")
        product = found[0]
        quality = query_rows(con, "SELECT * EXCLUDE (product_id, product_type, aoi, track, reference_date, "
                                  "secondary_date, status) FROM product_quality WHERE product_id = ?", product_id)[0]
        versions = query_rows(con, "SELECT q.product_id, q.is_default, q.p_error, p.pge_version "
                                   "FROM product_quality q JOIN products p USING (product_id) WHERE q.original_id = ? "
                                   "ORDER BY p.pge_version, q.product_id", str(quality["original_id"]))
        tags = query_rows(con, "SELECT tag_type, intensity, raters, agreement FROM tag_consensus "
                               "WHERE product_id = ? ORDER BY tag_type", product_id)
        delivered = deliveries(con, product_id)
    finally:
        con.close()
    first, last = date_span(product)
    assets = json.loads(product.pop("assets", None) or "{}")
    return {"product": jsonable([product])[0], "first_date": first, "last_date": last,
            "assets": {k: (a or {}).get("href") for k, a in assets.items()},
            "quality": jsonable([quality])[0], "quality_failures": json.loads(product.get("quality_failures") or "[]"),
            "versions": jsonable(versions) if len(versions) > 1 else [], "tags": tags, "deliveries": delivered}


def deliveries(con: Any, product_id: str) -> list[dict[str, Any]]:
    """Each attempt to deliver ``product_id`` to the DAAC at its latest step, oldest first (JSON-ready).

    ``{transfer_id, version, step, held, waiting, replaced_by, archive_folder, reason (a refusal's), recorded_at}``;
    ``held``: the DAAC holds that version (``lake.archive_transfers.HELD``; ``sarlake archive retrieve`` copies it
    out), unless a later version was delivered into its folder: ``replaced_by`` names that version. ``waiting``:
    its CNM-S went out and the DAAC has not answered yet (since ``recorded_at``).
    """
    from lake.archive_transfers import HELD, STEPS

    return _mark_replaced(jsonable(query_rows(
        con, "SELECT transfer_id, version, step, list_contains(?, step) AS held, step = 'notified' AS waiting, "
             "archive_uri AS archive_folder, "
             "CASE WHEN step = 'failed' THEN reason END AS reason, recorded_at FROM archive_transfers "
             "WHERE product_id = ? AND list_contains(?, step) "
             "QUALIFY row_number() OVER (PARTITION BY transfer_id ORDER BY list_position(?, step) DESC) = 1 "
             "ORDER BY recorded_at, transfer_id", list(HELD), product_id, list(STEPS), list(STEPS))))


def _mark_replaced(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Held deliveries (oldest first) a later version's replaced in their folder are held no more (``replaced_by``)."""
    from lake.archive_transfers import replaced_by

    held = [r for r in rows if r["held"]]
    over = dict(zip((r["transfer_id"] for r in held), replaced_by([(r["version"], r["archive_folder"]) for r in held]),
                    strict=True))
    for r in rows:
        r["replaced_by"] = over.get(r["transfer_id"])
        r["held"] = bool(r["held"]) and r["replaced_by"] is None
    return rows


def query_rows(con: Any, sql: str, *params: Any) -> list[dict[str, Any]]:
    """The rows of ``sql`` (with ``params``) on a lake connection, as dicts of column name to value."""
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` as JSON holds them: dates and times as ISO text, the rest as is."""
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in rows]


def date_span(row: dict[str, Any]) -> tuple[str | None, str | None]:
    """The first and last days a product covers (ISO dates), from its ``products`` row as DuckDB returns it.

    An interferogram's secondary and reference dates; for a product without them (a time series, L3), the UTC
    days its sensing interval (``start_time``, ``end_time``) starts and ends. The SQL of ``products list``
    (``first_date``, ``last_date``) says the same.
    """
    def day(d: Any, t: Any) -> str | None:
        if d is not None:
            return str(d.isoformat())
        return t.astimezone(UTC).date().isoformat() if t is not None else None

    return (day(row.get("secondary_date"), row.get("start_time")),
            day(row.get("reference_date"), row.get("end_time")))

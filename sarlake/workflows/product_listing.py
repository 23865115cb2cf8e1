"""Products as ``sarlake products list`` and ``show`` give them: the lake's rows filtered, or one product whole.

``list`` is one read-only query over ``products`` and the ``product_quality`` view (:func:`list_sql`), run like any
``sarlake sql`` statement (table, CSV, JSON or Parquet). Its filters are typed by the CLI and written into the SQL as
literals (a text value quoted, its quotes doubled), so the statement it prints with ``--show-sql`` runs as is in
``sarlake sql`` or a DuckDB client set up with ``sarlake sql-setup``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = ["LIST_COLUMNS", "ProductFilter", "list_sql", "product_summary"]

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
        pge_version}], "tags": [{tag_type, intensity, raters, agreement}]}``; dates and times as ISO text.

    Raises:
        LakeError: the product is not in the lake.
    """
    from lake.exceptions import LakeError
    from lake.query import connect

    con = connect(catalogue=False)
    try:
        found = _rows(con, "SELECT * FROM products WHERE product_id = ?", product_id)
        if not found:
            raise LakeError(f"product {product_id!r} is not in the lake (`sarlake products list` lists them)")
        product = found[0]
        quality = _rows(con, "SELECT * EXCLUDE (product_id, product_type, aoi, track, reference_date, "
                             "secondary_date, status) FROM product_quality WHERE product_id = ?", product_id)[0]
        versions = _rows(con, "SELECT q.product_id, q.is_default, q.p_error, p.pge_version FROM product_quality q "
                              "JOIN products p USING (product_id) WHERE q.original_id = ? "
                              "ORDER BY p.pge_version, q.product_id", str(quality["original_id"]))
        tags = _rows(con, "SELECT tag_type, intensity, raters, agreement FROM tag_consensus WHERE product_id = ? "
                          "ORDER BY tag_type", product_id)
    finally:
        con.close()
    assets = json.loads(product.pop("assets", None) or "{}")
    failures = json.loads(product.get("quality_failures") or "[]")
    first, last = _day(product.get("secondary_date"), product.get("start_time")), \
        _day(product.get("reference_date"), product.get("end_time"))
    return {"product": product, "first_date": first, "last_date": last,
            "assets": {k: (a or {}).get("href") for k, a in assets.items()},
            "quality": quality, "quality_failures": failures,
            "versions": versions if len(versions) > 1 else [], "tags": tags}


def _day(day: str | None, time: str | None) -> str | None:
    """The ISO day ``day``, else that of the ISO time ``time`` in UTC (times from the lake are UTC)."""
    if day:
        return day
    if not time:
        return None
    from datetime import UTC, datetime

    return datetime.fromisoformat(time).astimezone(UTC).date().isoformat()


def _rows(con: Any, sql: str, *params: Any) -> list[dict[str, Any]]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in cur.fetchall()]


def _plain(value: Any) -> Any:
    """A DuckDB value as JSON holds it: dates and times as ISO text, the rest as is."""
    return value.isoformat() if hasattr(value, "isoformat") else value

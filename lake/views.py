"""Derived DuckDB views over the lake tables (created by :func:`lake.query.connect` after the table views).

``product_quality``: each product with its latest QA prediction, its UWE tag consensus and its version status::

    product_id, product_type, aoi, track, reference_date, secondary_date, status, p_error,
    model_name, model_version, predicted_uwe, degraded, predicted_at,     -- latest row of qa_predictions
    uwe_consensus, uwe_raters, uwe_agreement,                             -- tag_consensus, tag type UWE
    original_id, is_default                                               -- product_lineage (reprocessing)

``is_default`` is true for products never reprocessed and for the better-scored version of a reprocessed one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

__all__ = ["VIEWS", "create_views", "view_statements"]

PRODUCT_QUALITY = """
CREATE VIEW product_quality AS
WITH uwe AS (
    SELECT product_id, intensity AS uwe_consensus, raters AS uwe_raters, agreement AS uwe_agreement
    FROM tag_consensus WHERE tag_type = 'UWE'
)
SELECT p.product_id, p.product_type, p.aoi, p.track, p.reference_date, p.secondary_date, p.status, p.p_error,
       l.model_name, l.model_version, l.uwe_class AS predicted_uwe, l.degraded, l.predicted_at,
       u.uwe_consensus, u.uwe_raters, u.uwe_agreement,
       coalesce(g.original_id, p.product_id) AS original_id, coalesce(g.is_default, true) AS is_default
FROM products p
LEFT JOIN LATERAL (
    SELECT q.model_name, q.model_version, q.uwe_class, q.degraded, q.predicted_at
    FROM qa_predictions q WHERE q.product_id = p.product_id
    ORDER BY q.predicted_at DESC, q.model_version DESC LIMIT 1
) l ON true
LEFT JOIN uwe u ON u.product_id = p.product_id
LEFT JOIN product_lineage g ON g.product_id = p.product_id
"""
# The latest prediction is picked per product after the join (LATERAL ... LIMIT 1), not by a window over every
# row of qa_predictions: a filter on products (a track, a month) then limits the work to its products. With one
# prediction per product the window version took 3.8 s at 1M products and 60 s at 10M (bench_lake, 2026-11-30).

#: view name -> (tables it needs, CREATE VIEW statement)
VIEWS: dict[str, tuple[tuple[str, ...], str]] = {
    "product_quality": (("products", "qa_predictions", "tag_consensus", "product_lineage"), PRODUCT_QUALITY),
}


def view_statements(tables: list[str]) -> dict[str, str]:
    """``name -> CREATE OR REPLACE VIEW ...`` of every derived view whose tables are among ``tables``.

    ``sarlake sql-setup`` prints them after the table views, so a plain DuckDB client sees what ``sarlake sql`` sees.
    """
    return {name: sql.strip().replace("CREATE VIEW", "CREATE OR REPLACE VIEW", 1)
            for name, (needs, sql) in VIEWS.items() if set(needs) <= set(tables)}


def create_views(con: duckdb.DuckDBPyConnection, tables: list[str]) -> list[str]:
    """Create every derived view whose tables are among ``tables``; return the names created."""
    made = view_statements(tables)
    for sql in made.values():
        con.execute(sql)
    return list(made)

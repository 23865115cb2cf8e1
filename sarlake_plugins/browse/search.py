"""Faceted search over the lake: facet counts, one page of results and the SQL behind them, in DuckDB.

The ``browse`` relation joins ``products`` with ``product_quality`` (latest QA prediction) and the consensus
tags. Each facet is counted under every filter except its own (so a facet shows what choosing another of its
values would give). Every user value is a bound parameter (``?``); the only SQL text is constant, or a column
name picked from a fixed table. The SQL returned to the page has the values written in as literals, for
analysts to paste into ``sarlake sql``; it is never executed by this module.
"""

from __future__ import annotations

import logging
import time
from datetime import date
from typing import Any
from urllib.parse import quote

from sarlake.workflows.product_listing import date_span
from sarlake_plugins.browse.filters import (
    BINS,
    CATEGORICAL,
    FACETS,
    NONE,
    NOT_SCORED_WHEN,
    SORTS,
    TIERS,
    FilterError,
    Query,
)

__all__ = ["BROWSE_SELECT", "BROWSE_SQL", "literal_sql", "materialize", "search"]

logger = logging.getLogger(__name__)

#: the joined relation behind every view: products, latest QA prediction, consensus tags, storage tier, event
_BASE = """SELECT p.product_id, p.product_type, p.aoi, p.track, p.direction, p.reference_date, p.secondary_date,
           p.start_time, p.end_time,
           p.temporal_baseline_days, p.coherence_mean, p.status, p.pge_name, p.pge_version,
           p.west, p.south, p.east, p.north, p.footprint_wkt, q.p_error, q.predicted_uwe, q.model_version,
           CASE coalesce(p.tier, 'hot') WHEN 'archive' THEN 'archived' WHEN 'cached' THEN 'restored'
                ELSE coalesce(p.tier, 'hot') END AS tier, p.cache_expires_at, e.event_id AS event,
           coalesce(t.tags, []) AS tags
    FROM products p JOIN product_quality q USING (product_id)
    LEFT JOIN (SELECT product_id, list(tag_type || '_' || CAST(intensity AS VARCHAR) ORDER BY tag_type) AS tags
               FROM tag_consensus WHERE intensity IS NOT NULL GROUP BY product_id) t USING (product_id)
    LEFT JOIN (SELECT aoi, min(event_id) AS event_id FROM events WHERE aoi IS NOT NULL GROUP BY aoi) e
           ON e.aoi = p.aoi"""

#: facet -> SQL expression of its value as text, over the base columns (constant SQL)
_EXPR: dict[str, str] = {
    **{k: f"coalesce(CAST({c} AS VARCHAR), '{NONE}')" for k, c in CATEGORICAL.items()},
    "predicted_uwe": f"CASE {NOT_SCORED_WHEN} ELSE coalesce('UWE_' || CAST(predicted_uwe AS VARCHAR), 'unscored') END",
    **{k: expr for k, (expr, _) in BINS.items()},
}

#: the browse relation: the base columns and, per facet, its value as text (``f_<facet>``), computed once
BROWSE_SELECT = ("SELECT b.*, " + ", ".join(f"{e} AS f_{k}" for k, e in _EXPR.items())
                 + f"\nFROM (\n    {_BASE}\n) b")

#: prefix of the SQL shown to analysts: the same relation as a CTE, so it runs as is in ``sarlake sql``
BROWSE_SQL = f"WITH browse AS MATERIALIZED (\n{BROWSE_SELECT}\n)\n"


#: the consensus tags of each product (the ``tags`` column of ``browse``)
_TAGS = """SELECT product_id, list(tag_type || '_' || CAST(intensity AS VARCHAR) ORDER BY tag_type) AS tags
               FROM tag_consensus WHERE intensity IS NOT NULL GROUP BY product_id"""
#: tables that only the ``tags`` column depends on (user_tags: not read, but committed with the consensus)
_TAG_TABLES = {"tag_consensus", "user_tags"}


def materialize(con: Any, changed: set[str] | None = None) -> dict[str, Any]:
    """Create the ``browse`` table (the lake's current snapshot of :data:`BROWSE_SELECT`) on ``con``.

    Args:
        con: a connection with the lake views.
        changed: the tables whose snapshot changed since ``browse`` was built (None: build it from scratch).
            Only tags changed: the ``tags`` of the products whose consensus changed are updated; no table
            ``browse`` reads: nothing.

    Returns:
        ``{"ms": time taken, "rows": rows, "files": data files the scans read (from the query plan; None when
        no scan reports them), "how"}``.
    """
    t0 = time.perf_counter()
    files: int | None  # None: no scan reported the files it read
    if changed is not None and not changed & ({"products", "qa_predictions", "product_lineage", "events"}
                                              | _TAG_TABLES):
        how, files = "unchanged", 0
    elif changed is not None and changed <= _TAG_TABLES:
        # only the products whose consensus changed (usually the one just tagged) are updated
        plan = con.execute(
            f"{_PROFILE} UPDATE browse SET tags = n.tags FROM (SELECT b.product_id, coalesce(t.tags, []) AS tags "
            f"FROM browse b LEFT JOIN ({_TAGS}) t USING (product_id) WHERE b.tags IS DISTINCT FROM "
            "coalesce(t.tags, [])) n WHERE browse.product_id = n.product_id").fetchall()
        how, files = "tags", plan_files(plan[-1][-1])
    else:
        plan = con.execute(f"{_PROFILE} CREATE OR REPLACE TABLE browse AS " + BROWSE_SELECT).fetchall()
        how, files = "full", plan_files(plan[-1][-1])
    rows = con.execute("SELECT count(*) FROM browse").fetchall()[0][0]
    return {"ms": round((time.perf_counter() - t0) * 1000, 1), "rows": rows, "files": files, "how": how}


#: Run a statement and return DuckDB's profile of it as JSON (one row: ``analyzed_plan``, the JSON text).
_PROFILE = "EXPLAIN (ANALYZE, FORMAT json)"


def plan_files(plan: str) -> int | None:
    """Data files read according to a DuckDB ``EXPLAIN (ANALYZE, FORMAT json)`` profile of Iceberg scans.

    Summed over every operator's ``Total Files Read``; None when no operator reports it (no Iceberg scan). The
    JSON form is read, not the drawn text tree: in a wide tree the number lands on another line than its label.
    """
    import json

    def walk(node: Any) -> list[dict[str, Any]]:
        if isinstance(node, list):
            return [n for child in node for n in walk(child)]
        if not isinstance(node, dict):
            return []
        return [node, *walk(node.get("children", []))]

    try:
        profile = json.loads(plan)
    except ValueError:
        return None
    found = [int(str(n["extra_info"]["Total Files Read"]).replace(",", "")) for n in walk(profile)
             if isinstance(n.get("extra_info"), dict) and "Total Files Read" in n["extra_info"]]
    return sum(found) if found else None


def _ensure_browse(con: Any) -> None:
    """Materialize ``browse`` on a connection that does not have it yet (a connection not from the app's)."""
    if not con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'browse'").fetchall():
        materialize(con)


def _conditions(q: Query) -> list[tuple[str | None, str, list[Any]]]:
    """``(facet or None, SQL condition, params)`` of the query."""
    out: list[tuple[str | None, str, list[Any]]] = []
    for facet, values in q.selected.items():
        if facet == "tag":
            out.append((facet, "list_has_any(tags, ?::VARCHAR[])", [values]))
        else:
            out.append((facet, f"f_{facet} = ANY(?::VARCHAR[])", [values]))
    for col, op, value in (("reference_date", ">=", q.ref_from), ("reference_date", "<=", q.ref_to),
                           ("secondary_date", ">=", q.sec_from), ("secondary_date", "<=", q.sec_to)):
        if value is not None:
            out.append((None, f"{col} {op} ?", [value]))
    if q.text:
        out.append((None, "contains(product_id, ?)", [q.text]))
    if q.region:
        w, s, e, n = q.region
        out.append((None, "east >= ? AND west <= ? AND north >= ? AND south <= ?", [w, e, s, n]))
    return out


def _where(conds: list[tuple[str | None, str, list[Any]]], skip: str | None = None) -> tuple[str, list[Any]]:
    parts, params = [], []
    for facet, sql, p in conds:
        if facet is not None and facet == skip:
            continue
        parts.append(f"({sql})")
        params.extend(p)
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def _facet_sql(conds: list[tuple[str | None, str, list[Any]]]) -> tuple[str, list[Any]]:
    """Every facet's counts over the materialized ``browse`` table, each under every filter but its own.

    One GROUP BY per facet on the precomputed ``f_<facet>`` column (DuckDB runs the branches in parallel over
    the in-memory table; a single pass unnesting one entry per facet and row measured ten times slower).
    """
    selects, params = [], []
    for facet in FACETS:
        where, p = _where(conds, skip=facet)
        if facet == "tag":
            selects.append(f"SELECT 'tag' AS facet, v AS value, count(*) AS n FROM "
                           f"(SELECT unnest(tags) AS v FROM browse{where}) GROUP BY v")
        else:
            selects.append(f"SELECT '{facet}' AS facet, f_{facet} AS value, count(*) AS n "
                           f"FROM browse{where} GROUP BY value")
        params.extend(p)
    return "\nUNION ALL\n".join(selects), params


def _results_sql(q: Query, conds: list[tuple[str | None, str, list[Any]]]) -> tuple[str, list[Any]]:
    where, params = _where(conds)
    order = f"{SORTS[q.sort]} {'DESC' if q.descending else 'ASC'} NULLS LAST, product_id"
    sql = ("SELECT product_id, product_type, aoi, track, direction, reference_date, secondary_date,\n"
           "       start_time, end_time,\n"
           "       temporal_baseline_days, coherence_mean, p_error, predicted_uwe, model_version, status,\n"
           f"       pge_version, tier, event, tags, count(*) OVER () AS total\nFROM browse{where}\n"
           f"ORDER BY {order}\nLIMIT ? OFFSET ?")
    return sql, [*params, q.page_size, (q.page - 1) * q.page_size]


def _check_values_exist(con: Any, q: Query) -> None:
    """Refuse selected values of categorical facets that no product has (a typo, not an empty result)."""
    for facet, values in q.selected.items():
        if facet in ("tag", *[b for b, (_, labels) in BINS.items() if labels]):
            continue
        found = {r[0] for r in con.execute(
            f"SELECT DISTINCT f_{facet} FROM browse WHERE list_contains(?::VARCHAR[], f_{facet})",
            [values]).fetchall()}
        missing = [v for v in values if v not in found]
        if missing and facet == "aoi":  # a stored AOI with no product yet is an empty result, not a typo
            stored = {r[0] for r in con.execute("SELECT name FROM aois WHERE list_contains(?::VARCHAR[], name)",
                                                [missing]).fetchall()}
            missing = [v for v in missing if v not in stored]
        if missing:
            raise FilterError(f"{facet}={missing[0]!r} is not a value any product has; pick one from the "
                              f"{facet} facet")


def literal_sql(sql: str, params: list[Any]) -> str:
    """``sql`` with each ``?`` replaced by its parameter as a SQL literal (for display and copy, never run here)."""
    def lit(v: Any) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, list):
            return "[" + ", ".join(lit(x) for x in v) + "]"
        if isinstance(v, date):
            return f"DATE '{v.isoformat()}'"
        if isinstance(v, (int, float)):
            return repr(v)
        return "'" + str(v).replace("'", "''") + "'"

    pieces = sql.split("?")
    if len(pieces) - 1 != len(params):
        raise ValueError(f"{len(pieces) - 1} placeholders but {len(params)} parameters")
    out = [pieces[0]]
    for p, rest in zip(params, pieces[1:], strict=True):
        out += [lit(p), rest]
    return "".join(out)


def search(q: Query, con: Any | None = None) -> dict[str, Any]:
    """Facets, one page of results and the SQL behind them.

    Args:
        q: the validated query.
        con: a DuckDB connection with the lake views (default: :func:`lake.query.connect`).

    Returns:
        ``{"total", "page", "page_size", "results": [...], "facets": {facet: [{"value", "count",
        "selected"}]}, "sql": {"results", "facets"}, "server_ms"}``.

    Raises:
        FilterError: a selected value that no product has.
    """
    t0 = time.perf_counter()
    if con is None:
        from lake.query import connect

        con = connect(catalogue=False)  # open for long: no lock on dbt's catalogue file
    _ensure_browse(con)
    _check_values_exist(con, q)
    conds = _conditions(q)
    fsql, fparams = _facet_sql(conds)
    facets: dict[str, list[dict[str, Any]]] = {f: [] for f in FACETS}
    for facet, value, n in con.execute(fsql, fparams).fetchall():
        facets[facet].append({"value": value, "count": n, "selected": value in q.selected.get(facet, [])})
    for facet, items in facets.items():
        order = TIERS if facet == "tier" else BINS.get(facet, ("", ()))[1]
        items.sort(key=lambda i: (order.index(i["value"]) if i["value"] in order else len(order), str(i["value"])))
    rsql, rparams = _results_sql(q, conds)
    cur = con.execute(rsql, rparams)
    cols = [d[0] for d in cur.description]
    rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    total = rows[0]["total"] if rows else 0
    for r in rows:
        r.pop("total")
        r["first_date"], r["last_date"] = date_span(r)
        for k in ("reference_date", "secondary_date", "start_time", "end_time"):
            r[k] = r[k].isoformat() if r[k] else None
        r["thumbnail"] = f"api/products/{quote(r['product_id'], safe='')}/browse.png"
    return {"total": total, "page": q.page, "page_size": q.page_size, "results": rows, "facets": facets,
            "sql": {"results": literal_sql(BROWSE_SQL + rsql, rparams),
                    "facets": literal_sql(BROWSE_SQL + fsql, fparams)},
            "server_ms": round((time.perf_counter() - t0) * 1000, 1)}

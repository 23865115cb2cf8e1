"""The versions of a reprocessed interferogram (``product_lineage``): how often it was made again, which is default.

An original and every version reprocessing made of it share an ``original_id``. One of them, the best-scored, is
the default (``is_default``), which time series and the ``product_quality`` view take. Reprocessing makes a product
again at most ``SARLAKE_QA_REPROCESS_ATTEMPTS`` times (``qa_reprocess_attempts``), and never with parameters one of
its versions was already made with (:func:`variant`).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["attempts_of", "choose_default", "unscored", "variant", "versions_of"]

_FIELDS = ("product_id", "original_id", "reason", "parameters", "p_error", "is_default", "run_id")


def unscored(p_error: float | None) -> bool:
    """No score to compare (None, or NaN from a table)."""
    return p_error is None or math.isnan(p_error)


def variant(parameters: dict[str, Any]) -> tuple[str, tuple[int, ...], float]:
    """What reprocessing changes in a version's parameters: the unwrapper, its tiles, the filter strength."""
    unwrap = parameters.get("unwrap") or {}
    method = str(unwrap.get("method", "snaphu"))
    tiles = tuple(int(n) for n in unwrap.get("ntiles") or (1, 1)) if method == "snaphu" else ()
    return method, tiles, round(float((parameters.get("filter") or {}).get("strength", 0.5)), 3)


def versions_of(con: Any, originals: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Each original's versions recorded in ``product_lineage`` (original -> product -> row), the original first."""
    if not originals:
        return {}
    rows = con.execute(f"SELECT {', '.join(_FIELDS)} FROM product_lineage WHERE list_contains(?::VARCHAR[], "
                       "original_id) ORDER BY original_id, product_id <> original_id, created_at, product_id",
                       [sorted(set(originals))]).fetchall()
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        record = dict(zip(_FIELDS, row, strict=True))
        out.setdefault(record["original_id"], {})[record["product_id"]] = record
    return out


def attempts_of(con: Any, product_id: str) -> tuple[str, int]:
    """The original of ``product_id`` (itself when never reprocessed) and how many times it was made again."""
    found = con.execute("SELECT original_id FROM product_lineage WHERE product_id = ? LIMIT 1",
                        [product_id]).fetchall()
    original = found[0][0] if found else product_id
    made = con.execute("SELECT count(*) FROM product_lineage WHERE original_id = ? AND product_id <> original_id",
                       [original]).fetchall()
    return original, int(made[0][0])


def choose_default(versions: dict[str, dict[str, Any]]) -> str:
    """The version to mark default: the lowest p(error); the one already default (or the first) keeps a tie.

    An unscored version loses to any scored one.
    """
    best = next((pid for pid, v in versions.items() if v.get("is_default")), next(iter(versions)))
    for pid, v in versions.items():
        p, p_best = v["p_error"], versions[best]["p_error"]
        if not unscored(p) and (unscored(p_best) or p < p_best):
            best = pid
    return best


"""Reprocess interferograms QA judged bad: re-unwrap with other parameters, re-score, keep both versions.

For each L2 interferogram with ``p_error`` above the threshold (``SARLAKE_QA_MAX_P_ERROR``) that has no
version in ``product_lineage`` yet, the interferogram PGE runs again on the same two SLCs (from the product's
provenance) with :func:`alternative_parameters`: the other unwrapper (SNAPHU <-> quality-guided) and a stronger
Goldstein filter. The new product is catalogued (its own id: the parameters are part of the id hash), scored
with the champion, and both versions are recorded in ``product_lineage`` with their scores and parameters;
the lower p(error) is the default (``is_default``), which the ``product_quality`` view shows.
"""

from __future__ import annotations

import json
import logging
from typing import Any

__all__ = ["alternative_parameters", "reprocess_bad_products"]

logger = logging.getLogger(__name__)


def alternative_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """The other unwrapper and a filter 0.3 stronger (at most 1) than ``parameters`` (interferogram PGE's)."""
    p = json.loads(json.dumps(parameters))
    method = (p.get("unwrap") or {}).get("method", "snaphu")
    p["unwrap"] = {"method": "quality" if method == "snaphu" else "snaphu"}
    flt = dict(p.get("filter") or {})
    flt["strength"] = round(min(1.0, float(flt.get("strength", 0.5)) + 0.3), 3)
    p["filter"] = flt
    return p


def reprocess_bad_products(max_p_error: float | None = None, limit: int = 20,
                           run_id: str = "manual__reprocess",
                           product_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Reprocess up to ``limit`` bad products; return one record per original (both scores, the default).

    With ``product_ids`` (an operator's request, e.g. from the browse UI) exactly those interferograms are
    reprocessed, whatever their p(error); those already in ``product_lineage`` are skipped (logged).

    Raises:
        ModelMissingError: no champion to score the new versions.
    """
    from lake.catalogue import catalogue_products
    from lake.query import connect
    from lake.settings import get_settings
    from lake.write import upsert
    from sarlake.workflows.pge import run_pge
    from sarlake.workflows.qa import score_products

    settings = get_settings()
    threshold = settings.qa_max_p_error if max_p_error is None else max_p_error
    con = connect(settings)
    chosen = "list_contains(?::VARCHAR[], p.product_id)" if product_ids else "p.p_error > ?"
    bad = con.execute(
        "SELECT p.product_id, p.aoi, coalesce(p.p_error, 'NaN'::DOUBLE) FROM products p "
        f"WHERE p.product_type = 'L2_IFG' AND {chosen} "
        "AND p.product_id NOT IN (SELECT product_id FROM product_lineage) ORDER BY p.p_error DESC LIMIT ?",
        [list(product_ids) if product_ids else threshold, limit],
    ).fetchall()
    if product_ids and len(bad) < len(set(product_ids)):
        logger.warning("not reprocessed (not an interferogram, or already reprocessed): %s",
                       sorted(set(product_ids) - {b[0] for b in bad}))
    done = []
    for product_id, aoi, p_old in bad:
        prov = con.execute(
            "SELECT inputs, parameters FROM provenance WHERE product_id = ? AND pge_name = 'interferogram' "
            "ORDER BY finished_at DESC LIMIT 1", [product_id]).fetchone()
        if prov is None:
            logger.warning("%s has no interferogram provenance: cannot reprocess it", product_id)
            continue
        old_params = json.loads(prov[1] or "{}")
        new_params = alternative_parameters(old_params)
        result = run_pge("interferogram", {
            "pge": "interferogram", "run_id": run_id, "inputs": list(prov[0]),
            "output_dir": f"{settings.products_root.rstrip('/')}/L2_IFG/{aoi or 'reprocessed'}",
            "parameters": new_params,
        })
        met_uris = [p["met_uri"] for p in result["products"]]
        new_id = catalogue_products(met_uris, {"run_id": run_id, "task_id": "reprocess", "runner": settings.runner},
                                    settings)[0]
        p_new = score_products([new_id], run_id=run_id)[0]["p_error"]
        reason = "requested" if product_ids else f"p_error {p_old:.3f} > {threshold}"
        new_is_default = p_new < p_old
        upsert("product_lineage", [
            {"product_id": product_id, "original_id": product_id, "reason": "original", "p_error": p_old,
             "parameters": json.dumps(old_params), "is_default": not new_is_default, "run_id": run_id},
            {"product_id": new_id, "original_id": product_id, "reason": reason, "p_error": p_new,
             "parameters": json.dumps(new_params), "is_default": new_is_default, "run_id": run_id},
        ], settings)
        logger.info("%s (p_error %.3f) reprocessed as %s (p_error %.3f); default: %s", product_id, p_old, new_id,
                    p_new, new_id if new_is_default else product_id)
        done.append({"original": product_id, "reprocessed": new_id, "p_error_original": p_old,
                     "p_error_reprocessed": p_new, "default": new_id if new_is_default else product_id})
    return done

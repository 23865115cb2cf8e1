"""Reprocess interferograms QA judged bad: re-unwrap with other parameters, re-score, keep both versions.

For each L2 interferogram the interferogram PGE made with ``p_error`` above the threshold
(``SARLAKE_QA_MAX_P_ERROR``) that has no version in ``product_lineage`` yet, the interferogram PGE runs again on the
same two SLCs (from the product's provenance) with :func:`alternative_parameters`: the other unwrapper (SNAPHU <->
quality-guided) and a stronger Goldstein filter. The new product is catalogued (its own id: the parameters are part
of the id hash), scored with the champion, and both versions are recorded in ``product_lineage`` with their scores
and parameters; the lower p(error) is the default (``is_default``), which the ``product_quality`` view shows.

Three steps, so that the PGE runs as every other PGE does: :func:`plan_reprocessing` (which products, their
run-configs, the requested PGE version's image), the interferogram PGE (the ``reprocess`` DAG's mapped PGE
task: a subprocess, or a pod of that version's image with ``SARLAKE_RUNNER=kubernetes``; its provenance
records the version that ran), and :func:`record_reprocessed` (catalogue, score, lineage).
:func:`reprocess_bad_products` chains them in one process for callers without Airflow.
"""

from __future__ import annotations

import json
import logging
from typing import Any

__all__ = ["alternative_parameters", "catalogue_reprocessed", "check_requested", "plan_reprocessing",
           "record_lineage", "record_reprocessed", "reprocess_bad_products"]

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


def plan_reprocessing(max_p_error: float | None = None, limit: int = 20, run_id: str = "manual__reprocess",
                      product_ids: list[str] | None = None, pge_version: str = "latest", runner: str | None = None,
                      settings: Any = None) -> list[dict[str, Any]]:
    """Choose the products to reprocess and make one interferogram PGE run-config for each.

    Args:
        max_p_error: reprocess products above this (``SARLAKE_QA_MAX_P_ERROR`` when None).
        limit: at most this many products.
        run_id: recorded in the run-configs.
        product_ids: exactly these interferograms (an operator's request), whatever their p(error).
        pge_version: ``latest`` or a registered version of the interferogram PGE; a version that is not the
            installed one carries its image (``pge_image``), which the Kubernetes runner runs.
        runner: ``local`` or ``kubernetes`` (the settings' by default).
        settings: the lake settings.

    Returns:
        One plan per product: ``{"original", "aoi", "p_error", "old_parameters", "new_parameters", "version",
        "run_config"}``, worst first.

    Raises:
        ValueError: an unknown version, or a prior version asked of the local runner; a requested product that is
            not in the lake or not an interferogram (a requested one already reprocessed is skipped, logged).
    """
    from lake.query import connect
    from lake.settings import get_settings
    from sarlake.workflows.versions import IMAGE_KEY, resolve

    settings = settings or get_settings()
    version = resolve("interferogram", pge_version or "latest", runner=runner or settings.runner, settings=settings)
    threshold = settings.qa_max_p_error if max_p_error is None else max_p_error
    con = connect(settings, catalogue=False)
    if product_ids:
        check_requested(con, list(product_ids))
    chosen = "list_contains(?::VARCHAR[], p.product_id)" if product_ids else "p.p_error > ?"
    # each with its latest interferogram PGE run (its SLCs and parameters): only what that PGE made can be made
    # again, so above the threshold an ingested product is not taken (it would fill the limit on every run)
    bad = con.execute(
        "SELECT p.product_id, p.aoi, coalesce(p.p_error, 'NaN'::DOUBLE), v.inputs, v.parameters FROM products p "
        "JOIN LATERAL (SELECT inputs, parameters FROM provenance v WHERE v.product_id = p.product_id "
        "AND v.pge_name = 'interferogram' ORDER BY finished_at DESC LIMIT 1) v ON true "
        f"WHERE p.product_type = 'L2_IFG' AND {chosen} "
        "AND p.product_id NOT IN (SELECT product_id FROM product_lineage) ORDER BY p.p_error DESC LIMIT ?",
        [list(product_ids) if product_ids else threshold, limit],
    ).fetchall()
    if product_ids and len(bad) < len(set(product_ids)):  # check_requested refused every other reason
        logger.warning("not reprocessed (already reprocessed): %s", sorted(set(product_ids) - {b[0] for b in bad}))
    plans = []
    for product_id, aoi, p_old, inputs, parameters in bad:
        old_params = json.loads(parameters or "{}")
        new_params = alternative_parameters(old_params)
        run_config = {
            "pge": "interferogram", "run_id": run_id, "inputs": list(inputs),
            "output_dir": f"{settings.products_root.rstrip('/')}/L2_IFG/{aoi or 'reprocessed'}",
            "parameters": new_params, **({IMAGE_KEY: version["image"]} if version["image"] else {}),
        }
        plans.append({"original": product_id, "aoi": aoi, "p_error": p_old, "old_parameters": old_params,
                      "new_parameters": new_params, "version": version["version"], "run_config": run_config,
                      "reason": "requested" if product_ids else f"p_error {p_old:.3f} > {threshold}"})
    logger.info("%d product(s) to reprocess with interferogram PGE %s", len(plans), version["version"])
    return plans


def check_requested(con: Any, product_ids: list[str]) -> None:
    """Refuse requested products that cannot be reprocessed, naming the first and saying why.

    Those are products not in the lake, not interferograms, or not made from SLCs by the interferogram PGE (an
    interferogram ingested or unwrapped from another processor's files: nothing to re-make it from here). The
    messages name no option: the CLI takes the ids as arguments, the ``reprocess`` DAG as its *Products* param,
    the browse UI's shortcut one product.

    Raises:
        ValueError: the first reason, in that order.
    """
    from sarlake.workflows.qa import first_few

    known = dict(con.execute("SELECT product_id, product_type FROM products WHERE list_contains(?::VARCHAR[], "
                             "product_id)", [product_ids]).fetchall())
    unknown = sorted(set(product_ids) - set(known))
    if unknown:
        raise ValueError(f"{len(unknown)} requested product(s) not in the lake: {first_few(unknown)} (`sarlake sql "
                         "\"SELECT product_id FROM products WHERE product_type = 'L2_IFG'\"` lists the interferograms)")
    other = sorted(p for p, kind in known.items() if kind != "L2_IFG")
    if other:
        raise ValueError(f"requested product {other[0]} is a {known[other[0]]}: only interferograms (L2_IFG) are "
                         "reprocessed")
    made = dict(con.execute(  # an interferogram catalogued from another processor has no SLCs to be re-made from
        "SELECT p.product_id, p.pge_name FROM products p WHERE list_contains(?::VARCHAR[], p.product_id) AND NOT "
        "EXISTS (SELECT 1 FROM provenance v WHERE v.product_id = p.product_id AND v.pge_name = 'interferogram') "
        "ORDER BY p.product_id", [product_ids]).fetchall())
    if made:
        pid, pge = next(iter(made.items()))
        how = ("unwrap its wrapped interferogram again with other options (`sarlake unwrap FILE --method quality "
               "--replace`, --looks, --filter-strength; its provenance names FILE)" if pge == "unwrap" else
               "make it again with the processor that made it and ingest that with `sarlake ingest --replace`")
        raise ValueError(f"requested product {pid} was catalogued by the {pge or 'unknown'} PGE, not made from SLCs "
                         f"by the interferogram PGE, so it cannot be reprocessed here: {how}"
                         + (f" ({len(made) - 1} more like it)" if len(made) > 1 else ""))


def catalogue_reprocessed(plans: list[dict[str, Any]], results: list[dict[str, Any]], run_context: dict[str, Any],
                          settings: Any = None) -> list[str]:
    """Catalogue the PGE runs' products; return the new product of each plan, in the plans' order.

    Args:
        plans: :func:`plan_reprocessing`'s plans.
        results: the PGE result of each plan, in the same order.
        run_context: provenance context (``run_id``, ``dag_id``, ``task_id``, ``runner``).
        settings: the lake settings.
    """
    from lake.catalogue import catalogue_products
    from lake.settings import get_settings

    settings = settings or get_settings()
    if len(plans) != len(results):
        raise ValueError(f"{len(plans)} reprocessing plans but {len(results)} PGE results")
    return [catalogue_products([p["met_uri"] for p in result["products"]], run_context, settings)[0]
            for result in results]


def record_lineage(plans: list[dict[str, Any]], new_ids: list[str], scores: dict[str, float], run_id: str,
                   settings: Any = None) -> list[dict[str, Any]]:
    """Record both versions of each scored plan in ``product_lineage``; the better-scored is the default.

    Args:
        plans: :func:`plan_reprocessing`'s plans.
        new_ids: the new product of each plan (:func:`catalogue_reprocessed`).
        scores: p(error) of the new products; a plan whose new product has none is left out (not scored).
        run_id: recorded with the rows.
        settings: the lake settings.

    Returns:
        One record per original recorded: both ids, both scores, and which is the default.
    """
    from lake.settings import get_settings
    from lake.write import upsert

    rows, done = [], []
    for plan, new_id in zip(plans, new_ids, strict=True):
        if new_id not in scores:
            continue
        product_id, p_old, p_new = plan["original"], plan["p_error"], scores[new_id]
        new_is_default = p_new < p_old
        rows += [
            {"product_id": product_id, "original_id": product_id, "reason": "original", "p_error": p_old,
             "parameters": json.dumps(plan["old_parameters"]), "is_default": not new_is_default, "run_id": run_id},
            {"product_id": new_id, "original_id": product_id, "reason": plan["reason"], "p_error": p_new,
             "parameters": json.dumps(plan["new_parameters"]), "is_default": new_is_default, "run_id": run_id},
        ]
        logger.info("%s (p_error %.3f) reprocessed as %s (p_error %.3f, PGE %s); default: %s", product_id, p_old,
                    new_id, p_new, plan["version"], new_id if new_is_default else product_id)
        done.append({"original": product_id, "reprocessed": new_id, "p_error_original": p_old,
                     "p_error_reprocessed": p_new, "default": new_id if new_is_default else product_id,
                     "pge_version": plan["version"]})
    if rows:
        upsert("product_lineage", rows, settings or get_settings())
    return done


def record_reprocessed(plans: list[dict[str, Any]], results: list[dict[str, Any]], run_context: dict[str, Any],
                       settings: Any = None) -> list[dict[str, Any]]:
    """Catalogue the PGE runs' products, score them here, and record both versions in ``product_lineage``.

    The path without Airflow (:func:`reprocess_bad_products`); the ``reprocess`` DAG scores the new products with
    the ``qa`` PGE between :func:`catalogue_reprocessed` and :func:`record_lineage`.

    Returns:
        One record per original: both ids, both scores, and which is the default.

    Raises:
        ModelMissingError: no champion to score the new versions.
    """
    from lake.settings import get_settings
    from sarlake.workflows.qa import score_products

    settings = settings or get_settings()
    run_id = str(run_context.get("run_id") or "manual__reprocess")
    new_ids = catalogue_reprocessed(plans, results, run_context, settings)
    scores = {r["product_id"]: r["p_error"] for r in score_products(new_ids, run_id=run_id)} if new_ids else {}
    return record_lineage(plans, new_ids, scores, run_id, settings)


def reprocess_bad_products(max_p_error: float | None = None, limit: int = 20,
                           run_id: str = "manual__reprocess",
                           product_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Reprocess up to ``limit`` bad products in this process (the installed PGE); one record per original.

    The ``reprocess`` DAG runs the same three steps with the PGE as a PGE task (subprocess or pod, any
    registered version); this is the path without Airflow. With ``product_ids`` (an operator's request, e.g.
    from the browse UI) exactly those interferograms are reprocessed, whatever their p(error); those already in
    ``product_lineage`` are skipped (logged).

    Raises:
        ModelMissingError: no champion to score the new versions.
    """
    from lake.settings import get_settings
    from sarlake.workflows.pge import run_pge

    settings = get_settings()
    plans = plan_reprocessing(max_p_error, limit, run_id, product_ids, runner="local", settings=settings)
    results = [run_pge("interferogram", plan["run_config"]) for plan in plans]
    return record_reprocessed(plans, results, {"run_id": run_id, "task_id": "reprocess", "runner": "local"},
                              settings)

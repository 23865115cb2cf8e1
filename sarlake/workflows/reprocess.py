"""Reprocess interferograms QA judged bad: make them again with other parameters, re-score, keep every version.

For each L2 interferogram with ``p_error`` above the threshold (``SARLAKE_QA_MAX_P_ERROR``), or asked for, made
again fewer than ``SARLAKE_QA_REPROCESS_ATTEMPTS`` times, the PGE that made it runs again on its inputs with other
parameters (:mod:`sarlake.workflows.reprocess_plan`: the interferogram PGE on the two SLCs, the unwrap PGE on
another processor's wrapped interferogram; the other unwrapper and a stronger Goldstein filter). The new product is
catalogued (its own id: the parameters are part of the id hash), scored with the champion, and every version is
recorded in ``product_lineage`` with its score and parameters; the lowest p(error) is the default
(``is_default``), which the ``product_quality`` view shows. A product made again whose best version is still bad
is taken again by a later run, from its last version (:mod:`sarlake.workflows.reprocess_plan`).

Three steps, so that the PGE runs as every other PGE does: :func:`plan_reprocessing` (which products, their
run-configs, the requested PGE version's image), the PGE (the ``reprocess`` DAG's mapped PGE tasks, one per PGE: a
subprocess, or a pod of that version's image with ``SARLAKE_RUNNER=kubernetes``; its provenance records the
version that ran), and :func:`record_reprocessed` (catalogue, score, lineage). :func:`reprocess_bad_products`
chains them in one process for callers without Airflow.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sarlake.workflows.lineage import choose_default, unscored, versions_of
from sarlake.workflows.reprocess_plan import plan_reprocessing

__all__ = ["catalogue_reprocessed", "in_plan_order", "record_lineage", "record_reprocessed",
           "reprocess_bad_products", "to_score"]

logger = logging.getLogger(__name__)


def in_plan_order(plans: list[dict[str, Any]], results: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The PGE results of each plan in the plans' order, from each PGE's results in its own plans' order.

    Args:
        plans: :func:`plan_reprocessing`'s plans.
        results: per PGE (``plan["pge"]``), its runs' results (a mapped task's, in the order it was given them).

    Raises:
        ValueError: a PGE with more or fewer results than plans.
    """
    given = {pge: list(runs) for pge, runs in results.items()}
    for pge in {p["pge"] for p in plans} | set(given):
        asked = sum(p["pge"] == pge for p in plans)
        if asked != len(given.get(pge, [])):
            raise ValueError(f"{asked} reprocessing plans for the {pge} PGE but {len(given.get(pge, []))} results")
    return [given[p["pge"]].pop(0) for p in plans]


def catalogue_reprocessed(plans: list[dict[str, Any]], results: list[dict[str, Any]], run_context: dict[str, Any],
                          settings: Any = None) -> list[str]:
    """Catalogue the PGE runs' products; return the new product of each plan, in the plans' order.

    Args:
        plans: :func:`plan_reprocessing`'s plans.
        results: the PGE result of each plan, in the same order.
        run_context: provenance context (``run_id``, ``dag_id``, ``task_id``, ``runner``); without ``task_id``,
            each product's is its PGE's (the ``reprocess`` DAG's task that ran it).
        settings: the lake settings.
    """
    from lake.catalogue import catalogue_products
    from lake.settings import get_settings
    from sarlake.workflows.pge import kept_ids

    settings = settings or get_settings()
    if len(plans) != len(results):
        raise ValueError(f"{len(plans)} reprocessing plans but {len(results)} PGE results")
    return [catalogue_products([p["met_uri"] for p in result["products"]], {"task_id": plan["pge"], **run_context},
                               settings, kept=kept_ids([result]))[0]
            for plan, result in zip(plans, results, strict=True)]


def to_score(plans: list[dict[str, Any]], new_ids: list[str]) -> list[str]:
    """The products to score after reprocessing: the new ones, and the versions chosen that have no score to compare."""
    return [*new_ids, *(p["product"] for p in plans if unscored(p["p_error"]))]


def record_lineage(plans: list[dict[str, Any]], new_ids: list[str], scores: dict[str, float], run_id: str,
                   settings: Any = None) -> list[dict[str, Any]]:
    """Record each scored plan's new version in ``product_lineage`` beside the others; the best-scored is default.

    Args:
        plans: :func:`plan_reprocessing`'s plans.
        new_ids: the new product of each plan (:func:`catalogue_reprocessed`).
        scores: p(error) of the new products (a plan whose new product has none is left out: not scored), and of
            the versions scored with them (:func:`to_score`); an unscored version loses to any scored one.
        run_id: recorded with the new rows (and the original's, on its first reprocessing).
        settings: the lake settings.

    Returns:
        One record per original recorded: the original and the new version with their scores, the attempt, and
        which version is the default.
    """
    from lake.query import connect
    from lake.settings import get_settings
    from lake.write import upsert

    settings = settings or get_settings()
    groups = versions_of(connect(settings, catalogue=False), [p["original"] for p in plans])
    rows, done = [], []
    for plan, new_id in zip(plans, new_ids, strict=True):
        if new_id not in scores:
            continue
        original = plan["original"]
        versions = groups.setdefault(original, {})
        if not versions:  # its first reprocessing: the original joins the lineage
            versions[original] = {"product_id": original, "original_id": original, "reason": "original",
                                  "p_error": plan["p_error"], "parameters": json.dumps(plan["old_parameters"]),
                                  "is_default": True, "run_id": run_id}
        for pid, version in versions.items():
            version["p_error"] = scores.get(pid, version["p_error"])  # scored in this run (one unscored before)
        versions[new_id] = {"product_id": new_id, "original_id": original, "reason": plan["reason"],
                            "p_error": scores[new_id], "parameters": json.dumps(plan["new_parameters"]),
                            "is_default": False, "run_id": run_id}
        default = choose_default(versions)
        for pid, version in versions.items():
            version["is_default"] = pid == default
        rows += [dict(v) for v in versions.values()]
        p_old = versions[original]["p_error"]
        logger.info("%s (p_error %s) reprocessed as %s (p_error %.3f, PGE %s, attempt %d); default: %s", original,
                    "unscored" if unscored(p_old) else f"{p_old:.3f}", new_id, scores[new_id], plan["version"],
                    plan["attempt"], default)
        done.append({"original": original, "reprocessed": new_id, "p_error_original": p_old,
                     "p_error_reprocessed": scores[new_id], "default": default, "attempt": plan["attempt"],
                     "pge_version": plan["version"]})
    if rows:
        upsert("product_lineage", rows, settings)
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
    scored = score_products(to_score(plans, new_ids), run_id=run_id) if new_ids else []
    return record_lineage(plans, new_ids, {r["product_id"]: r["p_error"] for r in scored}, run_id, settings)


def reprocess_bad_products(max_p_error: float | None = None, limit: int = 20,
                           run_id: str = "manual__reprocess", product_ids: list[str] | None = None,
                           max_attempts: int | None = None) -> list[dict[str, Any]]:
    """Reprocess up to ``limit`` bad products in this process (the installed PGE); one record per original.

    The ``reprocess`` DAG runs the same three steps with the PGE as a PGE task (subprocess or pod, any
    registered version); this is the path without Airflow. With ``product_ids`` (an operator's request, e.g.
    from the browse UI) exactly those interferograms are reprocessed, whatever their p(error); those made again
    ``max_attempts`` times already (``SARLAKE_QA_REPROCESS_ATTEMPTS`` when None) are skipped (logged).

    Raises:
        ModelMissingError: no champion to score the new versions.
    """
    from lake.settings import get_settings
    from sarlake.workflows.pge import run_pge

    settings = get_settings()
    plans = plan_reprocessing(max_p_error, limit, run_id, product_ids, runner="local", settings=settings,
                              max_attempts=max_attempts)
    results = [run_pge(plan["pge"], plan["run_config"]) for plan in plans]
    return record_reprocessed(plans, results, {"run_id": run_id, "task_id": "reprocess", "runner": "local"},
                              settings)

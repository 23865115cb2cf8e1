"""Which interferograms to reprocess, and the PGE run-config that makes each again with other parameters.

An interferogram is made again by the PGE that made it, from the inputs its provenance names:

* the **interferogram** PGE's from its two SLCs;
* the **unwrap** PGE's (another processor's wrapped interferogram, unwrapped here) from that wrapped file, one pair
  of it (``pairs``: a folder or a stack holds more).

Both get :func:`alternative_parameters`: SNAPHU on the whole grid after tiled SNAPHU, else the other unwrapper
(SNAPHU <-> quality-guided), and a stronger Goldstein filter. A product whose best version stays bad is made again
from its last version, up to ``SARLAKE_QA_REPROCESS_ATTEMPTS`` times (:mod:`sarlake.workflows.lineage`). An
interferogram *ingested* unwrapped from another processor has nothing here to be made again from, and is refused by
name (:func:`check_requested`).
"""

from __future__ import annotations

import json
import logging
from typing import Any

__all__ = ["REMAKERS", "alternative_parameters", "check_requested", "plan_reprocessing"]

logger = logging.getLogger(__name__)

#: the PGEs that can make an interferogram again from their inputs, as SQL
REMAKERS = ("interferogram", "unwrap")
_REMAKERS_SQL = ", ".join(f"'{p}'" for p in REMAKERS)


def alternative_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """Another unwrapping and a filter 0.3 stronger (at most 1) than ``parameters`` (interferogram or unwrap PGE's).

    Another unwrapping: SNAPHU on the whole grid after tiled SNAPHU (cycle slips along tile seams are tiling's own
    failure; its other settings kept), else the other unwrapper (SNAPHU <-> quality-guided).
    """
    p = json.loads(json.dumps(parameters))
    unwrap = dict(p.get("unwrap") or {})
    method = unwrap.get("method", "snaphu")
    if method == "snaphu" and [int(n) for n in unwrap.get("ntiles") or (1, 1)] != [1, 1]:
        p["unwrap"] = {**unwrap, "ntiles": [1, 1], "tile_overlap": 0}
    else:
        p["unwrap"] = {"method": "quality" if method == "snaphu" else "snaphu"}
    flt = dict(p.get("filter") or {})
    flt["strength"] = round(min(1.0, float(flt.get("strength", 0.5)) + 0.3), 3)
    p["filter"] = flt
    return p


def plan_reprocessing(max_p_error: float | None = None, limit: int = 20, run_id: str = "manual__reprocess",
                      product_ids: list[str] | None = None, pge_version: str = "latest", runner: str | None = None,
                      settings: Any = None, max_attempts: int | None = None) -> list[dict[str, Any]]:
    """Choose the products to reprocess and make one PGE run-config for each.

    A product reprocessed before is taken again while its default (best-scored) version stays above the threshold,
    at most ``qa_reprocess_attempts`` times in all (``SARLAKE_QA_REPROCESS_ATTEMPTS``), each time from its last
    version with :func:`alternative_parameters` of that version's, and never with parameters one of its versions
    was made with (:mod:`sarlake.workflows.lineage`).

    Args:
        max_p_error: reprocess products above this (``SARLAKE_QA_MAX_P_ERROR`` when None).
        limit: at most this many products.
        run_id: recorded in the run-configs.
        product_ids: exactly these interferograms (an operator's request), whatever their p(error).
        pge_version: ``latest`` or a registered version of the PGE that made the product; a version that is not
            the installed one carries its image (``pge_image``), which the Kubernetes runner runs.
        runner: ``local`` or ``kubernetes`` (the settings' by default).
        settings: the lake settings.
        max_attempts: make one product again at most this many times (``SARLAKE_QA_REPROCESS_ATTEMPTS`` when None).

    Returns:
        One plan per product: ``{"original", "product", "base", "attempt", "pge", "aoi", "p_error",
        "old_parameters", "new_parameters", "version", "run_config", "reason"}``, worst first. ``original`` is the
        product's first version (its ``product_lineage`` group), ``product`` the version chosen (the default, or the
        one asked for), ``base`` the version made again (the last made), ``attempt`` how many times it will have
        been made again; ``pge`` made ``base`` and runs ``run_config``; ``p_error`` is ``product``'s, None when
        not scored (plans are XComs: JSON has no NaN).

    Raises:
        ValueError: an unknown version, or a prior version asked of the local runner; a requested product that is
            not in the lake, not an interferogram, or not made here (a requested one reprocessed as often as
            allowed, or with nothing left to try, is skipped, logged).
    """
    from lake.query import connect
    from lake.settings import get_settings
    from sarlake.workflows.lineage import variant, versions_of

    settings = settings or get_settings()
    threshold = settings.qa_max_p_error if max_p_error is None else max_p_error
    attempts = settings.qa_reprocess_attempts if max_attempts is None else max_attempts
    if attempts < 1:
        raise ValueError(f"max_attempts {attempts} is not at least 1 (SARLAKE_QA_REPROCESS_ATTEMPTS)")
    con = connect(settings, catalogue=False)
    if product_ids:
        check_requested(con, list(product_ids))
    chosen = ("list_contains(?::VARCHAR[], p.product_id)" if product_ids else
              "p.p_error > ? AND NOT isnan(p.p_error) AND coalesce(l.is_default, true)")
    # each with the latest run, among its versions, of a PGE that can make it again (inputs and parameters): above
    # the threshold an ingested product is not taken (it would fill the limit on every run)
    bad = con.execute(
        "SELECT p.product_id, p.aoi, CASE WHEN NOT isnan(p.p_error) THEN p.p_error END, v.pge_name, v.inputs, "
        "v.parameters, strftime(p.reference_date, '%Y%m%d') || '_' || strftime(p.secondary_date, '%Y%m%d'), "
        "coalesce(l.original_id, p.product_id), coalesce(g.made, 0), v.product_id "
        "FROM products p LEFT JOIN product_lineage l ON l.product_id = p.product_id "
        "LEFT JOIN (SELECT original_id, count(*) FILTER (WHERE product_id <> original_id) AS made "
        "FROM product_lineage GROUP BY original_id) g ON g.original_id = l.original_id "
        "JOIN LATERAL (SELECT product_id, pge_name, inputs, parameters FROM provenance v WHERE v.pge_name IN "
        f"({_REMAKERS_SQL}) AND (v.product_id = p.product_id OR v.product_id IN (SELECT x.product_id FROM "
        "product_lineage x WHERE x.original_id = l.original_id)) ORDER BY finished_at DESC NULLS LAST LIMIT 1) v "
        f"ON true WHERE p.product_type = 'L2_IFG' AND {chosen} AND coalesce(g.made, 0) < ? "
        "ORDER BY p.p_error DESC, p.product_id LIMIT ?",
        [list(product_ids) if product_ids else threshold, attempts, limit],
    ).fetchall()
    groups = versions_of(con, [b[7] for b in bad])
    versions: dict[str, dict[str, Any]] = {}
    plans: list[dict[str, Any]] = []
    for product_id, aoi, p_old, pge, inputs, parameters, pair, original, made, base in bad:
        old_params = json.loads(parameters or "{}")
        new_params = alternative_parameters(old_params)
        tried = {variant(old_params), *(variant(json.loads(v["parameters"] or "{}"))
                                        for v in groups.get(original, {}).values())}
        twin = any(p["original"] == original for p in plans)  # two versions of one product asked for
        if twin or variant(new_params) in tried:
            logger.info("%s: not reprocessed again: %s", product_id, "another of its versions is" if twin
                        else f"its {made + 1} versions tried the parameters that would come next")
            continue
        if pge not in versions:
            versions[pge] = _version(pge, pge_version, runner or settings.runner, settings)
        if pge == "unwrap":  # the wrapped file (the coherence after it is found again, or is a parameter)
            inputs, new_params = list(inputs)[:1], {**new_params, "pairs": [pair], "overwrite": False}
        run_config = {
            "pge": pge, "run_id": run_id, "inputs": list(inputs),
            "output_dir": f"{settings.products_root.rstrip('/')}/L2_IFG/{aoi or 'reprocessed'}",
            "parameters": new_params, **versions[pge]["image"],
        }
        plans.append({"original": original, "product": product_id, "base": base, "attempt": made + 1, "pge": pge,
                      "aoi": aoi, "p_error": p_old, "old_parameters": old_params, "new_parameters": new_params,
                      "version": versions[pge]["version"], "run_config": run_config,
                      "reason": "requested" if product_ids else f"p_error {p_old:.3f} > {threshold}"})
    if product_ids and len(bad) < len(set(product_ids)):  # check_requested refused every other reason
        logger.warning("not reprocessed (made again %d time(s) already: max_attempts, SARLAKE_QA_REPROCESS_ATTEMPTS): "
                       "%s", attempts, sorted(set(product_ids) - {b[0] for b in bad}))
    logger.info("%d product(s) to reprocess: %s", len(plans),
                ", ".join(f"{sum(p['pge'] == pge for p in plans)} by the {pge} PGE {v['version']}"
                          for pge, v in versions.items()) or "none")
    return plans


def _version(pge: str, requested: str, runner: str, settings: Any) -> dict[str, Any]:
    """``{"version", "image"}`` of ``pge`` to run; ``image`` is the run-config's image entry (empty: installed)."""
    from sarlake.workflows.versions import IMAGE_KEY, resolve

    version = resolve(pge, requested or "latest", runner=runner, settings=settings)
    return {"version": version["version"], "image": {IMAGE_KEY: version["image"]} if version["image"] else {}}


def check_requested(con: Any, product_ids: list[str]) -> None:
    """Refuse requested products that cannot be reprocessed, naming the first and saying why.

    Those are products not in the lake, not interferograms, or not made by a PGE that can make them again
    (:data:`REMAKERS`: an interferogram ingested unwrapped from another processor's files has nothing here to be
    made again from). The messages name no option: the CLI takes the ids as arguments, the ``reprocess`` DAG as its
    *Products* param, the browse UI's shortcut one product.

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
    made = dict(con.execute(  # an interferogram ingested from another processor has nothing to be re-made from
        "SELECT p.product_id, p.pge_name FROM products p WHERE list_contains(?::VARCHAR[], p.product_id) AND NOT "
        "EXISTS (SELECT 1 FROM provenance v WHERE v.product_id = p.product_id AND v.pge_name IN "
        f"({_REMAKERS_SQL})) ORDER BY p.product_id", [product_ids]).fetchall())
    if made:
        pid, pge = next(iter(made.items()))
        raise ValueError(f"requested product {pid} was catalogued by the {pge or 'unknown'} PGE from another "
                         "processor's unwrapped files, so it cannot be reprocessed here: make it again with the "
                         "processor that made it and ingest that with `sarlake ingest --replace`, or unwrap its "
                         "wrapped interferogram with `sarlake unwrap`"
                         + (f" ({len(made) - 1} more like it)" if len(made) > 1 else ""))

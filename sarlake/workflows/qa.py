"""QA of catalogued products: features and p(error|I) into the lake, and the quality report.

:func:`score_products` reads each L2 interferogram's folder, computes its QA features (``qa_features``),
scores it with the champion (``qa_predictions``) and sets ``products.p_error`` (:func:`lake.write.update`).
The Airflow ``qa`` DAG and ``sarlake qa run`` call it; ``sarlake qa score`` scores files without a lake.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pges.readers.los_sign import LosSign

__all__ = ["first_few", "model_cache", "product_locations", "quality_report", "record_scores", "score_files",
           "score_products", "unscored_products"]

logger = logging.getLogger(__name__)


def model_cache(settings: Any) -> Path:
    """Where QA model versions are kept once downloaded from the registry (``<scratch>/qa-models``)."""
    return Path(settings.scratch) / "qa-models"


def unscored_products(model_version: str | None = None, limit: int | None = None) -> list[str]:
    """L2 interferograms without a prediction (by ``model_version`` when given, else by any model).

    A product rolled to the archive (``tier = 'archive'``) that has a prediction of another version keeps it: a
    new champion does not download the whole archive back (score it by id, or once it is cached back).
    """
    from lake.query import connect
    from lake.settings import get_settings

    settings = get_settings()
    cond = "AND q.model_version = ?" if model_version else ""
    params: list[Any] = [settings.qa_model_name] + ([model_version] if model_version else [])
    sql = (f"SELECT p.product_id FROM products p WHERE p.product_type = 'L2_IFG' AND NOT EXISTS ("
           f"SELECT 1 FROM qa_predictions q WHERE q.product_id = p.product_id AND q.model_name = ? {cond}) "
           "AND NOT (coalesce(p.tier, 'hot') = 'archive' AND EXISTS ("
           "SELECT 1 FROM qa_predictions o WHERE o.product_id = p.product_id)) ORDER BY p.product_id")
    ids = [r[0] for r in connect(settings, catalogue=False).execute(sql, params).fetchall()]
    return ids[:limit] if limit else ids


def product_locations(ids: list[str], con: Any) -> dict[str, tuple[str, str | None, str | None]]:
    """``product_id -> (product_id, uri, met_uri)`` of catalogued products, in product id order.

    Raises:
        LakeError: naming the first id that is not in the lake.
    """
    rows = con.execute("SELECT product_id, uri, met_uri FROM products WHERE list_contains(?, product_id) "
                       "ORDER BY product_id", [ids]).fetchall()
    found = {r[0]: r for r in rows}
    unknown = sorted(set(ids) - set(found))
    if unknown:
        from lake.exceptions import LakeError

        raise LakeError(f"product {unknown[0]!r} is not in the lake ({len(unknown)} unknown)")
    return found


def first_few(items: list[str], n: int = 3) -> str:
    """The first ``n`` of ``items`` joined by "; ", with " ..." when there are more (for one-line errors)."""
    return "; ".join(items[:n]) + (" ..." if len(items) > n else "")


#: products scored between two commits of the lake tables by :func:`score_products`
COMMIT_EVERY = 1024


def score_products(product_ids: list[str] | None = None, run_id: str = "manual", con: Any = None,
                   on_error: Callable[[str, Exception], None] | None = None) -> list[dict[str, Any]]:
    """Score products of the lake with the champion and record features, predictions and ``p_error``.

    Products are read :data:`SCORE_CHUNK` at a time by several threads (from their folder, or copied from S3 into
    scratch), so any number runs in bounded memory; the tables are written every :data:`COMMIT_EVERY`
    products and at the end.

    Args:
        product_ids: products to score; None = every L2 interferogram the champion has not scored
            (:func:`unscored_products`).
        run_id: recorded with the predictions.
        con: a lake connection (:func:`lake.query.connect`) that already sees the products; a new one when None.
        on_error: called with ``(product_id, error)`` for a product whose files cannot be read; it is skipped and
            the others are scored. Without it, such products are named in the error raised after the others
            are recorded.

    Returns:
        One record per product scored (``product_id``, ``p_error``, ``uwe_class``, model name and version, ...).

    Raises:
        ModelMissingError: no champion in the registry (the message says how to train one).
        InputValidationError: products whose files cannot be read, when there is no ``on_error``.
    """
    import tempfile

    from lake.query import connect
    from lake.settings import get_settings
    from pges.errors import InputValidationError
    from pges.qa.score import Scorer
    from sarlake.workflows.qa_inputs import read_products

    settings = get_settings()
    scorer = Scorer(settings.mlflow_tracking_uri, settings.qa_model_name, cache_dir=model_cache(settings),
                    s3_env=settings.to_env())
    ids = product_ids if product_ids is not None else unscored_products(scorer.version)
    if not ids:
        logger.info("no product to score")
        return []
    found = product_locations(ids, con or connect(settings, catalogue=False))
    out: list[dict[str, Any]] = []
    pending: list[tuple[str, dict[str, Any]]] = []
    failed: list[str] = []
    source: dict[str, str] = {}  # product -> the unwrapped phase its features were computed from
    Path(settings.scratch).mkdir(parents=True, exist_ok=True)
    for start in range(0, len(ids), SCORE_CHUNK):
        batch = []
        with tempfile.TemporaryDirectory(prefix="sarlake-qa-", dir=settings.scratch) as tmp:
            read = read_products([found[pid] for pid in ids[start:start + SCORE_CHUNK]], Path(tmp), settings)
        for pid, got in read.items():
            if isinstance(got, InputValidationError):
                failed.append(f"{pid}: {got}")
                if on_error is not None:
                    on_error(pid, got)
            else:
                batch.append(got[0])
                source[pid] = got[1]
        pending += [(b.name, r) for b, r in zip(batch, scorer.score(batch), strict=True)]
        if len(pending) >= COMMIT_EVERY or start + SCORE_CHUNK >= len(ids):
            out += record_scores(pending, source, run_id, settings)
            pending = []
    logger.info("scored %d products with %s v%s", len(out), scorer.model_name, scorer.version)
    if failed and on_error is None:
        raise InputValidationError(f"{len(failed)} of {len(ids)} products not scored (the other {len(out)} were): "
                                   + first_few(failed))
    return out


def record_scores(scored: list[tuple[str, dict[str, Any]]], source: dict[str, str], run_id: str,
            settings: Any) -> list[dict[str, Any]]:
    """Write scored products to ``qa_features``, ``qa_predictions`` and ``products.p_error``."""
    from lake.write import update, upsert

    if not scored:
        return []
    now = datetime.now(UTC)
    upsert("qa_features", [
        {"product_id": i, "feature_set": r["feature_set"], "features": json.dumps(r["features"]),
         "degraded": r["degraded"], "missing_inputs": r["missing_inputs"], "unw_uri": source[i], "computed_at": now}
        for i, r in scored
    ], settings)
    upsert("qa_predictions", [
        {"product_id": i, "model_name": r["model_name"], "model_version": r["model_version"],
         "p_error": r["p_error"], "uwe_class": r["uwe_class"], "class_probabilities": json.dumps(
             r["class_probabilities"]), "degraded": r["degraded"], "feature_set": r["feature_set"],
         "predicted_at": now, "run_id": run_id} for i, r in scored
    ], settings)
    update("products", [{"product_id": i, "p_error": r["p_error"]} for i, r in scored], settings)
    return [{"product_id": i, **{k: v for k, v in r.items() if k not in ("features", "unw")}} for i, r in scored]


#: products read and scored together by :func:`score_files` (bounds memory on a long manifest)
SCORE_CHUNK = 64


def score_files(items: list[tuple[str, str | None, str | None]], alias: str = "champion",
                on_error: Callable[[int, Exception], None] | None = None,
                los_sign: LosSign | None = None) -> Iterator[dict[str, Any]]:
    """Score files without a lake: ``(unw, coherence, dem)`` triples; one record per product, in their order.

    ``unw`` may be any format ingest reads (:mod:`pges.qa.any_format`); a stack gives one record per pair. Any of
    the three may be an ``s3://`` object (:mod:`pges.qa.remote`: downloaded with its headers as ingest downloads one,
    up to ingest's limits, and named by its URI).

    A product without a coherence given is scored with the one beside it, found as ingest finds it (its name with
    the phase token swapped, else named with its dates): the record's ``coherence_found`` names it (None when
    none was found, or one was given).

    Products are read and scored :data:`SCORE_CHUNK` at a time, each record yielded as soon as its chunk is scored,
    so a manifest of any length runs in bounded memory and its first lines come out at once. The model is loaded
    when the first product has been read.

    Args:
        items: the products.
        alias: the registry alias to score with.
        on_error: called with ``(index in items, error)`` for a product whose files cannot be read, which is then
            skipped; without it the error is raised.
        los_sign: ``--los-sign``: which way a phase GeoTIFF in a length points (:mod:`pges.readers.los_sign`).

    Raises:
        InputValidationError: an unreadable file (named), when there is no ``on_error``; ModelMissingError: no
            champion.
    """
    from lake.settings import get_settings
    from pges.errors import InputValidationError
    from pges.qa.remote import read_any
    from pges.qa.score import Scorer

    settings = get_settings()
    scorer: Scorer | None = None
    batch: list[Any] = []

    def flush() -> Iterator[dict[str, Any]]:
        nonlocal scorer
        if scorer is None:
            scorer = Scorer(settings.mlflow_tracking_uri, settings.qa_model_name, alias,
                            cache_dir=model_cache(settings), s3_env=settings.to_env())
        for p, r in zip(batch, scorer.score(batch), strict=True):
            yield {**{k: v for k, v in r.items() if k != "features"},
                   "coherence_found": p.extra.get("coherence_found")}
        batch.clear()

    for i, (unw, coherence, dem) in enumerate(items):
        try:
            batch.extend(read_any(unw, coherence, dem, los_sign=los_sign, max_objects=settings.ingest.max_objects,
                                  max_gib=settings.ingest.max_gib))
        except InputValidationError as exc:
            if on_error is None:
                raise
            on_error(i, exc)
        if len(batch) >= SCORE_CHUNK:
            yield from flush()
    if batch:
        yield from flush()


def quality_report() -> dict[str, Any]:
    """The seed-style quality table per UWE class (tag consensus vs latest prediction) and per model version.

    Returns:
        ``{"classes": [{uwe, count, mean_p_error, accuracy}], "models": [{model_version, precision, recall, f1,
        products}], "products": n}``; classes and models count only products with both a consensus and a
        prediction.
    """
    from lake.query import connect

    con = connect(catalogue=False)
    rows = con.execute("""
        SELECT c.intensity AS uwe, q.model_version, q.p_error, q.uwe_class
        FROM tag_consensus c JOIN qa_predictions q USING (product_id)
        WHERE c.tag_type = 'UWE'
    """).fetchall()
    latest = next(iter(con.execute("""
        SELECT count(*) FROM products WHERE product_type = 'L2_IFG' AND p_error IS NOT NULL
    """).fetchall()), None)
    classes = []
    for k in range(4):
        sel = [r for r in rows if r[0] == k]
        classes.append({"uwe": k, "count": len(sel),
                        "mean_p_error": round(sum(r[2] for r in sel) / len(sel), 4) if sel else None,
                        "accuracy": round(sum(r[3] == k for r in sel) / len(sel), 4) if sel else None})
    models = []
    for ver in sorted({r[1] for r in rows}, key=lambda v: int(v) if str(v).isdigit() else 0):
        sel = [r for r in rows if r[1] == ver]
        tp = sum(r[0] >= 2 and r[2] >= 0.5 for r in sel)
        fp = sum(r[0] < 2 and r[2] >= 0.5 for r in sel)
        fn = sum(r[0] >= 2 and r[2] < 0.5 for r in sel)
        p = tp / (tp + fp) if tp + fp else None  # undefined (nothing called UWE >= 2), not 0
        rc = tp / (tp + fn) if tp + fn else None  # undefined (no tagged UWE >= 2 product)
        f1 = None if p is None or rc is None else 2 * p * rc / (p + rc) if p + rc else 0.0
        models.append({"model_version": ver, "products": len(sel), **{
            k: None if v is None else round(v, 4) for k, v in (("precision", p), ("recall", rc), ("f1", f1))}})
    return {"classes": classes, "models": models, "scored_products": int(latest[0]) if latest else 0}

"""QA of catalogued products through the ``qa`` PGE: batches of run-configs, then their scores into the lake.

The ``qa`` DAG scores new interferograms where every PGE runs (a local subprocess, or a pod with the Kubernetes
runner), not in the Airflow worker:

1. :func:`scoring_run_configs` pins the champion's version (every batch of one run uses the same, even if the
   alias moves meanwhile) and splits the unscored products into ``qa`` PGE run-configs;
2. the ``qa`` PGE reads each product from its met.json (a folder, or only the five QA rasters from S3) and writes a
   ``QA_SCORES`` report: one line per product, a score or why it could not be read;
3. :func:`record_reports` writes the scores to ``qa_features``, ``qa_predictions`` and ``products.p_error``
   (:func:`sarlake.workflows.qa.record_scores`, as ``sarlake qa run`` does) and returns the products that could
   not be read, for the task to name.
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any

__all__ = ["MAX_BATCHES", "QA_BATCH", "record_reports", "scoring_run_configs"]

logger = logging.getLogger(__name__)

#: products per ``qa`` PGE task (a few seconds of scoring; the model is loaded once per task)
QA_BATCH = 500
#: at most this many ``qa`` PGE tasks per run: a larger backlog gets larger batches
MAX_BATCHES = 200


def scoring_run_configs(run_id: str, product_ids: list[str] | None = None,
                        batch: int = QA_BATCH) -> list[dict[str, Any]]:
    """The ``qa`` PGE's run-configs for the products the champion has not scored (or ``product_ids``).

    Returns:
        One run-config per batch (none when nothing is new, or the lake holds no interferogram: then no champion
        is needed); each names the champion's version it was planned
        with and writes its report to ``<products_root>/QA_SCORES/``.

    Raises:
        ModelMissingError: no champion that this code can score with (the message says how to train one).
        InputValidationError: with the Kubernetes runner, a registry or model artifacts a pod cannot reach.
    """
    from lake.query import connect
    from lake.run_records import SCORE_REPORTS
    from lake.settings import get_settings
    from pges.qa.registry_access import without_password
    from pges.qa.score import resolve_version
    from sarlake.workflows.qa import product_locations, unscored_products
    from sarlake.workflows.qa_inputs import met_location
    from sarlake.workflows.qa_train import check_registry_reach

    settings = get_settings()
    check_registry_reach(settings)
    con = connect(settings, catalogue=False)
    if product_ids is None and not con.execute(
            "SELECT count(*) FROM products WHERE product_type = 'L2_IFG'").fetchall()[0][0]:
        return []  # an empty lake (a run that made nothing still sends a products event): no champion needed
    version = str(resolve_version(settings.mlflow_tracking_uri, settings.qa_model_name).version)
    ids = product_ids if product_ids is not None else unscored_products(version)
    if not ids:
        return []
    inputs = [met_location(r[1], r[2]) for r in product_locations(ids, con).values()]
    size = max(batch, math.ceil(len(inputs) / MAX_BATCHES))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", run_id).strip("-")[:80] or "manual"
    return [{
        "pge": "qa", "run_id": run_id, "inputs": inputs[start:start + size],
        "output_dir": f"{settings.products_root.rstrip('/')}/{SCORE_REPORTS}",
        "parameters": {"tracking_uri": without_password(settings.mlflow_tracking_uri),
                       "artifact_root": settings.mlflow_artifact_root, "model_name": settings.qa_model_name,
                       "version": version, "report_id": f"qa-{stem}-{start // size:04d}"},
    } for start in range(0, len(inputs), size)]


def record_reports(report_met_uris: list[str], run_id: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Record the scores of ``qa`` PGE reports in the lake.

    Args:
        report_met_uris: the reports' met.json URIs (the PGE tasks' results).
        run_id: recorded with the predictions.

    Returns:
        The records written (as :func:`sarlake.workflows.qa.score_products` returns them), and one line per product
        that could not be read (``<met.json URI>: <why>``).
    """
    from lake.settings import get_settings
    from lake.storage import read_bytes
    from sarlake.workflows.qa import COMMIT_EVERY, record_scores

    settings = get_settings()
    out: list[dict[str, Any]] = []
    failed: list[str] = []
    scored: list[tuple[str, dict[str, Any]]] = []
    source: dict[str, str] = {}
    for n, met_uri in enumerate(report_met_uris, 1):
        folder = met_uri.rsplit("/", 1)[0]
        for text in read_bytes(f"{folder}/qa.jsonl", settings).decode().splitlines():
            line = json.loads(text)
            if "error" in line:
                failed.append(f"{line['input']}: {line['error']}")
                continue
            scored.append((line["product_id"], line))
            source[line["product_id"]] = line["unw_uri"]
        if len(scored) >= COMMIT_EVERY or n == len(report_met_uris):  # a few commits, not one per report
            out += record_scores(scored, source, run_id, settings)
            scored, source = [], {}
    logger.info("recorded %d scores from %d reports (%d products not read)", len(out), len(report_met_uris),
                len(failed))
    return out, failed

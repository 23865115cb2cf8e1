"""The ``qa`` PGE: QA features and p(error|I) of L2 interferograms, computed from each product alone.

Writes one product ``<output_dir>/<report_id>/`` holding ``qa.jsonl`` (one line per input: ``product_id``,
``p_error``, ``uwe_class``, class probabilities, ``degraded``, missing inputs, features, model name and
version) and its met.json. Cataloguing the scores in the lake (``qa_features``, ``qa_predictions``,
``products.p_error``) is the application layer's job (``sarlake.workflows.qa``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pges.contract import RunConfig
from pges.errors import InputValidationError
from pges.metadata import AssetSpec, bbox_polygon, build_item, iso_utc, write_item
from pges.qa.config import QAParameters
from pges.runner import ProductResult, RunContext

__all__ = ["run"]

logger = logging.getLogger(__name__)


@dataclass
class QAOutputs:
    """The report product of a run."""

    products: list[ProductResult] = field(default_factory=list)


def run(cfg: RunConfig[QAParameters], ctx: RunContext) -> QAOutputs:
    """Score every input interferogram with the model behind ``alias``."""
    from pges.qa.score import Scorer, read_product_folder

    p = cfg.parameters
    if not cfg.inputs:
        raise InputValidationError("the qa PGE needs at least one input (an L2 interferogram's met.json URI)")
    scorer = Scorer(p.tracking_uri, p.model_name, p.alias)
    products = []
    for uri in cfg.inputs:
        met = ctx.fetch(uri)
        products.append(read_product_folder(met.parent, name=json.loads(Path(met).read_text()).get("id")))
    records = scorer.score(products)
    out = ctx.product_dir(p.report_id)
    with (out / "qa.jsonl").open("w") as f:
        for prod, rec in zip(products, records, strict=True):
            f.write(json.dumps({"product_id": prod.name, **{k: v for k, v in rec.items() if k != "unw"}}) + "\n")
    item = build_item(
        product_dir=out, item_id=p.report_id, geometry=bbox_polygon(-180, -90, 180, 90), bbox=[-180, -90, 180, 90],
        properties={"datetime": iso_utc(datetime.now(UTC)), "sarlake:product_type": "QA_SCORES",
                    "sarlake:model_name": scorer.model_name, "sarlake:model_version": scorer.version},
        assets={"scores": AssetSpec("qa.jsonl", type="application/x-ndjson", roles=("data",))},
        provenance=ctx.provenance(cfg),
    )
    write_item(item, out)
    logger.info("scored %d products with %s v%s", len(records), scorer.model_name, scorer.version)
    return QAOutputs([ProductResult(p.report_id, out)])

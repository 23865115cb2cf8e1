"""The ``qa`` PGE: QA features and p(error|I) of L2 interferograms, computed from each product alone.

Inputs are the products' met.json URIs (a local folder, or ``s3://``: only the five rasters QA reads are
fetched, :func:`pges.qa.inputs.gather_product`). Writes one product ``<output_dir>/<report_id>/`` holding
``qa.jsonl``: one line per input, in their order, with ``input`` (its URI) and either the score (``product_id``,
``p_error``, ``uwe_class``, class probabilities, ``degraded``, missing inputs, features, ``unw_uri``, model name
and version) or ``error``, why that product could not be read. A bad product does not stop the others: the
application that catalogues the scores (``sarlake.workflows.qa_batches``) records them and names the bad ones,
so even a batch of unreadable products leaves a report (and the result record's ``rejected``). The run exits 2
when it has no input or the model is not in the registry.

Products are read and scored :data:`CHUNK` at a time and their fetched files removed, so a run of any length
uses bounded memory and disk.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pges.contract import RunConfig
from pges.errors import InputValidationError
from pges.metadata import AssetSpec, bbox_polygon, build_item, iso_utc, write_item
from pges.qa.config import QAParameters
from pges.runner import ProductResult, RunContext

if TYPE_CHECKING:
    from pges.qa.score import Scorer

__all__ = ["run"]

logger = logging.getLogger(__name__)


@dataclass
class QAOutputs:
    """The report product of a run."""

    products: list[ProductResult] = field(default_factory=list)
    #: inputs that could not be read: ``{"input", "error"}`` (the runner puts them in the result record)
    rejected: list[dict[str, str]] = field(default_factory=list)


#: products read and scored together
CHUNK = 64
#: products fetched and read at the same time
FETCH_THREADS = 8


def run(cfg: RunConfig[QAParameters], ctx: RunContext) -> QAOutputs:
    """Score every input interferogram with the model behind ``alias`` (or the pinned ``version``)."""
    from pges.qa.registry_access import with_credentials
    from pges.qa.score import Scorer

    p = cfg.parameters
    if not cfg.inputs:
        raise InputValidationError("the qa PGE needs at least one input (an L2 interferogram's met.json URI)")
    env = dict(os.environ)  # a pod is given the lake's S3 connection, not the registry's settings
    if p.artifact_root:
        env["SARLAKE_MLFLOW_ARTIFACT_ROOT"] = p.artifact_root
    scorer = Scorer(with_credentials(p.tracking_uri), p.model_name, p.version or p.alias, s3_env=env)
    out = ctx.product_dir(p.report_id)
    scored = 0
    rejected: list[dict[str, str]] = []
    with (out / "qa.jsonl").open("w") as f:
        for start in range(0, len(cfg.inputs), CHUNK):
            chunk = list(cfg.inputs[start:start + CHUNK])
            lines = _score_chunk(chunk, scorer, ctx)
            for line in lines:
                f.write(json.dumps(line) + "\n")
            rejected += [{"input": str(ln["input"]), "error": str(ln["error"])} for ln in lines if "error" in ln]
            scored += sum("error" not in line for line in lines)
    item = build_item(
        product_dir=out, item_id=p.report_id, geometry=bbox_polygon(-180, -90, 180, 90), bbox=[-180, -90, 180, 90],
        properties={"datetime": iso_utc(datetime.now(UTC)), "sarlake:product_type": "QA_SCORES",
                    "sarlake:model_name": scorer.model_name, "sarlake:model_version": scorer.version,
                    "sarlake:scored": scored, "sarlake:failed": len(rejected)},
        assets={"scores": AssetSpec("qa.jsonl", type="application/x-ndjson", roles=("data",))},
        provenance=ctx.provenance(cfg),
    )
    write_item(item, out)
    logger.info("scored %d products with %s v%s (%d could not be read)", scored, scorer.model_name, scorer.version,
                len(rejected))
    return QAOutputs([ProductResult(p.report_id, out)], rejected)


def _score_chunk(inputs: list[str], scorer: Scorer, ctx: RunContext) -> list[dict[str, object]]:
    """One qa.jsonl line per input: its score, or the error that kept it from being read.

    The products are fetched and read :data:`FETCH_THREADS` at a time (S3 reads wait on the network).
    """
    from concurrent.futures import ThreadPoolExecutor

    from pges.qa.inputs import gather_product
    from pges.qa.score import ProductInputs, read_product_folder

    links = ctx.workdir / "qa-inputs"

    def read(i: int) -> tuple[ProductInputs, str] | InputValidationError:
        try:
            folder, unw, item_id = gather_product(inputs[i], ctx.fetch, links / str(i))
            return read_product_folder(folder, name=item_id or folder.name), unw
        except InputValidationError as exc:
            logger.warning("not scored: %s", exc)
            return exc

    with ThreadPoolExecutor(max_workers=FETCH_THREADS) as pool:
        got = list(pool.map(read, range(len(inputs))))
    ok = [g for g in got if not isinstance(g, InputValidationError)]
    records = iter(scorer.score([g[0] for g in ok]) if ok else [])
    lines: list[dict[str, object]] = []
    for uri, g in zip(inputs, got, strict=True):
        if isinstance(g, InputValidationError):
            lines.append({"input": uri, "error": str(g)})
        else:
            rec = next(records)
            lines.append({"input": uri, "product_id": g[0].name, "unw_uri": g[1],
                          **{k: v for k, v in rec.items() if k != "unw"}})
    shutil.rmtree(links, ignore_errors=True)
    shutil.rmtree(ctx.workdir / "inputs", ignore_errors=True)  # what fetch downloaded (local inputs are not copied)
    return lines

"""The ``qa_dataset`` PGE: a labelled set of simulated interferograms for the ``train`` PGE (:mod:`pges.train.pge`).

It writes one product ``<output_dir>/<dataset_id>/``: ``samples.npz`` (product and scene ids, features, browse
thumbnails, phase tiles), ``arrays.npz`` (the products' rasters), ``products.csv`` (product_id, scene_id, split,
missing inputs) and, kept apart, ``truth/truth.csv`` (the simulator's intensity per tag type and the scene's knobs).
The split is fixed by scene: a scene id hashes to ``test`` one time in five, so no scene is in both splits. The
met.json records the truth rule the classes were measured with (``sarlake:truth_rule``,
:data:`pges.train.truth.TRUTH_RULE`), so a set made with another rule is known as such.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from pges.contract import RunConfig
from pges.errors import InputValidationError
from pges.metadata import AssetSpec, bbox_polygon, build_item, iso_utc, write_item
from pges.runner import ProductResult, RunContext
from pges.train.config import DatasetParameters
from pges.train.labelled_set import split_of
from pges.train.quiet import quiet_stdout
from pges.train.truth import TRUTH_RULE

__all__ = ["TRUTH_TYPES", "DatasetOutputs", "run_dataset"]

logger = logging.getLogger(__name__)

TRUTH_TYPES = ("UWE", "TNS", "TNT", "ION", "ORB", "DME", "PML", "PMR", "PCE", "RFI", "COH")


@dataclass
class DatasetOutputs:
    """The labelled set's product (or a skipped one when it exists already)."""

    products: list[ProductResult] = field(default_factory=list)


def run_dataset(cfg: RunConfig[DatasetParameters], ctx: RunContext) -> DatasetOutputs:
    """Simulate the scenes of the set and write it as one product."""
    from pges.train.dataset import SampleProduct, simulate_scenes

    p = cfg.parameters
    if ctx.publisher.exists(p.dataset_id):
        logger.info("%s already exists: skipped", p.dataset_id)
        return DatasetOutputs([ProductResult(p.dataset_id, None, skipped=True)])
    samples: list[SampleProduct] = []
    scenes = range(p.first_scene, p.first_scene + p.scenes)
    with quiet_stdout():
        batches = simulate_scenes(scenes, p.workers, p.dates_per_scene, p.neighbours)
        for done, batch in enumerate(batches, start=1):
            samples += batch
            if done % 20 == 0:
                logger.info("%d/%d scenes, %d products", done, p.scenes, len(samples))
    if not samples:
        raise InputValidationError("the labelled set is empty: no scene gave a product; raise parameters.scenes")
    out = ctx.product_dir(p.dataset_id)
    np.savez_compressed(
        out / "samples.npz", product_id=np.array([s.product_id for s in samples]),
        scene_id=np.array([s.scene_id for s in samples]), features=np.stack([s.features for s in samples]),
        browse=np.stack([s.browse for s in samples]), tiles=np.stack([s.tile for s in samples]),
    )
    # the products' rasters, so that a later feature set is computed from the same products (load_set)
    rasters: dict[str, Any] = {f"{s.product_id}/{k}": a for s in samples for k, a in s.arrays.items()}
    np.savez_compressed(out / "arrays.npz", **rasters)
    with (out / "products.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["product_id", "scene_id", "split", "missing_inputs"])
        for s in samples:
            w.writerow([s.product_id, s.scene_id, split_of(s.scene_id), ";".join(s.missing)])
    (out / "truth").mkdir()
    keys = sorted({k for s in samples for k in s.truth} - set(TRUTH_TYPES))
    with (out / "truth" / "truth.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["product_id", *TRUTH_TYPES, *keys])
        for s in samples:
            w.writerow([s.product_id, *(s.truth[t] for t in TRUTH_TYPES), *(s.truth.get(k) for k in keys)])
    counts = np.bincount([s.truth["UWE"] for s in samples], minlength=4)
    now = datetime.now(UTC)
    item = build_item(
        product_dir=out, item_id=p.dataset_id, geometry=bbox_polygon(-180, -90, 180, 90), bbox=[-180, -90, 180, 90],
        properties={"datetime": iso_utc(now), "sarlake:product_type": "QA_TRAINING_SET",
                    "sarlake:products": len(samples), "sarlake:scenes": p.scenes,
                    "sarlake:uwe_truth_counts": [int(c) for c in counts], "sarlake:simulated": True,
                    "sarlake:truth_rule": TRUTH_RULE},
        assets={"samples": AssetSpec("samples.npz", type="application/octet-stream"),
                "products": AssetSpec("products.csv", type="text/csv", roles=("metadata",)),
                "arrays": AssetSpec("arrays.npz", type="application/octet-stream", roles=("data",)),
                "truth": AssetSpec("truth", roles=("truth",), title="simulator truth (kept apart from labels)")},
        provenance=ctx.provenance(cfg),
    )
    write_item(item, out)
    logger.info("labelled set %s: %d products of %d scenes, truth UWE_0..3 = %s", p.dataset_id, len(samples),
                p.scenes, counts.tolist())
    return DatasetOutputs([ProductResult(p.dataset_id, out)])

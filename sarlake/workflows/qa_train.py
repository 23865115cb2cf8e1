"""QA training: labelled set -> simulated crowd -> tags and consensus in the lake -> training table -> models.

1. the ``qa_dataset`` PGE simulates the scenes and writes the set (truth kept apart in ``truth/``);
2. the simulated crowd (:mod:`pges.train.crowd`) tags every product for all eleven tag types from that truth;
   the tags go to ``user_tags`` (``source = simulated``) and :func:`lake.consensus.refresh_consensus` labels
   each product (majority, Dawid-Skene);
3. the products with their consensus UWE label and fixed split go to ``qa_training_set``; the snapshot id of
   that commit is the data version of every model trained on it;
4. the ``train`` PGE fits, evaluates, logs and registers the models and moves ``champion``/``challenger``.
"""

from __future__ import annotations

import csv
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["build_training_set", "ensure_champion", "has_champion", "train_models", "train_qa"]

logger = logging.getLogger(__name__)


def build_training_set(scenes: int, *, first_scene: int = 0, dataset_id: str | None = None,
                       raters_per_product: int = 3, run_id: str | None = None, workers: int = 1) -> dict[str, Any]:
    """Make a labelled set, tag it with the simulated crowd and record it in ``qa_training_set``.

    Returns:
        ``{"dataset_id", "met_uri", "data_version", "products", "label_noise"}``.
    """
    import numpy as np

    from lake.catalog import load_table
    from lake.consensus import refresh_consensus
    from lake.settings import get_settings
    from lake.storage import read_bytes
    from lake.tags import TAG_TYPES
    from lake.write import upsert
    from pges.train.crowd import label_noise, make_crowd, rate
    from sarlake.workflows.pge import run_pge

    settings = get_settings()
    for table in ("user_tags", "tag_consensus", "qa_training_set"):  # before minutes of simulation, not after
        load_table(table, settings)
    dataset_id = dataset_id or f"qa-set-{first_scene}-{scenes}"
    run_id = run_id or f"manual__qa_dataset__{datetime.now(UTC):%Y%m%dT%H%M%S}"
    result = run_pge("qa_dataset", {
        "pge": "qa_dataset", "run_id": run_id, "inputs": [],
        "output_dir": f"{settings.products_root.rstrip('/')}/QA_TRAINING_SET",
        "parameters": {"dataset_id": dataset_id, "scenes": scenes, "first_scene": first_scene, "workers": workers},
    })
    met_uri = result["products"][0]["met_uri"]
    folder = met_uri.rsplit("/", 1)[0]  # a folder or an S3 prefix
    products = list(csv.DictReader(read_bytes(f"{folder}/products.csv", settings).decode().splitlines()))
    truth = list(csv.DictReader(read_bytes(f"{folder}/truth/truth.csv", settings).decode().splitlines()))
    tags = rate(truth, make_crowd(seed=first_scene), tuple(TAG_TYPES), raters_per_product, seed=first_scene)
    now = datetime.now(UTC)
    upsert("user_tags", [{**t, "tagged_at": now} for t in tags], settings)
    refresh_consensus(settings)
    ids = [p["product_id"] for p in products]
    cons = {r["product_id"]: r for r in load_table("tag_consensus", settings).scan(
        selected_fields=("product_id", "tag_type", "intensity", "raters", "agreement")
    ).to_arrow().to_pylist() if r["tag_type"] == "UWE"}
    rows = [{"product_id": p["product_id"], "dataset_id": dataset_id, "scene_id": p["scene_id"], "split": p["split"],
             "uwe_label": cons[p["product_id"]]["intensity"], "raters": cons[p["product_id"]]["raters"],
             "agreement": cons[p["product_id"]]["agreement"],
             "missing_inputs": [m for m in p["missing_inputs"].split(";") if m]} for p in products]
    upsert("qa_training_set", rows, settings)
    snapshot = load_table("qa_training_set", settings).current_snapshot()
    noise = label_noise({t["product_id"]: int(t["UWE"]) for t in truth},
                        {i: int(cons[i]["intensity"]) for i in ids})
    logger.info("training set %s: %d products, consensus vs truth %s", dataset_id, len(ids), noise)
    return {"dataset_id": dataset_id, "met_uri": met_uri, "data_version": str(snapshot.snapshot_id if snapshot else ""),
            "products": len(ids), "label_noise": {k: round(float(v), 4) for k, v in noise.items()
                                                   if np.isfinite(v)}}


def train_models(dataset: dict[str, Any], *, models: list[str] | None = None, quick: bool = False,
                 seed: int = 0, run_id: str | None = None, real_check: str | None = None,
                 max_real_false_alarms: float | None = None, workers: int = 1,
                 second_sim_products: int | None = None) -> dict[str, Any]:
    """Export the set's labels at its data version and run the ``train`` PGE; return its training record.

    ``real_check`` (default the ``qa_real_check`` setting) names the manifest of real products that gates
    promotion (``pges.train.realcheck``); ``max_real_false_alarms`` defaults to its setting. ``workers``
    processes simulate the second simulator's products every candidate is also scored on; how many:
    ``second_sim_products`` (None: the train PGE's default, 300, or none with ``quick``).
    """
    from lake.catalog import load_table
    from lake.settings import get_settings
    from lake.storage import read_json
    from sarlake.workflows.pge import run_pge

    settings = get_settings()
    table = load_table("qa_training_set", settings)
    scan = table.scan(snapshot_id=int(dataset["data_version"]),
                      selected_fields=("product_id", "dataset_id", "uwe_label", "split"))
    rows = [r for r in scan.to_arrow().to_pylist() if r["dataset_id"] == dataset["dataset_id"]]
    scratch = Path(settings.scratch) / "qa"
    scratch.mkdir(parents=True, exist_ok=True)
    labels = scratch / f"labels-{dataset['dataset_id']}-{dataset['data_version']}.csv"
    with labels.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["product_id", "label", "split"])
        w.writerows([r["product_id"], r["uwe_label"], r["split"]] for r in rows)
    params: dict[str, Any] = {
        "labels": str(labels), "data_version": dataset["data_version"],
        "tracking_uri": settings.mlflow_tracking_uri, "artifact_root": settings.mlflow_artifact_root,
        "model_name": settings.qa_model_name, "quick": quick, "seed": seed, "workers": workers,
    }
    if models:
        params["models"] = models
    if second_sim_products is not None:
        params["second_sim_products"] = second_sim_products
    real_check = real_check if real_check is not None else settings.qa_real_check
    if real_check:
        params["real_check"] = str(Path(real_check).absolute())
        params["max_real_false_alarms"] = (settings.qa_max_real_false_alarms if max_real_false_alarms is None
                                           else max_real_false_alarms)
    run_id = run_id or f"manual__train__{datetime.now(UTC):%Y%m%dT%H%M%S}"
    result = run_pge("train", {"pge": "train", "run_id": run_id, "inputs": [dataset["met_uri"]],
                               "output_dir": f"{settings.products_root.rstrip('/')}/QA_TRAINING_RUN",
                               "parameters": params})
    folder = result["products"][0]["met_uri"].rsplit("/", 1)[0]  # a folder or an S3 prefix
    record: dict[str, Any] = read_json(f"{folder}/training.json", settings)
    record["folder"] = folder.removeprefix("file://")
    return record


def train_qa(scenes: int, *, first_scene: int = 0, models: list[str] | None = None, quick: bool = False,
             seed: int = 0, workers: int = 1, real_check: str | None = None,
             max_real_false_alarms: float | None = None, second_sim_products: int | None = None) -> dict[str, Any]:
    """Build a labelled set of ``scenes`` scenes and train the models on it (``make train``, ``qa_train`` DAG)."""
    dataset = build_training_set(scenes, first_scene=first_scene, workers=workers)
    record = train_models(dataset, models=models, quick=quick, seed=seed, real_check=real_check,
                          max_real_false_alarms=max_real_false_alarms, workers=workers,
                          second_sim_products=second_sim_products)
    record["label_noise"] = dataset["label_noise"]
    return record


def has_champion(model_name: str | None = None) -> bool:
    """Whether the registry has a ``champion`` version of the QA model that this code can score with.

    A champion trained on an older feature set (:func:`pges.qa.score.stale_feature_set`) does not count: a
    scorer refuses it, so ``--if-no-champion`` and :func:`ensure_champion` train a new one.
    """
    import mlflow

    from lake.settings import get_settings
    from pges.qa.score import stale_feature_set

    settings = get_settings()
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    try:
        mv = mlflow.MlflowClient().get_model_version_by_alias(model_name or settings.qa_model_name, "champion")
    except mlflow.exceptions.MlflowException:
        return False
    stale = stale_feature_set(mv.tags)
    if stale:
        logger.warning("the champion (version %s) was trained on feature set %s: it has to be retrained", mv.version,
                       stale)
    return stale is None


def ensure_champion(scenes: int = 40) -> dict[str, Any] | None:
    """Train a small champion (quick models) when the registry has none; return the record or None."""
    if has_champion():
        return None
    return train_qa(scenes, quick=True,
                    models=["random_forest", "gradient_boosting", "ordinal_boosting", "mlp_browse", "convnet"])

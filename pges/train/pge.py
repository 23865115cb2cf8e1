"""The ``qa_dataset`` and ``train`` PGEs.

``qa_dataset`` writes one product ``<output_dir>/<dataset_id>/``: ``samples.npz`` (product and scene ids,
features, browse thumbnails, phase tiles), ``products.csv`` (product_id, scene_id, split, missing inputs) and,
kept apart, ``truth/truth.csv`` (the simulator's intensity per tag type and the scene's knobs). The split is
fixed by scene: a scene id hashes to ``test`` one time in five, so no scene is in both splits.

``train`` reads that set and a labels CSV (consensus labels from the lake's training table), fits the models,
evaluates each on the held-out scenes against the simulator's truth and, when ``real_check`` names a manifest of
real products with closure truth (:mod:`pges.train.realcheck`), on those (false-alarm share), logs each to
MLflow, registers it and moves the aliases (:mod:`pges.train.tracking`). It writes
``<output_dir>/<run>/training.json`` with the runs, versions, metrics and the promotion decision.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from pges.contract import RunConfig
from pges.errors import InputValidationError
from pges.metadata import AssetSpec, bbox_polygon, build_item, iso_utc, write_item
from pges.runner import ProductResult, RunContext
from pges.train.config import DatasetParameters, TrainParameters

__all__ = ["LabelledSet", "load_set", "run_dataset", "run_train", "split_of"]

logger = logging.getLogger(__name__)

TRUTH_TYPES = ("UWE", "TNS", "TNT", "ION", "ORB", "DME", "PML", "PMR", "PCE", "RFI", "COH")


@dataclass
class Outputs:
    """Products of a run."""

    products: list[ProductResult] = field(default_factory=list)


def split_of(scene_id: str) -> str:
    """``test`` for one scene in five (fixed by the scene id's hash), else ``train``."""
    return "test" if hashlib.sha256(scene_id.encode()).digest()[0] % 5 == 0 else "train"


@contextmanager
def _quiet_stdout():  # type: ignore[no-untyped-def]
    """Silence what external binaries (SNAPHU) print on file descriptor 1."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def run_dataset(cfg: RunConfig[DatasetParameters], ctx: RunContext) -> Outputs:
    """Simulate the scenes of the set and write it as one product."""
    from pges.train.dataset import SampleProduct, simulate_scene

    p = cfg.parameters
    if ctx.publisher.exists(p.dataset_id):
        logger.info("%s already exists: skipped", p.dataset_id)
        return Outputs([ProductResult(p.dataset_id, None, skipped=True)])
    samples: list[SampleProduct] = []
    scenes = range(p.first_scene, p.first_scene + p.scenes)
    with _quiet_stdout():
        batches: Iterator[list[SampleProduct]]
        if p.workers == 1:
            batches = (simulate_scene(s, p.dates_per_scene, p.neighbours) for s in scenes)
        else:
            from concurrent.futures import ProcessPoolExecutor
            from functools import partial

            pool = ProcessPoolExecutor(p.workers)
            batches = pool.map(partial(simulate_scene, n_dates=p.dates_per_scene, neighbours=p.neighbours), scenes,
                               chunksize=4)
        for done, batch in enumerate(batches, start=1):
            samples += batch
            if done % 20 == 0:
                logger.info("%d/%d scenes, %d products", done, p.scenes, len(samples))
        if p.workers > 1:
            pool.shutdown()
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
                    "sarlake:uwe_truth_counts": [int(c) for c in counts], "sarlake:simulated": True},
        assets={"samples": AssetSpec("samples.npz", type="application/octet-stream"),
                "products": AssetSpec("products.csv", type="text/csv", roles=("metadata",)),
                "arrays": AssetSpec("arrays.npz", type="application/octet-stream", roles=("data",)),
                "truth": AssetSpec("truth", roles=("truth",), title="simulator truth (kept apart from labels)")},
        provenance=ctx.provenance(cfg),
    )
    write_item(item, out)
    logger.info("labelled set %s: %d products of %d scenes, truth UWE_0..3 = %s", p.dataset_id, len(samples),
                p.scenes, counts.tolist())
    return Outputs([ProductResult(p.dataset_id, out)])


@dataclass
class LabelledSet:
    """A labelled set in memory."""

    product_id: np.ndarray
    scene_id: np.ndarray
    features: np.ndarray
    browse: np.ndarray
    tiles: np.ndarray
    split: np.ndarray
    truth: dict[str, dict[str, Any]]
    folder: Path
    #: the features of every product computed without its coherence (None for a set without rasters)
    features_without_coherence: np.ndarray | None = None


def load_set(folder: Path) -> LabelledSet:
    """Read a ``qa_dataset`` product folder."""
    try:
        z = np.load(folder / "samples.npz")
        with (folder / "products.csv").open() as f:
            split = {r["product_id"]: r["split"] for r in csv.DictReader(f)}
        with (folder / "truth" / "truth.csv").open() as f:
            truth = {r["product_id"]: r for r in csv.DictReader(f)}
    except OSError as exc:
        raise InputValidationError(f"cannot read the labelled set in {folder}: {exc}") from exc
    ids = z["product_id"]
    features, browse, tiles = z["features"], z["browse"], z["tiles"]
    without = None
    if (folder / "arrays.npz").is_file():
        features, browse, tiles, without = recompute_features(folder / "arrays.npz", ids)
    return LabelledSet(ids, z["scene_id"], features, browse, tiles, np.array([split[i] for i in ids]), truth, folder,
                       without)


def recompute_features(arrays: Path, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The current features, images and features without coherence of every product, from ``arrays.npz``.

    Browse images and phase tiles are remade too; the features without coherence train the second model of a
    :class:`pges.train.models.CoherenceRouted` pair.

    A set made under an older feature set is thus never stale: the features are the product's, as a lake
    product's are recomputed by the ``qa`` PGE. The images are remade from the inputs the product kept, so an
    image model never sees a coherence layer the product's input profile dropped (older sets drew every image
    with the coherence).
    """
    from collections import defaultdict

    from pges.qa.features import FEATURE_SET, compute_features
    from pges.qa.images import browse_rgb, phase_tile

    z = np.load(arrays)
    by_product: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    for key in z.files:
        pid, name = key.split("/", 1)
        by_product[pid][name] = z[key]
    rows, browse, tiles, without = [], [], [], []
    for pid in ids:
        a = by_product[str(pid)]
        share = float(a["triplet_misclosure_share"]) if "triplet_misclosure_share" in a else None
        rows.append(compute_features(a["unw"], a.get("coherence"), a.get("wrapped"), a.get("conncomp"), a.get("dem"),
                                     triplet_misclosure_share=share, label=str(pid)).vector())
        without.append(rows[-1] if a.get("coherence") is None else compute_features(
            a["unw"], None, a.get("wrapped"), a.get("conncomp"), a.get("dem"), triplet_misclosure_share=share,
            label=str(pid)).vector())
        browse.append(browse_rgb(a["unw"], a.get("coherence")))
        tiles.append(phase_tile(a["unw"], a.get("coherence")))
    logger.info("features %s of %d products recomputed from %s", FEATURE_SET, len(rows), arrays)
    return np.stack(rows), np.stack(browse), np.stack(tiles), np.stack(without)


def _read_labels(path: str) -> dict[str, tuple[int, str]]:
    try:
        with Path(path).open() as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise InputValidationError(f"cannot read labels file {path}: {exc.strerror or exc}") from exc
    if not rows or not {"product_id", "label", "split"} <= set(rows[0]):
        raise InputValidationError(f"labels file {path} needs the columns product_id, label, split")
    return {r["product_id"]: (int(r["label"]), r["split"]) for r in rows}


def run_train(cfg: RunConfig[TrainParameters], ctx: RunContext) -> Outputs:
    """Fit, evaluate, log and register every model; move the aliases."""
    from pges.qa.model_io import INPUT_KINDS, p_error, to_model_input
    from pges.train import evaluate, tracking
    from pges.train.ensemble import averages
    from pges.train.models import MODEL_INPUTS, fit_model, fit_routed

    p = cfg.parameters
    if len(cfg.inputs) != 1:
        raise InputValidationError(f"train needs exactly 1 input (the labelled set's met.json), got {len(cfg.inputs)}")
    folder = ctx.fetch(cfg.inputs[0]).parent
    data = load_set(folder)
    labels = _read_labels(p.labels)
    keep = np.array([i in labels for i in data.product_id])
    if keep.sum() < 20:
        raise InputValidationError(f"only {int(keep.sum())} products of {folder} have labels in {p.labels}")
    y = np.array([labels[i][0] if i in labels else -1 for i in data.product_id])
    split = np.array([labels[i][1] if i in labels else "none" for i in data.product_id])
    train, test = keep & (split == "train"), keep & (split == "test")
    if not train.any() or not test.any():
        raise InputValidationError(
            f"the labelled set {folder.name} has {len(set(data.scene_id[keep]))} scenes: {int(train.sum())} products "
            f"fell in the training split and {int(test.sum())} in the held-out one (one scene in five, by the hash "
            "of its id); raise the set's scenes (the qa_train DAG's `scenes`, `sarlake qa train --scenes`) to 20 or "
            "more")
    if len(set(data.scene_id[train]) & set(data.scene_id[test])):
        raise InputValidationError("a scene is in both splits: the labels' split must be by scene")
    missing = set(range(4)) - set(y[train].tolist())
    if missing:
        raise InputValidationError(f"no training product labelled UWE_{min(missing)}: raise the set's scenes")
    y_truth = np.array([int(data.truth[i]["UWE"]) for i in data.product_id])
    inputs = {k: to_model_input(k, data.features, data.browse, data.tiles) for k in INPUT_KINDS}

    def rows(kind: str, sel: np.ndarray) -> Any:
        x = inputs[kind]
        if isinstance(x, dict):
            return {k: v[sel] for k, v in x.items()}
        return x.iloc[np.flatnonzero(sel)] if hasattr(x, "iloc") else x[sel]

    exp = tracking.open_tracking(p.tracking_uri, p.artifact_root, p.experiment)
    dataset_info = {"products": int(keep.sum()), "train": int(train.sum()), "test": int(test.sum()),
                    "scenes": len(set(data.scene_id[keep])), "set": folder.name}
    label_acc = float((y[keep] == y_truth[keep]).mean())
    real = None
    if p.real_check:
        from pges.train.realcheck import load_real_check

        real = load_real_check(p.real_check)
        dataset_info["real_check"] = Path(p.real_check).name
    n_second = p.second_sim_products if p.second_sim_products is not None else (0 if p.quick else 300)
    second = None
    if n_second:
        from pges.train.second_check import load_second_check

        second = load_second_check(n_second, p.workers)
        dataset_info["second_sim_products"] = n_second

    def fit(name: str, sel: np.ndarray) -> Any:
        kind = MODEL_INPUTS[name]
        if kind == "features" and p.route_degraded and data.features_without_coherence is not None:
            return fit_routed(name, rows(kind, sel), data.features_without_coherence[sel], y[sel], p.seed, p.quick)
        return fit_model(name, rows(kind, sel), y[sel], p.seed, p.quick)

    candidates, fitted_models = [], []
    for name in p.models:
        fitted = fit(name, train)
        if MODEL_INPUTS[name] == "features" and p.class_thresholds and not p.quick:
            fitted.thresholds = _class_thresholds(fit, name, rows, train, y, data.scene_id)
        fitted_models.append(fitted)
    test_truths = [data.truth[i] for i in data.product_id[test]]
    for fitted in fitted_models + averages(fitted_models):
        kind, th = fitted.input_kind, fitted.thresholds
        proba = fitted.predict_proba(rows(kind, test))
        m = evaluate.metrics(y_truth[test], proba, "test_", th)
        m.update(evaluate.metrics(y[test], proba, "test_consensus_", th))
        m.update(evaluate.by_cause(test_truths, proba, "test_", th))
        m["label_accuracy_vs_truth"] = label_acc
        if real is not None:
            m.update(real.summary(p_error(fitted.predict_proba(real.inputs[kind]))[0]))
        if second is not None:
            m.update(second.summary(fitted.predict_proba(second.inputs[kind]), th))
        figs = evaluate.figures(y_truth[test], proba, fitted.name, ctx.workdir / "figures" / fitted.name,
                                fitted.importances, th)
        candidates.append(tracking.log_candidate(
            fitted, rows(kind, test), m, figs, experiment_id=exp, model_name=p.model_name,
            data_version=p.data_version, dataset=dataset_info,
        ))
    champion_version, champion_metrics = _current_champion(p.model_name, candidates, inputs, rows, test, y_truth,
                                                           real)
    decision = tracking.promote(p.model_name, candidates, champion_metrics, champion_version,
                                p.max_real_false_alarms if real is not None else None)
    run_name = f"training-{cfg.run_id or 'manual'}-{datetime.now(UTC):%Y%m%dT%H%M%S}".replace(":", "_")
    out = ctx.product_dir(run_name)
    record = {
        "model_name": p.model_name, "data_version": p.data_version, "dataset": dataset_info,
        "label_accuracy_vs_truth": label_acc,
        "candidates": [{"name": c.name, "run_id": c.run_id, "version": c.version, "metrics": c.metrics}
                       for c in candidates],
        "champion_before": {"version": champion_version, "metrics": champion_metrics},
        "promotion": decision,
    }
    (out / "training.json").write_text(json.dumps(record, indent=2, default=float))
    for c in candidates:  # keep the champion's figures beside the record (docs/qa.md shows them)
        src = ctx.workdir / "figures" / c.name
        if src.is_dir():
            (out / "figures" / c.name).mkdir(parents=True)
            for png in src.glob("*.png"):
                (out / "figures" / c.name / png.name).write_bytes(png.read_bytes())
    now = datetime.now(UTC)
    item = build_item(
        product_dir=out, item_id=run_name, geometry=bbox_polygon(-180, -90, 180, 90), bbox=[-180, -90, 180, 90],
        properties={"datetime": iso_utc(now), "sarlake:product_type": "QA_TRAINING_RUN",
                    "sarlake:champion": decision["champion"], "sarlake:model_name": p.model_name},
        assets={"record": AssetSpec("training.json", type="application/json", roles=("metadata",)),
                "figures": AssetSpec("figures", roles=("overview",))},
        provenance=ctx.provenance(cfg),
    )
    write_item(item, out)
    return Outputs([ProductResult(run_name, out)])


def _class_thresholds(fit, name, rows, train, y, scenes):  # type: ignore[no-untyped-def]
    """A feature model's class thresholds (``pges.train.decision``) from its out-of-fold training predictions."""
    from pges.qa.model_io import DEFAULT_THRESHOLDS
    from pges.train.decision import fit_thresholds, out_of_fold

    idx = np.flatnonzero(train)

    def mask(i: np.ndarray) -> np.ndarray:
        m = np.zeros(len(train), bool)
        m[i] = True
        return m

    def fit_predict(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.asarray(fit(name, mask(idx[a])).predict_proba(rows("features", mask(idx[b]))))

    oof = out_of_fold(fit_predict, len(idx), y[idx], scenes[idx])
    th = DEFAULT_THRESHOLDS if oof is None else fit_thresholds(oof, y[idx])
    logger.info("%s: class thresholds t1 %.2f, t3 %.2f (out-of-fold, %s)", name, *th,
                "5 folds by scene" if oof is not None else "too few scenes: defaults")
    return th


def _current_champion(model_name, candidates, inputs, rows, test, y_truth, real=None):  # type: ignore[no-untyped-def]
    """The champion from before this run, scored on this run's held-out split (None when there is none).

    Scored on the real check set as well when one is given.
    """
    import mlflow

    from pges.train import evaluate, tracking

    client = mlflow.MlflowClient()
    try:
        mv = client.get_model_version_by_alias(model_name, "champion")
    except mlflow.exceptions.MlflowException:
        return None, None
    from pges.qa.score import stale_feature_set

    stale = stale_feature_set(mv.tags)  # the scorers refuse it too; an image model does not read the features
    if stale:
        logger.info("champion %s uses feature set %s: not comparable, it is replaced", mv.version, stale)
        return str(mv.version), None
    from pges.qa.model_io import thresholds_from_tags

    kind = mv.tags.get("sarlake.input_kind", "features")
    proba = tracking.score_version(model_name, str(mv.version), {kind: rows(kind, test)})
    metrics = evaluate.metrics(y_truth[test], proba, "test_", thresholds_from_tags(mv.tags))
    if real is not None:
        from pges.qa.model_io import p_error

        metrics.update(real.summary(p_error(tracking.score_version(model_name, str(mv.version), real.inputs))[0]))
    return str(mv.version), metrics

"""The ``train`` PGE (the ``qa_dataset`` PGE that makes its labelled sets: :mod:`pges.train.dataset_pge`).

``train`` reads a labelled set and a labels CSV (consensus labels from the lake's training table, relabelled with
the products' features by :mod:`pges.train.relabel` where it carries the crowd's likelihoods), fits the models,
evaluates each on the held-out scenes against the simulator's truth and, when ``real_check`` names a manifest of
real products with closure truth (:mod:`pges.train.realcheck`), on those (false-alarm share) and on wrong cuts
made in the clean ones (recall on real phase, :mod:`pges.train.realcuts`), logs each to MLflow, registers it and
moves the aliases (:mod:`pges.train.tracking`). It writes ``<output_dir>/<run>/training.json`` with the runs,
versions, metrics and the promotion decision.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from pges.contract import RunConfig
from pges.errors import InputValidationError
from pges.metadata import AssetSpec, bbox_polygon, build_item, iso_utc, write_item
from pges.qa.registry_access import with_credentials
from pges.runner import ProductResult, RunContext
from pges.train.config import TrainParameters
from pges.train.intervals import intervals
from pges.train.labelled_set import fetch_set, load_set, read_labels
from pges.train.quiet import quiet_stdout
from pges.train.relabel import crowd_relabel, read_crowd_likelihoods
from pges.train.truth import TRUTH_RULE

__all__ = ["TrainOutputs", "run_train"]

logger = logging.getLogger(__name__)


@dataclass
class TrainOutputs:
    """The training run's product (its record and figures)."""

    products: list[ProductResult] = field(default_factory=list)


def _fit_segmented(p: TrainParameters, data: Any, y: np.ndarray, train: np.ndarray) -> tuple[Any, dict[str, float]]:
    """The U-Net on scenes of its own and its classifier on the labelled set (``pges.train.segmenter``)."""
    from pges.train.decision import model_thresholds
    from pges.train.segmenter import NAME, fit_segmented, simulate_unet_set

    n = p.unet_scenes if p.unet_scenes is not None else (40 if p.quick else 1200)
    with quiet_stdout():
        unet_set = simulate_unet_set(n, p.unet_first_scene, p.workers)

    def thresholds(fit: Any, rows: Any) -> Any:
        return model_thresholds(fit, NAME, rows, train, y, data.scene_id)

    return fit_segmented(data, y, train, unet_set, seed=p.seed, quick=p.quick, route=p.route_degraded,
                         thresholds=thresholds if p.class_thresholds and not p.quick else None, levels=p.unet_levels)


def _fresh_check(p: TrainParameters, set_scenes: np.ndarray) -> Any:
    """The fresh scenes every candidate is also scored on (None: none asked); refused if the set holds one."""
    from pges.train.dataset import scene_name
    from pges.train.fresh_check import load_fresh_check

    n = p.fresh_scenes if p.fresh_scenes is not None else (0 if p.quick else 840)
    if not n:
        return None
    seeds = range(p.fresh_first_scene, p.fresh_first_scene + n)
    shared = {scene_name(s) for s in seeds} & set(set_scenes.tolist())
    if shared:
        raise InputValidationError(
            f"{len(shared)} fresh scenes (seeds {seeds.start}..{seeds.stop - 1}) are in the labelled set, e.g. "
            f"{min(shared)}: set the train PGE's fresh_first_scene past the set's scenes")
    with quiet_stdout():
        return load_fresh_check(n, p.workers, p.fresh_first_scene)


def run_train(cfg: RunConfig[TrainParameters], ctx: RunContext) -> TrainOutputs:
    """Fit, evaluate, log and register every model; move the aliases."""
    from pges.qa.model_io import INPUT_KINDS, p_error, to_model_input
    from pges.train import evaluate, segmenter, tracking
    from pges.train.champion import current_champion, margins
    from pges.train.decision import model_thresholds
    from pges.train.ensemble import Predictions, averages
    from pges.train.models import MODEL_INPUTS, fit_model, fit_routed

    p = cfg.parameters
    if len(cfg.inputs) != 1:
        raise InputValidationError(f"train needs exactly 1 input (the labelled set's met.json), got {len(cfg.inputs)}")
    folder = fetch_set(cfg.inputs[0], ctx.fetch)
    data = load_set(folder)
    labels_path = str(ctx.fetch(p.labels))  # a local path, or the lake's export on S3
    labels = read_labels(labels_path)
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
    likelihood = read_crowd_likelihoods(labels_path, data.product_id) if p.crowd_relabel else None
    inputs = {k: to_model_input(k, data.features, data.browse, data.tiles) for k in INPUT_KINDS}

    def rows(kind: str, sel: np.ndarray) -> Any:
        x = inputs[kind]
        if isinstance(x, dict):
            return {k: v[sel] for k, v in x.items()}
        return x.iloc[np.flatnonzero(sel)] if hasattr(x, "iloc") else x[sel]

    exp = tracking.open_tracking(with_credentials(p.tracking_uri), p.artifact_root, p.experiment)
    dataset_info = {"products": int(keep.sum()), "train": int(train.sum()), "test": int(test.sum()),
                    "scenes": len(set(data.scene_id[keep])), "set": folder.name, "truth_rule": data.truth_rule}
    label_acc = float((y[keep] == y_truth[keep]).mean())
    real, cuts = None, None
    if p.real_check:
        from pges.train.realcheck import fetch_real_check, load_real_check
        from pges.train.realcuts import load_real_cuts

        real = load_real_check(fetch_real_check(p.real_check, ctx.fetch))
        dataset_info["real_check"] = p.real_check.rsplit("/", 1)[-1]
        cuts = None if p.quick else load_real_cuts(real.products, real.clean)
        if cuts is not None:
            dataset_info["real_cuts_products"] = len(cuts.y)
    n_second = p.second_sim_products if p.second_sim_products is not None else (0 if p.quick else 300)
    second = None
    if n_second:
        from pges.train.second_check import load_second_check

        second = load_second_check(n_second, p.workers)
        dataset_info["second_sim_products"] = n_second

    fresh = _fresh_check(p, data.scene_id[keep])
    if fresh is not None:
        dataset_info["fresh_scenes"] = int(len(set(fresh.scene_id.tolist())))
    if data.truth_rule != TRUTH_RULE and (fresh is not None or second is not None):
        logger.warning("the labelled set %s was measured with the truth rule %s and the fresh and second-simulator "
                       "products with %s (this code's): their figures and the held-out ones are not comparable; "
                       "make a new set (the qa_train DAG, sarlake qa train) to compare them", folder.name,
                       data.truth_rule, TRUTH_RULE)

    def fit(name: str, sel: np.ndarray) -> Any:
        kind = MODEL_INPUTS[name]
        if kind == "features" and p.route_degraded and data.features_without_coherence is not None:
            return fit_routed(name, rows(kind, sel), data.features_without_coherence[sel], y[sel], p.seed, p.quick)
        return fit_model(name, rows(kind, sel), y[sel], p.seed, p.quick)

    y_consensus = y
    if likelihood is not None:  # fit() reads y when called: the folds' models learn the consensus
        y = crowd_relabel(fit, rows, train, y, data.scene_id, likelihood)
        dataset_info["crowd_relabelled"] = int((y != y_consensus).sum())
    training_label_acc = float((y[train] == y_truth[train]).mean())
    candidates, fitted_models, own_metrics = [], [], {}
    held_classes: dict[str, np.ndarray] = {}  # version -> decided class of each held-out row
    for name in p.models:
        if name == segmenter.NAME:
            fitted, own_metrics[name] = _fit_segmented(p, data, y, train)
            fitted_models.append(fitted)
            continue
        fitted = fit(name, train)
        if MODEL_INPUTS[name] == "features" and p.class_thresholds and not p.quick:
            fitted.thresholds = model_thresholds(fit, name, rows, train, y, data.scene_id)
        fitted_models.append(fitted)
    test_truths = [data.truth[i] for i in data.product_id[test]]
    # each set's probabilities, every model predicted once: an average is the mean of its members' (12 s a full run)
    held_out = Predictions(lambda kind: rows(kind, test))
    checks = {name: Predictions(check.inputs.__getitem__)
              for name, check in (("real", real), ("cuts", cuts), ("second", second), ("fresh", fresh))
              if check is not None}
    for fitted in fitted_models + averages(fitted_models):
        kind, th = fitted.input_kind, fitted.thresholds
        proba = held_out(fitted)
        m = evaluate.metrics(y_truth[test], proba, "test_", th)
        m.update(evaluate.metrics(y_consensus[test], proba, "test_consensus_", th))
        m.update(intervals(y_truth[test], proba, data.scene_id[test], "test_", th))
        m.update(evaluate.by_cause(test_truths, proba, "test_", th))
        m["label_accuracy_vs_truth"] = label_acc
        m["training_label_accuracy_vs_truth"] = training_label_acc
        m.update(own_metrics.get(fitted.name, {}))
        if real is not None:
            m.update(real.summary(p_error(checks["real"](fitted))[0]))
        if cuts is not None:
            m.update(cuts.summary(checks["cuts"](fitted), th))
        if second is not None:
            m.update(second.summary(checks["second"](fitted), th))
        if fresh is not None:
            m.update(fresh.summary(checks["fresh"](fitted), th))
        figs = evaluate.figures(y_truth[test], proba, fitted.name, ctx.workdir / "figures" / fitted.name,
                                fitted.importances, th)
        candidates.append(tracking.log_candidate(
            fitted, rows(kind, test), m, figs, experiment_id=exp, model_name=p.model_name,
            data_version=p.data_version, dataset=dataset_info,
        ))
        held_classes[candidates[-1].version] = p_error(proba, th)[1]
    champion_version, champion_metrics, champion_classes = current_champion(p.model_name, rows, test, y_truth, real)
    if champion_version is not None and champion_classes is not None:
        held_classes[champion_version] = champion_classes
    decision = tracking.promote(p.model_name, candidates, champion_metrics, champion_version,
                                p.max_real_false_alarms if real is not None else None, quick=p.quick)
    decision["margins"] = margins(decision, held_classes, y_truth[test], data.scene_id[test])
    tracking.tag_margins(p.model_name, decision)
    run_name = f"training-{cfg.run_id or 'manual'}-{datetime.now(UTC):%Y%m%dT%H%M%S}".replace(":", "_")
    out = ctx.product_dir(run_name)
    record = {
        "model_name": p.model_name, "data_version": p.data_version, "dataset": dataset_info,
        "label_accuracy_vs_truth": label_acc, "training_label_accuracy_vs_truth": training_label_acc,
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
    return TrainOutputs([ProductResult(run_name, out)])

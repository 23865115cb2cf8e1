"""The two-step QA model's training: a U-Net on the truth's error maps, then ordinal boosting on its summaries.

Why (docs/qa.md, "A U-Net on the truth's error maps"): the feature models learn the share of a product that is a
cycle off from one label per product; a U-Net learns it from every pixel. Its input is the ConvNet's masked phase
tile, its target the simulator truth's error map resampled like the tile (``pges.train.truth.error_tile``: a
cycle or more off, on the judged pixels only), its loss binary cross-entropy on the judged pixels, and every
epoch sees each tile under a random flip or turn (an unwrapping error has no orientation). Four summaries of its
map (:func:`pges.qa.segmentation.summaries`) are appended to the features of the ordinal boosting recipe.

The U-Net learns from a set of its own (:func:`simulate_unet_set`): scenes of other seeds than the labelled set's,
simulated by the same code, of which it is fitted on the training-split scenes (``split_of``) and measured on the
others (pixel recall and precision). So the summaries of every labelled product, training and held-out alike, are
of a tile the U-Net never saw, and the classifier learns what the map of an unseen tile looks like. (Fitted on
the labelled set's own 1,690 training products instead, with summaries out of fold, it gave no gain: F1 0.928
against 0.934 without it, docs/qa.md.) The truth's maps are used by the U-Net only; the classifier learns from
the consensus labels like every other model.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from pges.qa.segmentation import SegmentedModel, summary_names
from pges.train.models import MODELS, Fitted, fit_routed

__all__ = ["NAME", "KerasMaps", "Probabilities", "Segmented", "UNetSet", "fit_on_set", "fit_segmented", "fit_unet",
           "pixel_scores", "simulate_unet_set"]

logger = logging.getLogger(__name__)

#: the feature model the summaries feed
CLASSIFIER = "ordinal_boosting"
#: the model's name (training parameters, MLflow runs)
NAME = "unet_ordinal_boosting"


def _unet(seed: int, width: int, levels: int = 1) -> Any:
    """64 -> 8 pixels and back with skip connections, ``levels`` logits per pixel (``width`` channels at 64 x 64).

    Channel k - 1 is the logit of p(pixel k or more cycles off); :func:`fit_unet` appends the sigmoid once fitted.
    """
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)

    def block(x: Any, n: int) -> Any:
        x = layers.Conv2D(n, 3, padding="same", activation="relu")(x)
        return layers.Conv2D(n, 3, padding="same", activation="relu")(x)

    inp = keras.Input(shape=(64, 64, 2))
    c1 = block(inp, width)
    c2 = block(layers.MaxPooling2D()(c1), 2 * width)
    c3 = block(layers.MaxPooling2D()(c2), 3 * width)
    c4 = block(layers.MaxPooling2D()(c3), 4 * width)
    u3 = block(layers.Concatenate()([layers.UpSampling2D()(c4), c3]), 3 * width)
    u2 = block(layers.Concatenate()([layers.UpSampling2D()(u3), c2]), 2 * width)
    u1 = block(layers.Concatenate()([layers.UpSampling2D()(u2), c1]), width)
    return keras.Model(inp, layers.Conv2D(levels, 1)(u1))


def _pixel_loss(target: Any, z: Any) -> Any:
    """Binary cross-entropy of every channel's logit ``z`` on the judged pixels only (the target's last channel).

    From the logits, ``softplus(z) - y z``, whose gradient ``sigmoid(z) - y`` never vanishes: on probabilities a
    saturated sigmoid (an output pushed to 0 early in training, as the rare "two or more cycles" channel is) has no
    gradient left, and a net with two channels was seen to stay there.
    """
    import keras.ops as ops

    y, w = target[..., :-1], target[..., -1:]
    return ops.sum((ops.softplus(z) - y * z) * w) / (ops.sum(w) + 1.0)


def _dihedral(a: np.ndarray, k: int) -> np.ndarray:
    a = np.rot90(a, k % 4, axes=(1, 2))
    return a[:, :, ::-1] if k >= 4 else a


def fit_unet(tiles: np.ndarray, errors: np.ndarray, seed: int, epochs: int, width: int = 8,
             batch_size: int = 64, levels: int = 1) -> tuple[Any, list[float]]:
    """A U-Net fitted on ``tiles`` (n, 64, 64, 2) against ``errors`` (int8 |cycles|, -1 not judged).

    Its ``levels`` output channels learn "``k`` or more cycles off" for k = 1..levels.

    Returns:
        The model, uncompiled (it saves and converts without the training loss), and the loss per epoch.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    target = np.stack([errors >= k for k in range(1, levels + 1)] + [errors >= 0], axis=-1).astype(np.float32)
    both = np.concatenate([np.asarray(tiles, dtype=np.float32), target], axis=-1)
    model = _unet(seed, width, levels)
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss=_pixel_loss)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        k = rng.integers(0, 8, len(both))
        moved = np.concatenate([_dihedral(both[k == j], j) for j in range(8)])
        hist = model.fit(moved[..., :2], moved[..., 2:], batch_size=batch_size, epochs=1, verbose=0,
                         shuffle=True)
        losses.append(float(hist.history["loss"][-1]))
    logger.info("U-Net (%d channels, %d levels) on %d tiles, %d epochs: loss %.4f", width, levels, len(both), epochs,
                losses[-1] if losses else float("nan"))
    return keras.Model(model.inputs, keras.layers.Activation("sigmoid")(model.outputs[0])), losses


class KerasMaps:
    """A Keras U-Net called as the served LiteRT one is: ``predict(tiles) -> maps``."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(self, tiles: np.ndarray) -> np.ndarray:
        """p(pixel k or more cycles off) maps ``(n, 64, 64, levels)`` of tiles ``(n, 64, 64, 2)``."""
        return np.asarray(self.model.predict(np.asarray(tiles, dtype=np.float32), batch_size=256, verbose=0))


@dataclass
class UNetSet:
    """Phase tiles and the truth's error tiles of the U-Net's own scenes."""

    tiles: np.ndarray
    errors: np.ndarray
    scene_id: np.ndarray


def _scene_tiles(seed: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    from pges.train.dataset import simulate_scene

    return [(s.scene_id, s.tile, s.error_tile) for s in simulate_scene(seed) if s.error_tile is not None]


def simulate_unet_set(scenes: int, first_scene: int, workers: int = 1) -> UNetSet:
    """Simulate ``scenes`` scenes from seed ``first_scene`` (the labelled set's recipe) for the U-Net."""
    from pges.train.pools import process_pool

    seeds = range(first_scene, first_scene + scenes)
    if workers > 1:
        with process_pool(workers) as pool:
            parts = list(pool.map(_scene_tiles, seeds, chunksize=4))
    else:
        parts = [_scene_tiles(s) for s in seeds]
    rows = [r for part in parts for r in part]
    logger.info("U-Net set: %d products of %d scenes from seed %d", len(rows), scenes, first_scene)
    return UNetSet(np.stack([r[1] for r in rows]), np.stack([r[2] for r in rows]), np.array([r[0] for r in rows]))


def fit_on_set(unet_set: UNetSet, seed: int, epochs: int, width: int,
               levels: int = 1) -> tuple[Any, dict[str, float], list[float]]:
    """The U-Net fitted on the set's training-split scenes; its pixel scores on the others (:func:`pixel_scores`)."""
    from pges.train.labelled_set import split_of

    held = np.array([split_of(s) == "test" for s in unet_set.scene_id])
    model, losses = fit_unet(unet_set.tiles[~held], unet_set.errors[~held], seed, epochs, width, levels=levels)
    scores: dict[str, float] = {"unet_train_products": float((~held).sum()), "unet_test_products": float(held.sum())}
    if held.any():
        scores |= pixel_scores(KerasMaps(model).predict(unet_set.tiles[held]), unet_set.errors[held])
    logger.info("U-Net on its held-out scenes: %s", scores)
    return model, scores, losses


def pixel_scores(maps: np.ndarray, errors: np.ndarray) -> dict[str, float]:
    """Recall and precision (p > 0.5, judged pixels) of each channel of ``maps`` against the truth's ``errors``.

    Channel 1 (a cycle or more off) as ``unet_pixel_recall`` and ``unet_pixel_precision``, channel k (k or more
    cycles off) with the suffix ``_k``.
    """
    maps = np.asarray(maps).reshape(*np.shape(errors), -1)
    judged = errors >= 0
    scores: dict[str, float] = {}
    for k in range(1, maps.shape[-1] + 1):
        hot, wrong = (maps[..., k - 1] > 0.5) & judged, judged & (errors >= k)
        suffix = "" if k == 1 else f"_{k}"
        scores[f"unet_pixel_recall{suffix}"] = float(hot[wrong].mean()) if wrong.any() else float("nan")
        scores[f"unet_pixel_precision{suffix}"] = float(wrong[hot].mean()) if hot.any() else float("nan")
    return scores


class Segmented:
    """The fitted two-step model in memory (for evaluation), predicting as the served one does."""

    classes_ = np.arange(4)

    def __init__(self, unet: Any, classifier: Any) -> None:
        self.unet, self.classifier = unet, classifier
        self._served = SegmentedModel(KerasMaps(unet), Probabilities(classifier))

    def predict_proba(self, x: dict[str, Any]) -> np.ndarray:
        """(n, 4) class probabilities of ``features+tiles`` inputs."""
        return self._served.predict(x)


class Probabilities:
    """A scikit-learn classifier called as the served one is: ``predict(x) -> (n, 4)`` probabilities."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(n, 4) class probabilities."""
        return np.asarray(self.model.predict_proba(x))


def fit_segmented(data: Any, y: np.ndarray, train: np.ndarray, unet_set: UNetSet, *, seed: int = 0,
                  quick: bool = False, route: bool = True, thresholds: Any = None,
                  levels: int = 1) -> tuple[Fitted, dict[str, float]]:
    """Fit the U-Net on ``unet_set`` and the classifier on the ``train`` rows of a labelled set.

    Args:
        data: the labelled set (:class:`pges.train.labelled_set.LabelledSet`); to ``route``, it must hold the
            tiles and features without coherence.
        y: labels (consensus) of every row.
        train: boolean mask of the training rows.
        unet_set: the U-Net's own scenes (none of them in ``data``).
        seed: seed of every model.
        quick: a few epochs (demo, tests).
        route: the classifier as a coherence-routed pair (:class:`pges.train.models.CoherenceRouted`).
        thresholds: ``thresholds(fit, rows)`` fits the class thresholds from the classifier's fit and input
            (``pges.train.decision.model_thresholds``'s ``fit`` and ``rows``); None keeps the defaults.
        levels: the U-Net's output channels (p(k or more cycles off), k = 1..levels).

    Returns:
        The fitted model and the U-Net's scores on its held-out scenes.
    """
    shared = set(unet_set.scene_id.tolist()) & set(np.asarray(data.scene_id).tolist())
    if shared:
        raise ValueError(f"the U-Net's scenes must be apart from the labelled set's; both hold {sorted(shared)[:3]}")
    cycles = f">= 1..{levels} cycles" if levels > 1 else ">= 1 cycle"
    params: dict[str, Any] = {"unet_width": 8, "unet_epochs": 3 if quick else 15,
                              "unet_target": f"truth error map, {cycles}, judged pixels",
                              "unet_levels": levels,
                              "unet_scenes": len(set(unet_set.scene_id.tolist()))}
    unet, scores, losses = fit_on_set(unet_set, seed, params["unet_epochs"], params["unet_width"], levels)
    route = route and data.features_without_coherence is not None and data.tiles_without_coherence is not None
    served = SegmentedModel(KerasMaps(unet), None)  # the classifier's input as the served model makes it
    x = served.features({"features": data.features, "tiles": data.tiles})
    xw = served.features({"features": data.features_without_coherence, "tiles": data.tiles_without_coherence}) \
        if route else x

    def fit(_: str, sel: np.ndarray) -> Fitted:
        if route:
            return fit_routed(CLASSIFIER, x[sel], xw[sel], y[sel], seed, quick, extra=len(summary_names(levels)))
        return MODELS[CLASSIFIER](x[sel], np.asarray(y[sel], dtype=np.int64), seed, quick)

    classifier = fit(CLASSIFIER, train)
    fitted = Fitted(NAME, "features+tiles", "segmented", Segmented(unet, classifier.model),
                    {**params, **classifier.params}, history={"unet_loss": losses})
    if thresholds is not None:
        fitted.thresholds = thresholds(fit, lambda _, sel: x[sel])
    return fitted, scores

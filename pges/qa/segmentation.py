"""A QA model in two steps: a U-Net maps the pixels a cycle or more off, a feature model reads the map's summaries.

The U-Net (``pges.train.segmenter``) takes the ConvNet's masked phase tile (:func:`pges.qa.images.phase_tile`)
and gives p(pixel in error) per tile pixel. :func:`summaries` reduces that map to four numbers over the tile's
valid pixels, which are appended to the QA features; the feature model (ordinal boosting) classifies them.
Model input kind ``features+tiles``, as the averages (:mod:`pges.qa.model_load`), so every scorer already hands
it both inputs. In MLflow it is a ``python_function`` model whose artifacts are the two members, the U-Net with
its LiteRT conversion (:mod:`pges.qa.litert`), so a scorer runs it without TensorFlow.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["COMBINE", "SUMMARY_NAMES", "SegmentedModel", "summaries", "without_coherence"]

#: the ``combine`` value of a two-step model's pyfunc config (an average has none)
COMBINE = "segment_then_classify"
#: the summaries appended to the features, in order
SUMMARY_NAMES = ("unet_mean_p", "unet_share_above_half", "unet_largest_region", "unet_max_p")


def summaries(maps: np.ndarray, tiles: np.ndarray) -> np.ndarray:
    """(n, 4) summaries of U-Net maps ``(n, 64, 64[, 1])`` over each tile's valid (non-zero) pixels.

    Mean p, share of pixels with p > 0.5, largest 4-connected region with p > 0.5 (share of the valid pixels),
    and the largest p; all 0 for a tile without valid pixels.
    """
    from scipy import ndimage

    maps = np.asarray(maps, dtype=np.float64).reshape(len(tiles), *np.shape(tiles)[1:3])
    valid = (np.asarray(tiles)[..., 0] != 0) | (np.asarray(tiles)[..., 1] != 0)
    out = np.zeros((len(maps), len(SUMMARY_NAMES)))
    for i, (p, v) in enumerate(zip(maps, valid, strict=True)):
        n = int(v.sum())
        if not n:
            continue
        hot = (p > 0.5) & v
        labels, k = ndimage.label(hot)
        largest = float(np.bincount(labels.ravel())[1:].max()) if k else 0.0
        out[i] = [float(p[v].sum()) / n, float(hot.sum()) / n, largest / n, float(p[v].max())]
    return out


def without_coherence(tiles: np.ndarray, features: np.ndarray) -> np.ndarray:
    """``tiles`` with the products without coherence features drawn as without a coherence layer.

    Their coherence channel becomes what ``phase_tile`` draws without a layer (1 on the valid pixels), so a layer
    ignored because it does not follow the phase is not read by the U-Net either.
    """
    from pges.qa.features import FEATURE_NAMES

    none = np.isnan(np.asarray(features, dtype=np.float64)[:, FEATURE_NAMES.index("coherence_mean")])
    if not none.any():
        return tiles
    out = np.array(tiles, copy=True)
    t = out[none]
    t[..., 1] = ((t[..., 0] != 0) | (t[..., 1] != 0)).astype(t.dtype)
    out[none] = t
    return out


class SegmentedModel:
    """The served two-step model: ``segmenter.predict(tiles)`` then ``classifier.predict(features + summaries)``."""

    def __init__(self, segmenter: Any, classifier: Any) -> None:
        self.segmenter, self.classifier = segmenter, classifier

    def features(self, inputs: dict[str, Any]) -> np.ndarray:
        """The classifier's input: the features with the U-Net's summaries appended.

        A product whose features have no coherence (``coherence_mean`` null: no layer, or one ignored because it
        does not follow the phase) is segmented on its tile without coherence, as the model fitted without
        coherence learnt it (:func:`without_coherence`).
        """
        features = np.asarray(inputs["features"], dtype=np.float64)
        tiles = without_coherence(np.asarray(inputs["tiles"], dtype=np.float32), features)
        maps = np.asarray(self.segmenter.predict(tiles)) if len(tiles) else np.zeros((0, *tiles.shape[1:3]))
        return np.column_stack([features, summaries(maps, tiles)])

    def predict(self, inputs: dict[str, Any]) -> np.ndarray:
        """(n, 4) class probabilities."""
        return np.asarray(self.classifier.predict(self.features(inputs)), dtype=np.float64)

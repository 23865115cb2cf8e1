"""A QA model in two steps: a U-Net maps the pixels a cycle or more off, a feature model reads the map's summaries.

The U-Net (``pges.train.segmenter``) takes the ConvNet's masked phase tile (:func:`pges.qa.images.phase_tile`)
and gives p(pixel in error) per tile pixel, and with more than one output channel p(pixel k or more cycles off)
for k = 2, ... . :func:`summaries` reduces those maps to four numbers over the tile's valid pixels, and two more
per further channel, which are appended to the QA features; the feature model (ordinal boosting) classifies them.
Model input kind ``features+tiles``, as the averages (:mod:`pges.qa.model_load`), so every scorer already hands
it both inputs. In MLflow it is a ``python_function`` model whose artifacts are the two members, the U-Net with
its LiteRT conversion (:mod:`pges.qa.litert`), so a scorer runs it without TensorFlow.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["COMBINE", "LEVEL_SUMMARY_NAMES", "SUMMARY_NAMES", "SegmentedModel", "summaries", "summary_names",
           "without_coherence"]

#: the ``combine`` value of a two-step model's pyfunc config (an average has none)
COMBINE = "segment_then_classify"
#: the summaries of a map's first channel (p(pixel a cycle or more off)) appended to the features, in order
SUMMARY_NAMES = ("unet_mean_p", "unet_share_above_half", "unet_largest_region", "unet_max_p")
#: the summaries of each further channel k (p(pixel k + 1 or more cycles off)), named with the cycle count
LEVEL_SUMMARY_NAMES = ("unet_mean_p{k}", "unet_share_above_half_p{k}")


def summary_names(levels: int = 1) -> tuple[str, ...]:
    """The summaries' names of a U-Net with ``levels`` output channels (cycle counts 1..levels)."""
    return SUMMARY_NAMES + tuple(n.format(k=k) for k in range(2, levels + 1) for n in LEVEL_SUMMARY_NAMES)


def summaries(maps: np.ndarray, tiles: np.ndarray) -> np.ndarray:
    """Summaries of U-Net maps ``(n, 64, 64[, levels])`` over each tile's valid (non-zero) pixels.

    Of the first channel (p(pixel a cycle or more off)): mean p, share of pixels with p > 0.5, largest 4-connected
    region with p > 0.5 (share of the valid pixels), and the largest p. Of each further channel (p(k or more
    cycles off), k = 2, ...): mean p and share above 0.5, so that the mean over all channels is the expected
    number of cycles a pixel is off, the severity that defines the class. All 0 for a tile without valid pixels.
    Columns named by :func:`summary_names`.
    """
    from scipy import ndimage

    n_tiles, (h, w) = len(tiles), np.shape(tiles)[1:3]
    maps = np.asarray(maps, dtype=np.float64)
    maps = maps.reshape(n_tiles, h, w, maps.shape[-1] if maps.ndim == 4 else 1)
    levels = maps.shape[-1]
    valid = (np.asarray(tiles)[..., 0] != 0) | (np.asarray(tiles)[..., 1] != 0)
    out = np.zeros((n_tiles, len(summary_names(levels))))
    for i, (m, v) in enumerate(zip(maps, valid, strict=True)):
        n = int(v.sum())
        if not n:
            continue
        p = m[..., 0]
        hot = (p > 0.5) & v
        labels, k = ndimage.label(hot)
        largest = float(np.bincount(labels.ravel())[1:].max()) if k else 0.0
        row = [float(p[v].sum()) / n, float(hot.sum()) / n, largest / n, float(p[v].max())]
        for c in range(1, levels):
            q = m[..., c][v]
            row += [float(q.sum()) / n, float((q > 0.5).sum()) / n]
        out[i] = row
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

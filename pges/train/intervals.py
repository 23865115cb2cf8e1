"""How sure a held-out figure is: 95 % intervals from a bootstrap over scenes.

A held-out split of ~400 products has ~60 in each middle class, so a class's accuracy moves by ~6 points with the
sample, and two models' F1 a few thousandths apart are not told apart by it. The products of one scene share its
terrain, atmosphere and artefacts, so they are not independent draws: the bootstrap resamples whole scenes (with
replacement, as many as there are) and recomputes each figure from the resampled products. The interval is the
2.5th to 97.5th percentile of the resampled figure (the percentile bootstrap; Efron & Tibshirani 1993, ch. 13).
"""

from __future__ import annotations

import numpy as np

from pges.qa.model_io import DEFAULT_THRESHOLDS, ERROR_FROM, p_error

__all__ = ["figures", "intervals", "paired", "resampled", "scene_counts"]

#: resamples of the scenes per interval (a 95 % percentile interval needs ~1,000; Efron & Tibshirani 1993, 13.3)
DRAWS = 1000


def scene_counts(groups: np.ndarray, y_true: np.ndarray, cls: np.ndarray) -> np.ndarray:
    """Per scene: products of each true class, right calls of each, then tp, fp, fn of "UWE >= 2" (S x 11)."""
    _, idx = np.unique(groups, return_inverse=True)
    counts = np.zeros((int(idx.max()) + 1, 11))
    np.add.at(counts, (idx, y_true), 1)
    np.add.at(counts, (idx, 4 + y_true), cls == y_true)
    bad, called = y_true >= ERROR_FROM, cls >= ERROR_FROM
    for j, hit in enumerate((bad & called, ~bad & called, bad & ~called)):
        np.add.at(counts[:, 8 + j], idx, hit)
    return counts


def figures(totals: np.ndarray) -> dict[str, np.ndarray]:
    """The figures of each row of summed :func:`scene_counts` (a draw's, or every scene's once).

    Returns:
        ``accuracy`` (rows x 4, NaN for a class without a product), ``mean_class_accuracy`` (over the classes
        present) and ``f1`` ("UWE >= 2"; NaN without a product of it or a call of it).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(totals[:, :4] > 0, totals[:, 4:8] / totals[:, :4], np.nan)
    tp, fp, fn = totals[:, 8:].T
    f1 = np.where(tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), np.nan)
    return {"accuracy": accuracy, "mean_class_accuracy": np.nanmean(accuracy, axis=1), "f1": f1}


def resampled(y_true: np.ndarray, cls: np.ndarray, groups: np.ndarray, draws: int = DRAWS,
              seed: int = 0) -> dict[str, np.ndarray]:
    """The :func:`figures` of ``draws`` resamples of the scenes.

    Args:
        y_true: true intensities 0-3.
        cls: decided classes 0-3 (a class >= 2 is a call of "UWE >= 2", as :func:`pges.qa.model_io.decide_class`).
        groups: each product's scene; products of one scene are drawn together.
        draws: how many resamples.
        seed: of the resampling.
    """
    counts = scene_counts(np.asarray(groups), np.asarray(y_true, dtype=int), np.asarray(cls, dtype=int))
    n = len(counts)
    weights = np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=draws)
    return figures(weights @ counts)


def intervals(y_true: np.ndarray, proba: np.ndarray, groups: np.ndarray, prefix: str = "",
              thresholds: tuple[float, float] = DEFAULT_THRESHOLDS, draws: int = DRAWS,
              seed: int = 0) -> dict[str, float]:
    """95 % intervals of F1 ("UWE >= 2"), each class's accuracy and their mean, as ``<figure>_low`` / ``_high``.

    The figures are :func:`pges.train.evaluate.metrics`'s (``f1_uwe2``, ``accuracy_uwe0..3``) and their mean
    (``mean_class_accuracy``, also returned itself); classes are decided with the model's ``thresholds``. A class
    with no product gives NaN bounds.
    """
    _, cls = p_error(proba, thresholds)
    y_true = np.asarray(y_true, dtype=int)
    r = resampled(y_true, cls, groups, draws, seed)
    out = {"mean_class_accuracy": _point(y_true, cls)[1]}
    bounds = {"f1_uwe2": r["f1"], "mean_class_accuracy": r["mean_class_accuracy"],
              **{f"accuracy_uwe{k}": r["accuracy"][:, k] for k in range(4)}}
    for name, values in bounds.items():
        out[f"{name}_low"], out[f"{name}_high"] = _bounds(values)
    return {f"{prefix}{k}": v for k, v in out.items()}


def _bounds(values: np.ndarray) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of the draws that have the figure (NaN, NaN if none has)."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return float("nan"), float("nan")
    lo, hi = np.percentile(finite, [2.5, 97.5])
    return float(lo), float(hi)


def _point(y_true: np.ndarray, cls: np.ndarray) -> tuple[float, float]:
    """F1 ("UWE >= 2") and mean class accuracy of the products themselves (every scene once)."""
    f = figures(scene_counts(np.zeros(len(y_true)), y_true, cls))
    return float(f["f1"][0]), float(f["mean_class_accuracy"][0])


def paired(y_true: np.ndarray, cls_a: np.ndarray, cls_b: np.ndarray, groups: np.ndarray, draws: int = DRAWS,
           seed: int = 0) -> dict[str, float]:
    """Model a's F1 and mean class accuracy less model b's on the same products, with 95 % intervals.

    Both are recomputed on the *same* resampled scenes, so what the two share (the scenes' difficulty) cancels: the
    interval is of the difference, narrower than the two figures' own intervals would suggest.

    Returns:
        ``f1_uwe2_difference`` and ``mean_class_accuracy_difference``, each with ``_low`` / ``_high``.
    """
    y_true = np.asarray(y_true, dtype=int)
    cls_a, cls_b = np.asarray(cls_a, dtype=int), np.asarray(cls_b, dtype=int)
    ra, rb = (resampled(y_true, c, groups, draws, seed) for c in (cls_a, cls_b))  # same seed: the same draws
    (fa, ma), (fb, mb) = _point(y_true, cls_a), _point(y_true, cls_b)
    out: dict[str, float] = {"f1_uwe2_difference": fa - fb, "mean_class_accuracy_difference": ma - mb}
    for name, key in (("f1_uwe2_difference", "f1"), ("mean_class_accuracy_difference", "mean_class_accuracy")):
        out[f"{name}_low"], out[f"{name}_high"] = _bounds(ra[key] - rb[key])
    return out

"""Class thresholds of a feature model, fitted on out-of-fold predictions of the training split.

The UWE targets are per-class accuracies, and a model's most probable class favours the classes it sees most
and the ends of the scale: an ordinal model's middle classes get the narrow differences of its cumulative
probabilities. p(error) is left as it is (so are F1, ROC AUC and the calibration); what moves is where, on each
side of p(error) = 0.5, UWE_1 starts over UWE_0 and UWE_3 over UWE_2 (:func:`pges.qa.model_io.decide_class`).
The thresholds are those with the best mean per-class accuracy against the training labels (the crowd's:
the consensus, or its relabelling by :mod:`pges.train.relabel`; the truth is never read in training) on
predictions for scenes the fitting model did not see: 5 folds grouped by scene.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from pges.qa.model_io import DEFAULT_THRESHOLDS, decide_class

__all__ = ["GRID", "fit_thresholds", "model_thresholds", "out_of_fold", "out_of_fold_proba"]

logger = logging.getLogger(__name__)

#: candidate thresholds of each boundary
GRID = tuple(round(float(t), 2) for t in np.arange(0.2, 0.91, 0.05))


def fit_thresholds(proba: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The ``(t1, t3)`` of :data:`GRID` with the best mean per-class accuracy of ``proba`` against labels ``y``.

    Ties go to the pair nearest (0.5, 0.5). Classes absent from ``y`` are left out of the mean; with fewer
    than two classes present nothing is learnt and :data:`pges.qa.model_io.DEFAULT_THRESHOLDS` is returned.
    """
    y = np.asarray(y, dtype=int)
    present = [k for k in range(4) if (y == k).any()]
    if len(present) < 2:
        return DEFAULT_THRESHOLDS

    def score(t: tuple[float, float]) -> tuple[float, float]:
        cls = decide_class(proba, t)
        return (float(np.mean([(cls[y == k] == k).mean() for k in present])),
                -abs(t[0] - 0.5) - abs(t[1] - 0.5))

    return max(((t1, t3) for t1 in GRID for t3 in GRID), key=score)


def out_of_fold(fit_predict: Callable[[np.ndarray, np.ndarray], np.ndarray], n: int, y: np.ndarray,
                groups: np.ndarray, folds: int = 5) -> np.ndarray | None:
    """(n, 4) probabilities of each training product from a model fitted without its scene.

    Args:
        fit_predict: fits the model on the first training-row indices, returns its (m, 4) probabilities of the
            second.
        n: training products.
        y: their labels (a fold must hold every class for its model to be like the full one).
        groups: their scene ids.
        folds: folds grouped by scene.

    Returns:
        The probabilities, or None when there are fewer scenes than folds or a fold's training rows miss a class.
    """
    from sklearn.model_selection import GroupKFold

    if len(set(groups.tolist())) < folds:
        return None
    splits = list(GroupKFold(folds).split(np.zeros(n), y, groups))
    if any(len(set(y[train_rows].tolist())) < len(set(y.tolist())) for train_rows, _ in splits):
        return None
    proba = np.zeros((n, 4))
    for train_rows, held_rows in splits:
        proba[held_rows] = fit_predict(train_rows, held_rows)
    return proba


def out_of_fold_proba(fit: Callable[[str, np.ndarray], Any], name: str, rows: Callable[[str, np.ndarray], Any],
                      train: np.ndarray, y: np.ndarray, scenes: np.ndarray, *,
                      why: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Out-of-fold probabilities of feature model ``name`` on the training rows (:func:`out_of_fold`).

    Args:
        fit: ``fit(name, mask)`` fits the model on the rows in the boolean ``mask`` (as ``train`` fits it).
        name: the model (a name of :data:`pges.train.models.MODEL_INPUTS` whose input is the features).
        rows: ``rows("features", mask)`` gives the model input of those rows.
        train: boolean mask of the training rows; only they go into the folds.
        y: labels of every row.
        scenes: scene id of every row (the folds' groups).
        why: what the probabilities are for, logged before the folds' fits (whose own lines name only the model:
            a run that trains other models would otherwise log fits of this one, unexplained).

    Returns:
        The training rows' indices and their (m, 4) probabilities, None as :func:`out_of_fold`.
    """
    idx = np.flatnonzero(train)
    logger.info("%s out of fold, one fit per fold of the training scenes: %s", name, why)

    def mask(i: np.ndarray) -> np.ndarray:
        m = np.zeros(len(train), bool)
        m[i] = True
        return m

    def fit_predict(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.asarray(fit(name, mask(idx[a])).predict_proba(rows("features", mask(idx[b]))))

    return idx, out_of_fold(fit_predict, len(idx), y[idx], scenes[idx])


def model_thresholds(fit: Callable[[str, np.ndarray], Any], name: str, rows: Callable[[str, np.ndarray], Any],
                     train: np.ndarray, y: np.ndarray, scenes: np.ndarray) -> tuple[float, float]:
    """The class thresholds of feature model ``name``, fitted on its out-of-fold predictions of the training rows.

    Arguments as :func:`out_of_fold_proba`'s (``y``: the labels the model is fitted on).

    Returns:
        ``(t1, t3)``; the defaults when there are no out-of-fold predictions (:func:`out_of_fold`).
    """
    idx, oof = out_of_fold_proba(fit, name, rows, train, y, scenes, why=f"the class thresholds of {name}")
    th = DEFAULT_THRESHOLDS if oof is None else fit_thresholds(oof, y[idx])
    logger.info("%s: class thresholds t1 %.2f, t3 %.2f (out-of-fold, %s)", name, *th,
                "5 folds by scene" if oof is not None else "too few scenes, or a fold without a class: defaults")
    return th

"""Training labels from the crowd's tags *and* the product: one EM step of learning from crowds.

Why (docs/qa.md, "Learning from the crowd and the product"): Dawid-Skene's consensus is the raters' likelihood
times the prior share of each intensity, the same prior for every product. The raters miss small errors (an
average one tags a UWE_1 product UWE_0 22 % of the time, :data:`pges.train.crowd.BASE_CONFUSION`), so with three
raters the consensus calls 27 % of the UWE_1 products clean, and every model fitted on it learns to call them clean
too. A product's own features say more than the prior: here the prior is replaced by what a feature model fitted on
the consensus of *other* scenes says of the product (out of fold, 5 folds by scene), so a product the crowd split
0, 0, 1 on but whose features show a 2 % patch a cycle off is labelled UWE_1 (Raykar et al. 2010, one E-step with
the classifier as the prior). The truth is never read; every held-out figure stays against it.

The labels CSV carries what the crowd says of each product, ``crowd_uwe0..3``: ``P(its tags | intensity)`` under
the raters' fitted confusion matrices (``lake.rater_model.RaterModel.likelihood``), scaled to sum to 1. A CSV
without them (human tags without a fit, a hand-made file) trains on the consensus as it is.

Reference: Raykar, V. C. et al. (2010), Learning from crowds, Journal of Machine Learning Research 11, 1297-1322.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pges.errors import InputValidationError
from pges.train.decision import out_of_fold_proba

__all__ = ["CROWD_COLUMNS", "crowd_relabel", "read_crowd_likelihoods", "relabel"]

logger = logging.getLogger(__name__)

#: the labels CSV's columns of the crowd's likelihood of UWE_0..3
CROWD_COLUMNS = tuple(f"crowd_uwe{k}" for k in range(4))
#: the feature model whose out-of-fold probabilities take the prior's place
PRIOR_MODEL = "ordinal_boosting"


def read_crowd_likelihoods(path: str, product_ids: np.ndarray) -> np.ndarray | None:
    """(n, 4) crowd likelihoods of ``product_ids`` from a labels CSV (NaN: none given), None without the columns.

    Raises:
        InputValidationError: a value that is not a number from 0 to 1 (named with its product and column).
    """
    with Path(path).open() as f:
        reader = csv.DictReader(f)
        if not set(CROWD_COLUMNS) <= set(reader.fieldnames or ()):
            return None
        given = {r["product_id"]: [r[c] for c in CROWD_COLUMNS] for r in reader}
    out = np.full((len(product_ids), 4), np.nan)
    for i, pid in enumerate(product_ids):
        values = given.get(str(pid))
        if values and all(values):
            out[i] = [_likelihood(v, path, str(pid), c) for v, c in zip(values, CROWD_COLUMNS, strict=True)]
    return out


def _likelihood(value: str, path: str, product_id: str, column: str) -> float:
    try:
        out = float(value)
    except ValueError:
        out = float("nan")
    if not 0 <= out <= 1:
        raise InputValidationError(
            f"labels file {path}: {column} of {product_id} is {value!r}, not a likelihood from 0 to 1 (leave the "
            f"four crowd columns of a product empty to train it on its consensus label)")
    return out


def relabel(y: np.ndarray, likelihood: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """``argmax likelihood x proba`` per row; a row without a likelihood (NaN) or with no mass keeps its label."""
    joint = np.nan_to_num(likelihood) * proba
    mass = joint.sum(axis=1)
    return np.where(np.isfinite(likelihood).all(axis=1) & (mass > 0), joint.argmax(axis=1), y)


def crowd_relabel(fit: Callable[[str, np.ndarray], Any], rows: Callable[[str, np.ndarray], Any], train: np.ndarray,
                  y: np.ndarray, scenes: np.ndarray, likelihood: np.ndarray) -> np.ndarray:
    """The labels of every row with the training rows relabelled (:func:`relabel`); the others as given.

    Args:
        fit: ``fit(name, mask)`` fits a model on the rows of ``mask`` against the *consensus* ``y``.
        rows: ``rows("features", mask)`` gives the feature model's input of those rows.
        train: boolean mask of the training rows (only they are relabelled and folded).
        y: consensus labels of every row.
        scenes: scene id of every row (the folds' groups).
        likelihood: (n, 4) crowd likelihoods (:func:`read_crowd_likelihoods`).

    Returns:
        The labels; ``y`` itself when the training rows have fewer than 5 scenes, or a fold's miss a class.
    """
    idx, proba = out_of_fold_proba(fit, PRIOR_MODEL, rows, train, y, scenes,
                                   why="what the product says of each label, to relabel the crowd's consensus")
    if proba is None:
        logger.info("crowd relabelling: too few scenes for 5 folds holding every class, training on the consensus")
        return y
    out = y.copy()
    out[idx] = relabel(y[idx], likelihood[idx], proba)
    moved = np.bincount(y[idx] * 4 + out[idx], minlength=16).reshape(4, 4)
    logger.info("crowd relabelling: %d of %d training labels moved (rows consensus, columns new):\n%s",
                int((out[idx] != y[idx]).sum()), len(idx), moved)
    return out

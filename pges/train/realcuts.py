"""Wrong cuts in real phase: the real check's clean products, each given an unwrapper's failure, to measure recall.

The real check (:mod:`pges.train.realcheck`) can only count false alarms on a stack whose triplets all close, such as
Sydney's: none of its products has an error. Here each clean product (all its triplets close) gets :data:`CUTS`
variants, each with one wrong cut of :func:`pges.train.unwrap_failures.apply_failure` (an irregular island or the part
beyond a line from edge to edge, 0.4-30 % of the valid pixels, offset by +-1..3 cycles). A variant's class is the
severity of its cut (:func:`pges.train.truth.uwe_class` over the product's valid pixels), the original being right
by its closure. Every candidate of a training run scores the variants and the clean originals (UWE_0) and logs
``real_cuts_*`` to its MLflow run (F1 for UWE >= 2, ROC AUC, accuracy per class): its recall on real phase, beside
the false alarms of the real check.

The cuts are the training set's own kind of failure, so this measures how a candidate carries that error from
simulated phase to real phase (real troposphere and decorrelation, another processor's grid and nodata), not how it
meets errors of other kinds. Reported, not a gate. ``scripts/qa_sydney_cuts.py`` is the longer look: the stack's
closure with each cut product in its place, and which of a broken triplet's three products scores highest.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from pges.qa.model_io import DEFAULT_THRESHOLDS

__all__ = ["CUTS", "RealCuts", "cut_variants", "load_real_cuts"]

logger = logging.getLogger(__name__)

#: cut variants of each clean product, and the seed they are drawn from (the same products in every run)
CUTS = 8
SEED = 0
#: metrics of :func:`pges.train.evaluate.metrics` logged
LOGGED = ("f1_uwe2", "precision_uwe2", "recall_uwe2", "roc_auc_uwe2", "accuracy", "accuracy_uwe0", "accuracy_uwe1",
          "accuracy_uwe2", "accuracy_uwe3")

@dataclass
class RealCuts:
    """The cut variants and clean originals in memory: truth classes and model inputs."""

    y: np.ndarray
    inputs: dict[str, Any]  # input kind -> model input

    def summary(self, proba: np.ndarray, thresholds: tuple[float, float] = DEFAULT_THRESHOLDS) -> dict[str, float]:
        """``real_cuts_*`` metrics of class probabilities (one row per product, in the order of ``inputs``)."""
        from pges.train.evaluate import metrics

        m = metrics(self.y, np.asarray(proba), thresholds=thresholds)
        return {"real_cuts_products": float(len(self.y)), **{f"real_cuts_{k}": m[k] for k in LOGGED}}


def cut_variants(unw: np.ndarray, n: int, seed: Any) -> list[tuple[np.ndarray, int, Any]]:
    """``n`` variants of an unwrapped phase, each with one wrong cut: ``(phase, true class, the cut)``.

    Args:
        unw: unwrapped phase (rad), NaN = no data; not modified.
        n: how many variants.
        seed: entropy of the product's generator (variant ``v`` draws from ``default_rng([*seed, v])``).
    """
    from pges.train.truth import uwe_class
    from pges.train.unwrap_failures import apply_failure

    seed = list(np.atleast_1d(seed))
    valid = np.isfinite(unw)
    out = []
    for v in range(n):
        cut, failure = apply_failure(unw, np.random.default_rng([*seed, v]))
        cycles = np.rint((cut[valid] - unw[valid]) / math.tau).astype(int)
        out.append((cut, uwe_class(cycles)[0], failure))
    return out


def load_real_cuts(products: list[Any], clean: np.ndarray, n: int = CUTS, seed: int = SEED) -> RealCuts | None:
    """The clean products (``clean == 1``) and their cut variants, with model inputs; None without a clean product.

    Args:
        products: the real check's products (:class:`pges.qa.score.ProductInputs`), in manifest order; product
            ``k``'s variants draw from ``[seed, k]``, so the same manifest gives the same variants.
        clean: 1 clean, 0 suspect, -1 unknown, per product.
        n: cut variants of each clean product.
        seed: the first entropy word of every product's generator.
    """
    from pges.qa.score import model_inputs

    rows, y = [], []
    for k, (product, ok) in enumerate(zip(products, clean, strict=True)):
        if ok != 1:
            continue
        rows.append(product)
        y.append(0)
        for v, (phase, klass, _) in enumerate(cut_variants(product.unw, n, [seed, k])):
            rows.append(replace(product, unw=phase, name=f"{product.name}#cut{v}"))
            y.append(klass)
    if not rows:
        return None
    inputs, _ = model_inputs(rows)
    truth = np.array(y)
    originals = int((np.asarray(clean) == 1).sum())
    logger.info("real cuts: %d clean products and %d cut variants, true UWE_0..3 %s", originals,
                len(rows) - originals, np.bincount(truth, minlength=4).tolist())
    return RealCuts(truth, inputs)

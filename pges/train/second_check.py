"""The second-simulator check of training: every candidate scored on products of another simulator.

A candidate's held-out figures come from the simulator it was trained on; issue 8 asks that a model also work on
interferograms made otherwise. :func:`load_second_check` makes the first ``n`` products of
:mod:`pges.train.second_simulator` (fixed seeds 0..n-1, so every training run is measured on the same products)
and their model inputs; :meth:`SecondCheck.summary` gives the metrics each candidate logs to its MLflow run
(``second_sim_*``: F1 for UWE >= 2, ROC AUC, per-class accuracy; ``second_sim_visible_*`` the same on the
products whose class does not hang on an offset hidden behind a decorrelated ring). Reported, not a gate:
docs/qa.md ("A second simulator") shows why a gate on it would not yet tell models apart by skill.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from pges.qa.model_io import DEFAULT_THRESHOLDS
from pges.train.pools import process_pool

__all__ = ["SecondCheck", "load_second_check"]

logger = logging.getLogger(__name__)


@dataclass
class SecondCheck:
    """Second-simulator products in memory: their truth classes, which are visible, and their model inputs."""

    y: np.ndarray
    visible: np.ndarray  # bool: the class does not depend on pixels inside a ring
    inputs: dict[str, Any]  # input kind -> model input

    def summary(self, proba: np.ndarray, thresholds: tuple[float, float] = DEFAULT_THRESHOLDS) -> dict[str, float]:
        """``second_sim_*`` and ``second_sim_visible_*`` metrics of class probabilities (one row per product)."""
        from pges.train.evaluate import CHECK_METRICS, metrics

        proba = np.asarray(proba)
        out: dict[str, float] = {"second_sim_products": float(len(self.y))}
        for prefix, sel in (("second_sim_", np.ones(len(self.y), bool)), ("second_sim_visible_", self.visible)):
            m = metrics(self.y[sel], proba[sel], thresholds=thresholds)
            out.update({prefix + k: m[k] for k in CHECK_METRICS})
        return out


def load_second_check(n: int, workers: int = 1) -> SecondCheck:
    """Simulate the first ``n`` products of the second simulator and compute their model inputs (all layers)."""
    from pges.qa.score import model_inputs
    from pges.train.second_simulator import simulate_product

    if workers > 1:
        with process_pool(workers) as pool:
            made = list(pool.map(simulate_product, range(n), chunksize=8))
    else:
        made = [simulate_product(s) for s in range(n)]
    inputs, _ = model_inputs([p for p, _ in made])
    y = np.array([int(t["UWE"]) for _, t in made])
    visible = np.array([t["UWE"] == t["uwe_outside_rings"] for _, t in made])
    logger.info("second-simulator check: %d products, UWE_0..3 = %s, %d visible", n,
                np.bincount(y, minlength=4).tolist(), int(visible.sum()))
    return SecondCheck(y, visible, inputs)

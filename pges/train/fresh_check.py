"""The fresh-scenes check of training: every candidate scored on scenes that no decision has looked at.

The held-out split is fixed, so every choice made by looking at its figures (features, thresholds, models,
promotion) fits it a little, and its 82 scenes are one draw of many: on 4,200 products of 840 new scenes the
shipped champion scored F1 0.919 where its held-out split said 0.952 (docs/qa.md, "How sure are the held-out
figures"). :func:`load_fresh_check` simulates ``n`` scenes of the labelled set's own simulator from a fixed seed far
from every set's (:data:`FIRST_SCENE`, so every training run is measured on the same products) and
:meth:`FreshCheck.summary` gives what each candidate logs (``fresh_*``: F1 for UWE >= 2, ROC AUC, per-class accuracy
and their 95 % intervals over the scenes, ``pges.train.intervals``). Reported, never a gate and never a choice:
choosing by it would make it one more validation split.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from pges.qa.model_io import DEFAULT_THRESHOLDS

__all__ = ["FIRST_SCENE", "FreshCheck", "load_fresh_check"]

logger = logging.getLogger(__name__)

#: seed of the first fresh scene: apart from the labelled sets (from 0) and the U-Net's scenes (from 100,000)
FIRST_SCENE = 500_000

@dataclass
class FreshCheck:
    """Fresh scenes' products in memory: truth classes, scenes and model inputs by kind."""

    y: np.ndarray
    scene_id: np.ndarray
    inputs: dict[str, Any]  # input kind -> model input

    def summary(self, proba: np.ndarray, thresholds: tuple[float, float] = DEFAULT_THRESHOLDS) -> dict[str, float]:
        """``fresh_*`` metrics of class probabilities (one row per product), with ``_low`` / ``_high`` bounds."""
        from pges.train.evaluate import CHECK_METRICS, metrics
        from pges.train.intervals import intervals

        proba = np.asarray(proba)
        m = metrics(self.y, proba, thresholds=thresholds)
        out = {"fresh_products": float(len(self.y)), "fresh_scenes": float(len(set(self.scene_id.tolist())))}
        out.update({f"fresh_{k}": m[k] for k in CHECK_METRICS})
        out.update(intervals(self.y, proba, self.scene_id, "fresh_", thresholds))
        return out


def load_fresh_check(scenes: int, workers: int = 1, first_scene: int = FIRST_SCENE) -> FreshCheck:
    """Simulate ``scenes`` scenes from seed ``first_scene`` (the labelled set's recipe) and their model inputs."""
    from pges.qa.model_io import INPUT_KINDS, to_model_input
    from pges.train.dataset import simulate_scenes

    made = [s for part in simulate_scenes(range(first_scene, first_scene + scenes), workers) for s in part]
    features, browse, tiles = (np.stack([getattr(s, k) for s in made]) for k in ("features", "browse", "tile"))
    y = np.array([int(s.truth["UWE"]) for s in made])
    logger.info("fresh-scenes check: %d products of %d scenes from seed %d, UWE_0..3 = %s", len(y), scenes,
                first_scene, np.bincount(y, minlength=4).tolist())
    return FreshCheck(y, np.array([s.scene_id for s in made]),
                      {k: to_model_input(k, features, browse, tiles) for k in INPUT_KINDS})

"""95 % intervals of held-out figures (pges.train.intervals) against the binomial law and exact resampling cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from pges.train.intervals import intervals, resampled


def _proba_of(cls: np.ndarray) -> np.ndarray:
    """Class probabilities whose decided class (0.5 / 0.5 thresholds) is ``cls``."""
    proba = np.full((len(cls), 4), 0.02)
    proba[np.arange(len(cls)), cls] = 0.94
    return proba


def test_interval_of_independent_products_covers_the_true_accuracy_about_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    n, p, covered, widths = 200, 0.7, 0, []
    for trial in range(200):
        y = np.ones(n, int)
        cls = np.where(rng.random(n) < p, 1, 0)  # right with probability p, else called UWE_0
        out = intervals(y, _proba_of(cls), np.arange(n), seed=trial)
        covered += out["accuracy_uwe1_low"] <= p <= out["accuracy_uwe1_high"]
        widths.append(out["accuracy_uwe1_high"] - out["accuracy_uwe1_low"])
    assert 0.88 <= covered / 200 <= 0.99
    # the binomial law's width: 2 x 1.96 x sqrt(p (1 - p) / n) = 0.127
    assert np.mean(widths) == pytest.approx(2 * 1.96 * np.sqrt(p * (1 - p) / n), rel=0.1)


def test_products_of_one_scene_are_resampled_together():
    """40 scenes of 5 products that are all right or all wrong carry the information of 40 draws, not 200."""
    rng = np.random.default_rng(2)
    right = np.repeat(rng.random(40) < 0.5, 5)
    y, cls = np.ones(200, int), np.where(right, 1, 0)
    by_scene = intervals(y, _proba_of(cls), np.repeat(np.arange(40), 5))
    by_product = intervals(y, _proba_of(cls), np.arange(200))
    share = right.mean()
    assert by_scene["accuracy_uwe1_high"] - by_scene["accuracy_uwe1_low"] == pytest.approx(
        2 * 1.96 * np.sqrt(share * (1 - share) / 40), rel=0.2)
    assert by_product["accuracy_uwe1_high"] - by_product["accuracy_uwe1_low"] == pytest.approx(
        2 * 1.96 * np.sqrt(share * (1 - share) / 200), rel=0.2)


def test_scenes_alike_give_every_resample_the_figures_of_the_whole_set():
    """Resampling scenes of identical make-up cannot move a figure: the interval closes on sklearn's value."""
    y_scene = np.array([0, 0, 1, 1, 2, 2, 3, 3, 3])
    c_scene = np.array([0, 1, 1, 0, 2, 3, 3, 2, 1])
    y, cls = np.tile(y_scene, 30), np.tile(c_scene, 30)
    out = intervals(y, _proba_of(cls), np.repeat(np.arange(30), len(y_scene)))
    f1 = f1_score(y >= 2, cls >= 2)
    assert out["f1_uwe2_low"] == pytest.approx(f1) and out["f1_uwe2_high"] == pytest.approx(f1)
    for k, acc in enumerate((0.5, 0.5, 0.5, 1 / 3)):
        assert out[f"accuracy_uwe{k}_low"] == pytest.approx(acc) and out[f"accuracy_uwe{k}_high"] == pytest.approx(acc)
    assert out["mean_class_accuracy"] == pytest.approx(np.mean([0.5, 0.5, 0.5, 1 / 3]))
    assert out["mean_class_accuracy_low"] == pytest.approx(out["mean_class_accuracy"])


def test_classes_follow_the_model_thresholds_and_an_absent_class_has_no_interval():
    # p(error) 0.25, P1 / (P0 + P1) = 0.4: UWE_0 at the default 0.5, UWE_1 at t1 = 0.3
    proba = np.tile([0.45, 0.30, 0.10, 0.15], (50, 1))
    y = np.ones(50, int)
    assert intervals(y, proba, np.arange(50))["accuracy_uwe1_high"] == 0.0
    out = intervals(y, proba, np.arange(50), prefix="test_", thresholds=(0.3, 0.5))
    assert out["test_accuracy_uwe1_low"] == 1.0 and np.isnan(out["test_accuracy_uwe0_low"])


def test_a_draw_without_errors_has_no_f1_and_right_calls_stay_right():
    y = np.array([0, 1, 2, 3])
    r = resampled(y, y, np.arange(4), draws=200)
    assert r["accuracy"].shape == (200, 4) and np.all(r["mean_class_accuracy"] == 1.0)
    # (1/2)^4 of the draws hold neither UWE_2 nor UWE_3: F1 undefined there, 1 elsewhere
    assert np.all(r["f1"][np.isfinite(r["f1"])] == 1.0) and 0 < np.isnan(r["f1"]).sum() < 40

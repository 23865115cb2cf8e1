"""95 % intervals of held-out figures (pges.train.intervals) against the binomial law and exact resampling cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from pges.train.intervals import intervals, paired, resampled


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


def test_paired_difference_of_a_model_with_itself_is_zero_and_of_a_perfect_one_is_the_binomial_gap():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, 400)
    cls = np.where(rng.random(400) < 0.7, y, (y + 1) % 4)  # right 70 % of the time, else the next class
    same = paired(y, cls, cls, np.arange(400))
    assert same["f1_uwe2_difference"] == 0 and same["f1_uwe2_difference_low"] == same["f1_uwe2_difference_high"] == 0
    gap = paired(y, y, cls, np.arange(400))
    share = float((cls == y).mean())
    mean_class = np.mean([(cls[y == k] == k).mean() for k in range(4)])
    assert gap["mean_class_accuracy_difference"] == pytest.approx(1 - mean_class)
    assert gap["f1_uwe2_difference"] == pytest.approx(1 - f1_score(y >= 2, cls >= 2))
    # against a perfect model the difference varies only as the other's accuracy does: the binomial width
    width = gap["mean_class_accuracy_difference_high"] - gap["mean_class_accuracy_difference_low"]
    assert width == pytest.approx(2 * 1.96 * np.sqrt(share * (1 - share) / 400), rel=0.25)


def test_pairing_cancels_what_two_models_share():
    """Two models wrong on the same hard scenes and apart on 10 products: their difference is sure, their figures
    are not."""
    rng = np.random.default_rng(4)
    scenes = np.repeat(np.arange(60), 5)
    hard = np.repeat(rng.random(60) < 0.4, 5)  # every product of a hard scene wrong for both
    y = np.ones(300, int)
    a = np.where(hard, 0, 1)
    b = a.copy()
    b[np.flatnonzero(~hard[::5])[:10] * 5] = 0  # b also misses one product of each of 10 easy scenes
    own = intervals(y, _proba_of(a), scenes)
    diff = paired(y, a, b, scenes)
    assert diff["mean_class_accuracy_difference"] == pytest.approx(10 / 300)
    assert diff["mean_class_accuracy_difference_low"] > 0  # b is worse in every resample
    own_width = own["accuracy_uwe1_high"] - own["accuracy_uwe1_low"]
    assert diff["mean_class_accuracy_difference_high"] - diff["mean_class_accuracy_difference_low"] < own_width / 3


def test_margins_compare_the_champion_with_the_challenger_and_a_different_previous_champion():
    from pges.train.champion import margins

    y = np.array([0, 1, 2, 3] * 10)
    classes = {"5": y, "4": np.where(y == 3, 2, y), "2": np.zeros_like(y)}
    scenes = np.arange(len(y))
    out = margins({"champion": "5", "challenger": "4", "previous_champion": "2"}, classes, y, scenes)
    assert [(m["versus"], m["role"]) for m in out] == [("4", "challenger"), ("2", "previous champion")]
    assert out[0]["mean_class_accuracy_difference"] == pytest.approx(0.25)  # UWE_3 all wrong for version 4
    # the previous champion kept as challenger is compared once; a version not scored here is left out
    assert len(margins({"champion": "5", "challenger": "4", "previous_champion": "4"}, classes, y, scenes)) == 1
    assert margins({"champion": "5", "challenger": None, "previous_champion": "9"}, classes, y, scenes) == []

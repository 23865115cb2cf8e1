"""The fresh-scenes check of training (pges.train.fresh_check): scenes no set uses, scored against their truth."""

from __future__ import annotations

import numpy as np
import pytest

from pges.errors import InputValidationError


@pytest.fixture(scope="module")
def fresh():
    from pges.train.fresh_check import load_fresh_check

    return load_fresh_check(2, first_scene=500_000)


def test_fresh_scenes_are_the_simulators_scenes_from_their_own_seeds(fresh):
    from pges.qa.model_io import INPUT_KINDS

    assert sorted(set(fresh.scene_id.tolist())) == ["scene-500000", "scene-500001"]
    assert set(fresh.inputs) == set(INPUT_KINDS)
    assert len(fresh.inputs["features"]) == len(fresh.y) == len(fresh.inputs["tiles"]) >= 4
    assert set(fresh.y.tolist()) <= {0, 1, 2, 3}


def test_summary_scores_against_the_truth_with_intervals(fresh):
    right = np.eye(4)[fresh.y] * 0.97 + 0.0075
    m = fresh.summary(right)
    assert m["fresh_products"] == len(fresh.y) and m["fresh_scenes"] == 2
    assert m["fresh_accuracy"] == 1.0 and m["fresh_mean_class_accuracy"] == 1.0
    assert m["fresh_mean_class_accuracy_low"] == m["fresh_mean_class_accuracy_high"] == 1.0
    if (fresh.y >= 2).any():
        assert m["fresh_f1_uwe2"] == 1.0 and m["fresh_f1_uwe2_low"] == 1.0
    wrong = np.eye(4)[np.where(fresh.y >= 2, 0, 3)] * 0.97 + 0.0075  # every product called on the wrong side
    assert fresh.summary(wrong)["fresh_accuracy"] == 0.0 and fresh.summary(wrong)["fresh_f1_uwe2"] == 0.0


def test_fresh_scenes_inside_the_labelled_set_are_refused_before_they_are_simulated(monkeypatch):
    from pges.train import fresh_check
    from pges.train.config import TrainParameters
    from pges.train.pge import _fresh_check

    monkeypatch.setattr(fresh_check, "load_fresh_check", lambda *a, **k: pytest.fail("simulated before the check"))
    p = TrainParameters.model_validate({"labels": "labels.csv", "data_version": "1", "tracking_uri": "sqlite://",
                                        "fresh_scenes": 5, "fresh_first_scene": 40})
    with pytest.raises(InputValidationError, match=r"2 fresh scenes \(seeds 40..44\).*scene-00041.*fresh_first_scene"):
        _fresh_check(p, np.array(["scene-00041", "scene-00042"]))
    quick = TrainParameters.model_validate({"labels": "labels.csv", "data_version": "1", "tracking_uri": "sqlite://",
                                            "quick": True})
    assert _fresh_check(quick, np.array(["scene-500000"])) is None  # quick runs skip the check

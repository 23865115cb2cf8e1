"""Held-out figures by cause of error: counted against hand-made truth records and predictions."""

from __future__ import annotations

import numpy as np
import pytest

from pges.train.evaluate import by_cause, cause_of


def _onehot(classes: list[int]) -> np.ndarray:
    return np.eye(4)[classes]


def test_each_product_gets_the_cause_its_truth_record_names_and_old_records_read_as_no_failure():
    rec = {"UWE": "2", "uwe_injected": "0", "uwe_failure_kind": "island"}
    assert cause_of(rec) == "failure"
    assert cause_of({**rec, "uwe_injected": "3"}) == "both"
    assert cause_of({**rec, "uwe_injected": "1", "uwe_failure_kind": "none"}) == "hidden"
    assert cause_of({"UWE": "1", "uwe_injected": "0"}) == "unwrapper"  # a set made before failures existed
    assert cause_of({**rec, "UWE": "0"}) == "clean"  # a failure the truth did not count (e.g. in noise)


def test_accuracy_by_cause_and_on_visible_errors_only():
    truths = [{"UWE": 0, "uwe_injected": 0}, {"UWE": 0, "uwe_injected": 0},
              {"UWE": 3, "uwe_injected": 0, "uwe_failure_kind": "edge"},
              {"UWE": 1, "uwe_injected": 0, "uwe_failure_kind": "island"},
              {"UWE": 2, "uwe_injected": 2}, {"UWE": 3, "uwe_injected": 1, "uwe_failure_kind": "edge"}]
    pred = [0, 1, 3, 2, 0, 3]  # clean 1 of 2 right; failure: class 1 of 2, binary 1 of 2; hidden wrong
    m = by_cause(truths, _onehot(pred), "test_")
    assert m["test_cause_clean_count"] == 2 and m["test_cause_clean_class_accuracy"] == 0.5
    assert m["test_cause_clean_binary_accuracy"] == 1.0  # UWE_1 predicted for UWE_0: still "no error"
    assert (m["test_cause_failure_class_accuracy"], m["test_cause_failure_binary_accuracy"]) == (0.5, 0.5)
    assert (m["test_cause_hidden_count"], m["test_cause_hidden_binary_accuracy"]) == (1, 0.0)
    assert m["test_cause_both_class_accuracy"] == 1.0 and m["test_cause_unwrapper_count"] == 0
    assert np.isnan(m["test_cause_unwrapper_class_accuracy"])
    # visible: the 4 products without a hidden island; one true error (UWE_3) found, one false alarm (UWE_1->2)
    assert m["test_visible_count_uwe3"] == 1 and m["test_visible_precision_uwe2"] == pytest.approx(0.5)
    assert m["test_visible_recall_uwe2"] == 1.0 and m["test_visible_accuracy_uwe0"] == 0.5

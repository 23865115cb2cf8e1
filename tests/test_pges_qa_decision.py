"""The class decision: consistent with p(error), thresholds fitted out of fold, carried by the registered version.

Truth here is analytic: probabilities built so that the right class and the thresholds that recover it are
known in advance, and the rule written out by hand (UWE >= 2 exactly when P2 + P3 >= 0.5).
"""

from __future__ import annotations

import numpy as np
import pytest


def _by_hand(p: np.ndarray, t1: float, t3: float) -> int:
    if p[2] + p[3] >= 0.5:
        return 3 if p[3] / (p[2] + p[3]) > t3 else 2
    return 1 if p[1] / (p[0] + p[1]) > t1 else 0


def test_the_class_never_contradicts_p_error_where_the_argmax_does():
    from pges.qa.model_io import p_error

    # UWE_1 is the most probable single class, but UWE_2 or worse is more likely than not: the argmax said 1
    proba = np.array([[0.05, 0.40, 0.30, 0.25], [0.30, 0.25, 0.40, 0.05], [0.02, 0.03, 0.55, 0.40]])
    pe, cls = p_error(proba)
    assert proba[0].argmax() == 1 and pe[0] == pytest.approx(0.55)
    assert cls.tolist() == [2, 0, 2]  # 0.45 < 0.5: the error side is out for the second, 0.30 > 0.25 picks UWE_0
    rng = np.random.default_rng(3)
    many = rng.dirichlet(np.ones(4) * 0.7, size=2000)
    pe, cls = p_error(many)
    assert ((cls >= 2) == (pe >= 0.5)).all()
    agree = (many.argmax(axis=1) >= 2) == (pe >= 0.5)  # where the argmax is on p(error)'s side, nothing changes
    assert (cls[agree] == many.argmax(axis=1)[agree]).all() and (~agree).sum() > 20


def test_thresholds_move_the_class_only_within_its_side_of_p_error():
    from pges.qa.model_io import decide_class

    rng = np.random.default_rng(5)
    proba = rng.dirichlet(np.ones(4), size=500)
    for t1, t3 in ((0.3, 0.8), (0.7, 0.25), (0.5, 0.5)):
        cls = decide_class(proba, (t1, t3))
        assert cls.tolist() == [_by_hand(p, t1, t3) for p in proba]
        assert ((cls >= 2) == (proba[:, 2:].sum(axis=1) >= 0.5)).all()


def test_fitted_thresholds_recover_the_cut_that_separates_the_classes():
    from pges.train.decision import fit_thresholds

    # class 2 products put 70 % of their error mass on UWE_3, class 3 products 90 %: argmax calls both UWE_3;
    # class 1 products 40 % of their no-error mass on UWE_1, class 0 10 %: argmax calls both UWE_0
    rng = np.random.default_rng(1)
    rows, y = [], []
    for k, share in ((0, 0.10), (1, 0.40), (2, 0.70), (3, 0.90)):
        for _ in range(50):
            s = share + rng.uniform(-0.04, 0.04)
            rows.append([0.8 * (1 - s), 0.8 * s, 0.2, 0.0] if k < 2 else [0.0, 0.2, 0.8 * (1 - s), 0.8 * s])
            y.append(k)
    proba, y = np.array(rows), np.array(y)
    t1, t3 = fit_thresholds(proba, y)
    assert 0.14 <= t1 < 0.36 and 0.74 <= t3 < 0.86
    from pges.qa.model_io import decide_class

    assert (decide_class(proba, (t1, t3)) == y).all()
    assert (decide_class(proba) == y).mean() == pytest.approx(0.5)  # 0.5 / 0.5: classes 0 and 3 only
    assert fit_thresholds(proba[y == 3], y[y == 3]) == (0.5, 0.5)  # one class: nothing to learn


def test_out_of_fold_predictions_never_come_from_a_model_that_saw_the_scene():
    from pges.train.decision import out_of_fold

    scenes = np.repeat(np.arange(12), 5)
    y = np.arange(60) % 4
    seen: list[tuple[set[int], set[int]]] = []

    def fit_predict(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        seen.append((set(scenes[a].tolist()), set(scenes[b].tolist())))
        return np.tile([0.1, 0.2, 0.3, 0.4], (len(b), 1))

    proba = out_of_fold(fit_predict, 60, y, scenes)
    assert proba is not None and proba.shape == (60, 4) and np.allclose(proba.sum(axis=1), 1)
    assert len(seen) == 5 and all(not (a & b) for a, b in seen)
    assert set().union(*(b for _, b in seen)) == set(range(12))
    assert out_of_fold(fit_predict, 15, y[:15], scenes[:15]) is None  # 3 scenes, 5 folds
    # UWE_3 only in scene 0: the fold holding it out would fit a model that never saw the class
    rare = np.where(y == 3, 2, y)
    rare[0] = 3
    seen.clear()
    assert out_of_fold(fit_predict, 60, rare, scenes) is None and not seen


def test_a_version_without_threshold_tags_or_with_bad_ones_decides_by_the_defaults():
    from pges.qa.model_io import DEFAULT_THRESHOLDS, THRESHOLD_TAGS, thresholds_from_tags

    assert thresholds_from_tags({}) == DEFAULT_THRESHOLDS
    assert thresholds_from_tags(dict(zip(THRESHOLD_TAGS, ("0.35", "0.80"), strict=True))) == (0.35, 0.8)
    assert thresholds_from_tags(dict(zip(THRESHOLD_TAGS, ("x", "0.8"), strict=True))) == DEFAULT_THRESHOLDS
    assert thresholds_from_tags(dict(zip(THRESHOLD_TAGS, ("0", "1.5"), strict=True))) == DEFAULT_THRESHOLDS


def test_the_train_pge_fits_thresholds_on_the_training_rows_out_of_fold():
    """The train PGE's wiring: only training rows reach the folds, each scored by a model fitted without it."""
    from pges.train.decision import model_thresholds

    rng = np.random.default_rng(2)
    n = 200
    y = np.arange(n) % 4
    share = np.choose(y, [0.10, 0.40, 0.70, 0.90]) + rng.uniform(-0.04, 0.04, n)
    proba = np.where((y < 2)[:, None], np.column_stack([0.8 * (1 - share), 0.8 * share, np.full(n, 0.2), 0 * share]),
                     np.column_stack([0 * share, np.full(n, 0.2), 0.8 * (1 - share), 0.8 * share]))
    train = np.arange(n) % 10 != 0  # every tenth product held out: never fitted on, never scored
    scenes = np.arange(n) // 4
    fitted_on: list[np.ndarray] = []

    class Lookup:  # "predicts" the analytic probabilities of the rows it is given
        def predict_proba(self, rows: np.ndarray) -> np.ndarray:
            return proba[rows]

    def fit(name: str, sel: np.ndarray) -> Lookup:
        fitted_on.append(sel.copy())
        return Lookup()

    def rows(kind: str, sel: np.ndarray) -> np.ndarray:
        assert kind == "features" and not (sel & ~train).any()
        return np.flatnonzero(sel)

    t1, t3 = model_thresholds(fit, "ordinal_boosting", rows, train, y, scenes)
    assert 0.14 <= t1 < 0.36 and 0.74 <= t3 < 0.86
    assert len(fitted_on) == 5 and not any((m & ~train).any() for m in fitted_on)

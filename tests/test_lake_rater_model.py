"""A new tag is labelled from the last Dawid-Skene fit's rater matrices, checked against Bayes' rule by hand,
against crowd-kit's own labels, and against the simulated crowd's truth."""

from __future__ import annotations

import numpy as np
import pytest

from lake.consensus import consensus_rows, majority, votes_by_product
from lake.rater_model import RaterModel, _model
from pges.train.crowd import make_crowd, rate

BIG = 10**9  # so many tags that the pseudo-count does not matter


def _two_raters() -> RaterModel:
    a = np.array([[0.9, 0.1, 0, 0], [0.2, 0.8, 0, 0]])
    b = np.array([[0.6, 0.4, 0, 0], [0.4, 0.6, 0, 0]])
    return RaterModel("UWE", (0, 1), np.array([0.75, 0.25]), {"a": a, "b": b}, {"a": 3 * BIG, "b": BIG})


def test_the_posterior_is_bayes_rule_over_the_raters_matrices():
    model = _two_raters()
    # 0.75 * 0.1 * 0.6 = 0.045 for a clean product, 0.25 * 0.8 * 0.4 = 0.08 for an error
    label, p = model.posterior([("a", 1), ("b", 0)])
    assert label == 1 and p == pytest.approx(0.08 / 0.125, abs=1e-6)
    # a rater the fit never saw counts with the tag-weighted pool: P(1|0) = 0.175, P(1|1) = 0.75
    label, p = model.posterior([("zed", 1)])
    assert label == 1 and p == pytest.approx(0.25 * 0.75 / (0.25 * 0.75 + 0.75 * 0.175), abs=1e-6)
    assert model.posterior([("a", 2)]) is None  # no rater gave UWE_2 in the fit: refit


def test_the_likelihood_is_the_raters_matrices_without_the_prior():
    model = _two_raters()
    # P(votes | 0) = 0.1 * 0.6 = 0.06, P(votes | 1) = 0.8 * 0.4 = 0.32; intensities the fit never saw get 0
    like = model.likelihood([("a", 1), ("b", 0)])
    np.testing.assert_allclose(like, [0.06 / 0.38, 0.32 / 0.38, 0, 0], atol=1e-6)
    assert model.likelihood([]).tolist() == [0.5, 0.5, 0, 0]  # no vote says nothing
    assert model.likelihood([("a", 3)]) is None


def test_a_zero_cell_of_a_small_fit_does_not_outvote_two_good_raters(monkeypatch):
    # "a" gave no clean product UWE_1 among its 40 tags, so its fitted P(1|0) is 0: read literally, its one
    # vote beats two raters who are right 95 % of the time and say 0
    a = np.array([[1.0, 0.0, 0, 0], [0.3, 0.7, 0, 0]])
    b = np.array([[0.95, 0.05, 0, 0], [0.1, 0.9, 0, 0]])
    model = RaterModel("UWE", (0, 1), np.array([0.8, 0.2]), {"a": a, "b": b, "c": b}, {"a": 40, "b": 40, "c": 40})
    votes = [("a", 1), ("b", 0), ("c", 0)]
    assert model.posterior(votes)[0] == 0
    monkeypatch.setattr("lake.rater_model.PSEUDO_COUNT", 0.0)
    with np.errstate(divide="ignore"):
        assert model.posterior(votes)[0] == 1


@pytest.fixture(scope="module")
def crowd():
    """The simulated crowd's tags on 1,680 products, and a Dawid-Skene fit on the first 480 of them."""
    rng = np.random.default_rng(0)
    truth = {f"P{i:05d}": int(rng.choice(4, p=[0.6, 0.2, 0.12, 0.08])) for i in range(1680)}
    tags = rate([{"product_id": k, "UWE": v} for k, v in truth.items()], make_crowd(seed=0), ("UWE",), 3, seed=0)
    old = {k for k in truth if int(k[1:]) < 480}
    models: list[dict] = []
    fit = {r["product_id"]: r for r in consensus_rows([t for t in tags if t["product_id"] in old], models)}
    return truth, votes_by_product(tags), fit, _model("UWE", models)


def test_from_crowd_kits_fit_the_posterior_gives_crowd_kits_labels(crowd, monkeypatch):
    _, votes, fit, model = crowd
    smoothed = [model.posterior(votes[(k, "UWE")])[0] == r["ds_intensity"] for k, r in fit.items()]
    monkeypatch.setattr("lake.rater_model.PSEUDO_COUNT", 0.0)
    exact = [model.posterior(votes[(k, "UWE")])[0] == r["ds_intensity"] for k, r in fit.items()]
    assert all(exact)
    assert np.mean(smoothed) >= 0.99


def test_new_products_are_labelled_better_than_by_majority_and_as_well_as_by_the_fit(crowd):
    truth, votes, fit, model = crowd
    new = [k for k in truth if k not in fit]
    update, by_majority = {}, {}
    for k in new:
        by_majority[k], agreement = majority([v for _, v in votes[(k, "UWE")]])
        update[k] = by_majority[k] if agreement == 1.0 else model.posterior(votes[(k, "UWE")])[0]
    acc = {"update": np.mean([update[k] == truth[k] for k in new]),
           "majority": np.mean([by_majority[k] == truth[k] for k in new]),
           "fit on its own products": np.mean([r["intensity"] == truth[k] for k, r in fit.items()])}
    assert acc["update"] >= acc["majority"] + 0.01, acc
    assert acc["update"] >= acc["fit on its own products"] - 0.02, acc

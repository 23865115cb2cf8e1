from __future__ import annotations

import numpy as np

from pges.train.crowd import BASE_CONFUSION, label_noise, make_crowd, rate


def _truth(n=600, seed=1):
    rng = np.random.default_rng(seed)
    return [{"product_id": f"P{i}", "UWE": int(rng.choice(4, p=[0.4, 0.2, 0.2, 0.2]))} for i in range(n)]


def test_raters_confuse_uwe0_and_uwe1_often_and_rarely_miss_severe_errors():
    assert BASE_CONFUSION[0, 1] > 0.1 and BASE_CONFUSION[1, 0] > 0.1
    assert BASE_CONFUSION[3, :2].sum() < 0.02
    careful, careless = make_crowd(12, careless=2)[0], make_crowd(12, careless=2)[-1]
    assert np.allclose(careful.confusion().sum(axis=1), 1)
    assert careless.confusion().trace() < careful.confusion().trace()


def test_dawid_skene_consensus_is_closer_to_the_truth_than_one_rater_or_the_majority():
    from lake.consensus import consensus_rows

    truth = _truth()
    tags = rate(truth, make_crowd(12, careless=2), ("UWE",), raters_per_product=3)
    assert {t["source"] for t in tags} == {"simulated"} and len(tags) == 3 * len(truth)
    cons = consensus_rows(tags)
    t = {x["product_id"]: x["UWE"] for x in truth}
    one = label_noise(t, {r["product_id"]: r["intensity"] for r in tags})
    maj = label_noise(t, {c["product_id"]: c["majority_intensity"] for c in cons})
    ds = label_noise(t, {c["product_id"]: c["intensity"] for c in cons})
    assert one["accuracy"] < maj["accuracy"] < ds["accuracy"]
    assert ds["accuracy_3"] > 0.9 and ds["accuracy_1"] < ds["accuracy_3"]  # UWE_1 is the hard class
    assert all(c["raters"] == 3 and 0 < c["agreement"] <= 1 for c in cons)

"""Feature models fitted on training sets where a feature never has a value."""

from __future__ import annotations

import numpy as np
import pytest

from pges.train.models import MODELS


def _set(n: int = 240, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Four informative columns (the class is the sum of the first two, cut in four) and NaN gaps."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    y = np.digitize(x[:, 0] + x[:, 1], [-1.0, 0.0, 1.0])
    x[rng.random((n, 4)) < 0.05] = np.nan
    return x, y


@pytest.mark.parametrize("name", ["gradient_boosting", "ordinal_boosting", "random_forest"])
def test_a_feature_without_any_value_in_training_is_fitted_as_if_absent(name: str) -> None:
    x, y = _set()
    with_empty = np.insert(x, 2, np.nan, axis=1)  # a column NaN throughout, between the others
    fitted = MODELS[name](with_empty, y, 0, True)
    scored = with_empty.copy()
    scored[:, 2] = np.linspace(-5, 5, len(x))  # scoring products that do have the feature
    proba = fitted.predict_proba(scored)
    assert proba.shape == (len(x), 4)
    assert np.allclose(proba.sum(axis=1), 1.0)
    # the model learnt the other columns: its most probable class is mostly the true one on the training rows
    assert (proba.argmax(axis=1) == y).mean() > 0.7
    if name != "random_forest":  # boosting uses every column in every tree: the same trees as without the column
        alone = MODELS[name](x, y, 0, True).predict_proba(x)
        assert np.allclose(proba, alone)


@pytest.mark.parametrize("name", ["gradient_boosting", "ordinal_boosting", "random_forest"])
def test_a_model_fitted_on_named_features_with_an_empty_column_keeps_their_names(name: str) -> None:
    """The empty column was filled in a plain array, so the boosting models lost the features' names, and
    scikit-learn warned "X has feature names, but ... was fitted without feature names" at every scoring call."""
    import warnings

    import pandas as pd

    x, y = _set()
    named = pd.DataFrame(np.insert(x, 2, np.nan, axis=1), columns=["a", "b", "empty", "c", "d"])
    fitted = MODELS[name](named, y, 0, True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-learn's warning fails the test
        proba = fitted.predict_proba(named.assign(empty=1.0))
    assert (proba.argmax(axis=1) == y).mean() > 0.7
    assert named["empty"].isna().all()  # the caller's frame is left as it was

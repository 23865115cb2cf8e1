"""The QA classifiers: what each one learns from, how it is fitted, and how it predicts probabilities.

* ``random_forest``: scikit-learn Random Forest on the QA features (missing features stay NaN: scikit-learn's
  trees route them, so degraded products are scored without imputation); ARIA's model.
* ``gradient_boosting``: histogram gradient boosting on the same features (native NaN handling).
* ``ordinal_boosting``: the same boosting as three ordered "UWE >= k" models (:class:`OrdinalBoosting`).
* ``mlp_browse``: a multilayer perceptron on the 8-bit RGB browse thumbnails (scaled, 3072 inputs).
* ``convnet``: a TensorFlow/Keras ConvNet on masked 64x64 phase tiles (3 conv blocks; the full recipe doubles the
  convolutions, adds dropout and trains on flipped and turned tiles).

Each fitter returns a :class:`Fitted` with a ``predict_proba`` over the model's own input kind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pges.qa.model_io import DEFAULT_THRESHOLDS

__all__ = ["COHERENCE_FEATURES", "MODELS", "CoherenceRouted", "Fitted", "fit_model", "fit_routed"]

logger = logging.getLogger(__name__)


@dataclass
class Fitted:
    """A fitted model, its flavour for MLflow and its parameters."""

    name: str
    input_kind: str
    flavor: str  # "sklearn" or "keras"
    model: Any
    params: dict[str, Any]
    importances: dict[str, float] | None = None
    history: dict[str, list[float]] = field(default_factory=dict)
    #: class thresholds (t1, t3) of pges.qa.model_io.decide_class; fitted by pges.train.decision
    thresholds: tuple[float, float] = DEFAULT_THRESHOLDS

    def predict_proba(self, x: Any) -> np.ndarray:
        """Probabilities of UWE_0..3, shape (n, 4)."""
        if self.flavor == "keras":
            return np.asarray(self.model.predict(x, verbose=0), dtype=np.float64)
        proba = self.model.predict_proba(x)
        full = np.zeros((len(proba), 4))
        full[:, self.model.classes_.astype(int)] = proba
        return full


def _random_forest(x, y, seed: int, quick: bool) -> Fitted:  # type: ignore[no-untyped-def]
    from sklearn.ensemble import RandomForestClassifier

    from pges.qa.features import FEATURE_NAMES

    params = {"n_estimators": 120 if quick else 400, "min_samples_leaf": 1, "max_features": "sqrt",
              "class_weight": "balanced_subsample", "random_state": seed, "n_jobs": 1}
    rf = RandomForestClassifier(**params).fit(x, y)  # type: ignore[arg-type]
    imp = dict(zip(FEATURE_NAMES, (round(float(v), 6) for v in rf.feature_importances_), strict=True)) \
        if rf.n_features_in_ == len(FEATURE_NAMES) else None
    return Fitted("random_forest", "features", "sklearn", rf, params, imp)


def _without_empty_columns(x: Any) -> Any:
    """``x`` with every column that holds no value at all set to 0 (``x`` itself when there is none).

    Histogram gradient boosting bins each column and fails on one that is NaN throughout ("window shape cannot
    be larger than input array shape"): a feature that a small or degraded training set never has (no product
    with a DEM, a network without triplets). A constant column is one no tree splits on, as good as absent, and
    a value it takes when scoring is then never read.
    """
    a = np.asarray(x, dtype=np.float64)
    empty = np.isnan(a).all(axis=0) if a.ndim == 2 and len(a) else np.zeros(0, bool)
    if not empty.any():
        return x
    logger.warning("%d of %d feature columns hold no value in these %d training rows; fitted as constants",
                   int(empty.sum()), a.shape[1], len(a))
    if hasattr(x, "columns"):  # a DataFrame stays one: a model fitted without its names warns at every predict
        filled = x.copy()
        filled[list(x.columns[empty])] = 0.0
        return filled
    a = a.copy()
    a[:, empty] = 0.0
    return a


def _gradient_boosting(x, y, seed: int, quick: bool) -> Fitted:  # type: ignore[no-untyped-def]
    from sklearn.ensemble import HistGradientBoostingClassifier

    params = {"max_iter": 150 if quick else 400, "learning_rate": 0.06, "max_leaf_nodes": 31,
              "l2_regularization": 1.0, "class_weight": "balanced", "random_state": seed}
    gb = HistGradientBoostingClassifier(**params).fit(_without_empty_columns(x), y)  # type: ignore[arg-type]
    return Fitted("gradient_boosting", "features", "sklearn", gb, params)


class OrdinalBoosting:
    """Ordinal classifier (Frank & Hall 2001): one gradient-boosting model per threshold ``P(UWE >= k)``.

    UWE intensities are ordered; learning the three "at least k" questions separately uses that order (a
    UWE_3 product is a positive example for all three) where a flat 4-class model treats UWE_1 and UWE_3 as
    unrelated. The cumulative probabilities are made monotone and differenced into the 4 class probabilities.
    scikit-learn compatible (``fit``, ``predict_proba``, ``predict``, ``classes_``) so MLflow's sklearn flavour
    saves it.
    """

    def __init__(self, max_iter: int = 300, learning_rate: float = 0.05, max_leaf_nodes: int = 31,
                 l2_regularization: float = 1.0, random_state: int = 0) -> None:
        self.max_iter, self.learning_rate, self.max_leaf_nodes = max_iter, learning_rate, max_leaf_nodes
        self.l2_regularization, self.random_state = l2_regularization, random_state

    def fit(self, x, y):  # type: ignore[no-untyped-def]
        y = np.asarray(y, dtype=int)
        self.classes_ = np.arange(4)
        x = _without_empty_columns(x)
        self.models_ = [self.booster(class_weight="balanced").fit(x, (y >= k).astype(int)) for k in (1, 2, 3)]
        return self

    def booster(self, **extra: Any):  # type: ignore[no-untyped-def]
        """One unfitted "UWE >= k" model with this recipe's settings (``extra``: more keyword arguments)."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            l2_regularization=self.l2_regularization, random_state=self.random_state, **extra)

    def predict_proba(self, x):  # type: ignore[no-untyped-def]
        cum = np.column_stack([m.predict_proba(x)[:, 1] for m in self.models_])
        cum = np.maximum.accumulate(cum[:, ::-1], axis=1)[:, ::-1]  # P(>=1) >= P(>=2) >= P(>=3)
        return np.column_stack([1 - cum[:, 0], cum[:, 0] - cum[:, 1], cum[:, 1] - cum[:, 2], cum[:, 2]])

    def predict(self, x):  # type: ignore[no-untyped-def]
        return self.predict_proba(x).argmax(axis=1)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"max_iter": self.max_iter, "learning_rate": self.learning_rate, "max_leaf_nodes": self.max_leaf_nodes,
                "l2_regularization": self.l2_regularization, "random_state": self.random_state}


def _ordinal_boosting(x, y, seed: int, quick: bool) -> Fitted:  # type: ignore[no-untyped-def]
    params: dict[str, Any] = {"max_iter": 120 if quick else 300, "learning_rate": 0.05, "max_leaf_nodes": 31,
                              "l2_regularization": 1.0, "random_state": seed}
    return Fitted("ordinal_boosting", "features", "sklearn", OrdinalBoosting(**params).fit(x, y), params)


def _mlp_browse(x, y, seed: int, quick: bool) -> Fitted:  # type: ignore[no-untyped-def]
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    params = {"hidden_layer_sizes": (128, 64), "alpha": 1e-3, "max_iter": 80 if quick else 300,
              "early_stopping": True, "random_state": seed}
    mlp = make_pipeline(StandardScaler(), MLPClassifier(**params)).fit(x, y)  # type: ignore[arg-type]
    return Fitted("mlp_browse", "browse", "sklearn", mlp, params)


def _convnet(x, y, seed: int, quick: bool) -> Fitted:  # type: ignore[no-untyped-def]
    """The ConvNet on phase tiles; quick: 3 conv blocks of 8-32 filters, 6 epochs (demo).

    Full: 3 double-conv blocks of 16-64 filters, dropout, 30 epochs on the tiles and their flips and a quarter
    turn (4x the data): on the shipped labelled set's held-out scenes F1 0.901 against 0.705 for the small net
    at 25 epochs (docs/qa.md).
    """
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    filters = [8, 16, 32] if quick else [16, 32, 64]
    convs = 1 if quick else 2
    params: dict[str, Any] = {"epochs": 6 if quick else 30, "batch_size": 32 if quick else 64, "filters": filters,
                              "convs_per_block": convs, "augment": not quick,
                              "learning_rate": 2e-3 if quick else 1e-3}
    head = [layers.GlobalMaxPooling2D(), layers.Dense(32, activation="relu")] if quick else [
        layers.GlobalAveragePooling2D(), layers.Dense(64, activation="relu"), layers.Dropout(0.3)]
    model = keras.Sequential([
        keras.Input(shape=x.shape[1:]),
        *[blk for f in filters for blk in (*[layers.Conv2D(f, 3, padding="same", activation="relu")
                                              for _ in range(convs)], layers.MaxPooling2D(2))],
        *head,
        layers.Dense(4, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(params["learning_rate"]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if params["augment"]:  # an unwrapping error has no orientation: flips and a quarter turn are more examples
        x = np.concatenate([x, x[:, ::-1], x[:, :, ::-1], np.rot90(x, 1, axes=(1, 2))])
        y = np.tile(y, 4)
    counts = np.bincount(y, minlength=4).astype(float)
    weights = {k: float(len(y) / (4 * counts[k])) for k in range(4) if counts[k]}
    hist = model.fit(x, y, epochs=params["epochs"], batch_size=params["batch_size"], class_weight=weights,
                     verbose=0, validation_split=0.0 if params["augment"] else 0.1)
    return Fitted("convnet", "tiles", "keras", model, params,
                  history={k: [float(v) for v in vals] for k, vals in hist.history.items()})


#: the features that need a coherence layer (null without one; ``coherence_ignored`` says it was given but left out)
COHERENCE_FEATURES = ("coherence_mean", "coherence_std", "coherence_low_fraction", "coherence_island_fraction",
                      "coherence_island_count", "coherence_enclosed_fraction", "coherence_enclosed_largest",
                      "coherence_ignored")


def _full_proba(model: Any, x: np.ndarray) -> np.ndarray:
    proba = model.predict_proba(x)
    full = np.zeros((len(proba), 4))
    full[:, np.asarray(model.classes_).astype(int)] = proba
    return full


class CoherenceRouted:
    """Two models of one recipe: products with a usable coherence layer go to the first, the others to the second.

    Why: without a coherence layer (missing, or ignored because it does not follow the phase) the simulator's
    errors behind a decorrelated moat are not in the product, and a single model learnt two shortcuts there: the
    share of errors among such products (its p(error) sits near the set's base rate) and the ``coherence_ignored``
    flag itself, which is about the input, not the phase (77 % of the simulated products whose layer was ignored
    have UWE >= 2; real layers are ignored for other reasons). So the second model is fitted on *every* training
    product's features recomputed without its coherence (what such a product looks like, learnt from 4x the
    examples), on the features that do not need coherence; and neither model sees the flag. Rows are routed by
    ``coherence_mean`` (null when the layer is missing or ignored). Scikit-learn compatible for MLflow's sklearn
    flavour; takes the feature DataFrame or its array in :data:`pges.qa.features.FEATURE_NAMES` order.
    """

    def __init__(self, with_coherence: Any = None, without_coherence: Any = None, extra: int = 0) -> None:
        self.with_coherence, self.without_coherence = with_coherence, without_coherence
        self.extra = extra  # columns after the features (a U-Net's summaries, pges.train.segmenter): both models
        self.classes_ = np.arange(4)

    @staticmethod
    def columns(extra: int = 0) -> tuple[int, int, list[int]]:
        """Index of ``coherence_mean``, of ``coherence_ignored``, and the columns of the second model."""
        from pges.qa.features import FEATURE_NAMES

        names = list(FEATURE_NAMES)
        keep = [i for i, n in enumerate(names) if n not in COHERENCE_FEATURES]
        return names.index("coherence_mean"), names.index("coherence_ignored"), keep + [
            len(names) + i for i in range(extra)]

    def predict_proba(self, x: Any) -> np.ndarray:
        """(n, 4) class probabilities, each row from the model its coherence routes it to."""
        a = np.asarray(x, dtype=np.float64)
        i_mean, i_flag, keep = self.columns(getattr(self, "extra", 0))  # versions saved before had no extra
        a = a.copy()
        a[:, i_flag] = 0.0
        without = np.isnan(a[:, i_mean])
        out = np.zeros((len(a), 4))
        if (~without).any():
            out[~without] = _full_proba(self.with_coherence, a[~without])
        if without.any():
            out[without] = _full_proba(self.without_coherence, a[without][:, keep])
        return out

    def predict(self, x: Any) -> np.ndarray:
        """The most probable class."""
        return self.predict_proba(x).argmax(axis=1)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The two fitted models (scikit-learn's estimator protocol)."""
        return {"with_coherence": self.with_coherence, "without_coherence": self.without_coherence,
                "extra": getattr(self, "extra", 0)}


def fit_routed(name: str, x: Any, x_without: np.ndarray, y: np.ndarray, seed: int = 0, quick: bool = False,
               extra: int = 0) -> Fitted:
    """Fit feature model ``name`` as a :class:`CoherenceRouted` pair.

    Args:
        name: a feature model of :data:`MODELS`.
        x: training features (with each product's coherence where it had one).
        x_without: the same products' features computed without a coherence layer.
        y: their labels (UWE 0-3).
        seed: seed of both models.
        quick: fewer trees (demo).
        extra: columns after the features in ``x`` and ``x_without`` (both models take them).
    """
    from pges.qa.features import FEATURE_NAMES

    _, i_flag, keep = CoherenceRouted.columns(extra)
    a = np.asarray(x, dtype=np.float64).copy()
    a[:, i_flag] = 0.0
    y = np.asarray(y, dtype=np.int64)
    logger.info("fitting %s on %d products, with and without coherence", name, len(y))
    first = MODELS[name](a, y, seed, quick)
    second = MODELS[name](np.asarray(x_without, dtype=np.float64)[:, keep], y, seed, quick)
    imp = None
    if first.importances and not extra:  # the fitter named columns by FEATURE_NAMES: the first model saw them all
        imp = dict(zip(FEATURE_NAMES, first.importances.values(), strict=True))
        imp.pop("coherence_ignored", None)
    return Fitted(name, "features", "sklearn", CoherenceRouted(first.model, second.model, extra),
                  {**first.params, "route_degraded": True}, imp)


#: model name -> fitter(x, y, seed, quick)
MODELS: dict[str, Callable[..., Fitted]] = {
    "random_forest": _random_forest,
    "gradient_boosting": _gradient_boosting,
    "ordinal_boosting": _ordinal_boosting,
    "mlp_browse": _mlp_browse,
    "convnet": _convnet,
}
#: model name -> input kind
MODEL_INPUTS = {"random_forest": "features", "gradient_boosting": "features", "ordinal_boosting": "features",
                "mlp_browse": "browse",
                "convnet": "tiles"}


def fit_model(name: str, x: Any, y: np.ndarray, seed: int = 0, quick: bool = False) -> Fitted:
    """Fit the model called ``name`` (a key of :data:`MODELS`)."""
    logger.info("fitting %s on %d products", name, len(y))
    return MODELS[name](x, np.asarray(y, dtype=np.int64), seed, quick)

"""What each kind of QA model takes as input, and how its probabilities become p(error) and a class.

Every model predicts the probabilities of UWE_0..UWE_3 (4 columns). ``p_error`` is the probability of an
unwrapping error of intensity 2 or more (``UWE >= 2``, ARIA's "bad" products); the class agrees with it
(:func:`decide_class`: UWE_2 or UWE_3 exactly when p(error) >= 0.5), and within each side of that cut the
model's class thresholds choose (both 0.5, the more probable class, unless the version says otherwise). A
registered model version carries its input kind, feature-set version and class thresholds as tags
(``sarlake.input_kind``, ``sarlake.feature_set``, ``sarlake.class_threshold_uwe1``/``_uwe3``) so that a
scorer knows what to feed it and how to read it.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from pges.qa.features import FEATURE_NAMES

__all__ = ["DEFAULT_THRESHOLDS", "INPUT_KINDS", "QUICK_TAG", "THRESHOLD_TAGS", "InputKind", "average_probabilities",
           "decide_class", "member_input", "p_error", "thresholds_from_tags", "to_model_input"]

InputKind = Literal["features", "browse", "tiles", "features+tiles"]
#: input kind -> what it is
INPUT_KINDS: dict[str, str] = {
    "features": f"the {len(FEATURE_NAMES)} QA features (pges.qa.features), a DataFrame with named columns",
    "browse": "8-bit RGB browse, 32x32x3, flattened to 3072 values (pges.qa.images.browse_rgb)",
    "tiles": "masked phase tile, 64x64x2 float32 (pges.qa.images.phase_tile)",
    "features+tiles": "both, as a dict of the feature matrix (float64) and the tiles (an average of models)",
}
#: the first intensity that counts as an error
ERROR_FROM = 2
#: class thresholds ``(t1, t3)`` of a model that has none: the more probable class on each side of p(error) = 0.5
DEFAULT_THRESHOLDS = (0.5, 0.5)
#: model-version tags holding a version's class thresholds (``pges.train.decision`` fits them)
THRESHOLD_TAGS = ("sarlake.class_threshold_uwe1", "sarlake.class_threshold_uwe3")
#: the model-version tag that marks a version of a quick (smoke) training run (``true``): a demonstration of the
#: pipeline, whose scores say little of a product's quality
QUICK_TAG = "sarlake.quick"


def to_model_input(kind: str, features: np.ndarray, browse: np.ndarray, tiles: np.ndarray):  # type: ignore[no-untyped-def]
    """Stack per-product inputs into what a model of ``kind`` takes (``features`` as a DataFrame)."""
    if kind == "features":
        import pandas as pd

        return pd.DataFrame(np.asarray(features, dtype=np.float64).reshape(-1, len(FEATURE_NAMES)),
                            columns=list(FEATURE_NAMES))
    if kind == "browse":
        return np.asarray(browse, dtype=np.float32).reshape(len(browse), -1)
    if kind == "tiles":
        return np.asarray(tiles, dtype=np.float32)
    if kind == "features+tiles":
        return {"features": np.asarray(features, dtype=np.float64).reshape(-1, len(FEATURE_NAMES)),
                "tiles": np.asarray(tiles, dtype=np.float32)}
    raise ValueError(f"unknown model input kind {kind!r}; known: {', '.join(INPUT_KINDS)}")


def member_input(kind: str, x: dict[str, Any]) -> Any:
    """An average's member's own input from the average's ``features+tiles`` dict.

    ``features`` or ``tiles``, or the dict itself for a member that takes both (the two-step U-Net model).
    """
    if kind == "features":
        import pandas as pd

        return pd.DataFrame(np.asarray(x["features"], dtype=np.float64), columns=list(FEATURE_NAMES))
    if kind == "tiles":
        return np.asarray(x["tiles"], dtype=np.float32)
    if kind == "features+tiles":
        return x
    raise ValueError(f"an average takes members of kinds features, tiles, features+tiles, not {kind!r}")


def average_probabilities(members: list[tuple[str, Any]], x: dict[str, Any]) -> np.ndarray:
    """Mean of the members' (n, 4) class probabilities; ``members`` are ``(input kind, predict function)``."""
    return np.mean([np.asarray(predict(member_input(kind, x)), dtype=np.float64) for kind, predict in members],
                   axis=0)


def decide_class(proba: np.ndarray, thresholds: tuple[float, float] = DEFAULT_THRESHOLDS) -> np.ndarray:
    """The class of each product, consistent with its p(error): UWE >= 2 exactly when p(error) >= 0.5.

    Below the cut the class is UWE_1 when ``P1 / (P0 + P1) > t1``, else UWE_0; above it UWE_3 when
    ``P3 / (P2 + P3) > t3``, else UWE_2. With both thresholds 0.5 that is the more probable class of its side,
    which is the argmax except where the argmax contradicts p(error) (P1 largest while P2 + P3 >= 0.5, say).
    """
    proba = np.asarray(proba, dtype=np.float64)
    t1, t3 = thresholds
    share1 = proba[:, 1] / np.maximum(proba[:, 0] + proba[:, 1], 1e-12)
    share3 = proba[:, 3] / np.maximum(proba[:, 2] + proba[:, 3], 1e-12)
    bad = proba[:, ERROR_FROM:].sum(axis=1) >= 0.5
    return np.where(bad, np.where(share3 > t3, 3, 2), np.where(share1 > t1, 1, 0))


def p_error(proba: np.ndarray, thresholds: tuple[float, float] = DEFAULT_THRESHOLDS) -> tuple[np.ndarray, np.ndarray]:
    """``(p_error, class)`` from the (n, 4) class probabilities (the class by :func:`decide_class`)."""
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape[1] != 4:
        raise ValueError(f"a QA model must return (n, 4) class probabilities, got shape {proba.shape}")
    return proba[:, ERROR_FROM:].sum(axis=1).clip(0, 1), decide_class(proba, thresholds)


def thresholds_from_tags(tags: dict[str, str]) -> tuple[float, float]:
    """A model version's class thresholds from its tags (:data:`DEFAULT_THRESHOLDS` for versions without them)."""
    try:
        t1, t3 = (float(tags[k]) for k in THRESHOLD_TAGS)
    except (KeyError, ValueError):
        return DEFAULT_THRESHOLDS
    return (t1, t3) if 0 < t1 < 1 and 0 < t3 < 1 else DEFAULT_THRESHOLDS

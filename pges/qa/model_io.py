"""What each kind of QA model takes as input, and how its probabilities become p(error) and a class.

Every model predicts the probabilities of UWE_0..UWE_3 (4 columns). ``p_error`` is the probability of an
unwrapping error of intensity 2 or more (``UWE >= 2``, ARIA's "bad" products); the class is the most
probable intensity. A registered model version carries its input kind and feature-set version as tags
(``sarlake.input_kind``, ``sarlake.feature_set``) so that a scorer knows what to feed it.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from pges.qa.features import FEATURE_NAMES

__all__ = ["INPUT_KINDS", "InputKind", "average_probabilities", "member_input", "p_error", "to_model_input"]

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
    """An average's member's own input (``features`` or ``tiles``) from the average's ``features+tiles`` dict."""
    if kind == "features":
        import pandas as pd

        return pd.DataFrame(np.asarray(x["features"], dtype=np.float64), columns=list(FEATURE_NAMES))
    if kind == "tiles":
        return np.asarray(x["tiles"], dtype=np.float32)
    raise ValueError(f"an average takes members of kinds features, tiles, not {kind!r}")


def average_probabilities(members: list[tuple[str, Any]], x: dict[str, Any]) -> np.ndarray:
    """Mean of the members' (n, 4) class probabilities; ``members`` are ``(input kind, predict function)``."""
    return np.mean([np.asarray(predict(member_input(kind, x)), dtype=np.float64) for kind, predict in members],
                   axis=0)


def p_error(proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(p_error, class)`` from the (n, 4) class probabilities."""
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape[1] != 4:
        raise ValueError(f"a QA model must return (n, 4) class probabilities, got shape {proba.shape}")
    return proba[:, ERROR_FROM:].sum(axis=1).clip(0, 1), proba.argmax(axis=1)

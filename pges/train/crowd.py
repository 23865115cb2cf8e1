"""A simulated crowd of raters who tag products from the simulator's truth with realistic confusion.

Each rater has a confusion matrix ``P(tagged intensity | true intensity)``: UWE_0 and UWE_1 are confused
often (a one-cycle error on a small island is easy to miss, and noise is easy to take for one), severe errors
(UWE_3) are rarely missed, and a rater's skill scales the off-diagonal mass. A few raters are careless: on a
share of products they tag at random. Every product gets ``raters_per_product`` raters drawn from the pool.

The truth never enters the tags except through these matrices, and is kept apart (the caller stores it
beside the set, not in ``user_tags``), so the label noise can be measured: :func:`label_noise`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["BASE_CONFUSION", "Rater", "label_noise", "make_crowd", "rate"]

#: P(tag | truth) of an average careful rater, rows = true intensity 0-3, columns = tagged intensity.
BASE_CONFUSION = np.array([
    [0.82, 0.15, 0.03, 0.00],
    [0.22, 0.68, 0.09, 0.01],
    [0.02, 0.07, 0.81, 0.10],
    [0.00, 0.01, 0.07, 0.92],
])


@dataclass(frozen=True)
class Rater:
    """One simulated rater: a skill (0.5 sharp .. 1.5 sloppy) and a share of random tags."""

    name: str
    skill: float
    careless: float

    def confusion(self) -> np.ndarray:
        """This rater's ``P(tag | truth)`` (rows sum to 1)."""
        eye = np.eye(4)
        m = eye + self.skill * (BASE_CONFUSION - eye)
        m = np.clip(m, 0, None)
        m = (1 - self.careless) * m + self.careless * np.full((4, 4), 0.25)
        return m / m.sum(axis=1, keepdims=True)


def make_crowd(n: int = 12, careless: int = 2, seed: int = 0) -> list[Rater]:
    """A pool of ``n`` raters, ``careless`` of whom tag at random half of the time."""
    rng = np.random.default_rng([seed, 7])
    raters = []
    for i in range(n):
        sloppy = i >= n - careless
        raters.append(Rater(f"sim-rater-{i:02d}", float(rng.uniform(0.5, 1.3)), 0.5 if sloppy else 0.0))
    return raters


def rate(
    truth: list[dict[str, Any]], crowd: list[Rater], tag_types: tuple[str, ...], raters_per_product: int = 3,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Tags of the crowd on each product.

    Args:
        truth: one dict per product with ``product_id`` and the true intensity per tag type.
        crowd: the raters.
        tag_types: the tag types each rater tags (every rater tags all of them on a product he rates).
        raters_per_product: raters per product, drawn without replacement.
        seed: seed of the draws.

    Returns:
        Rows with ``product_id``, ``user``, ``tag_type``, ``intensity``, ``source="simulated"``.
    """
    rng = np.random.default_rng([seed, 11])
    matrices = [r.confusion() for r in crowd]
    rows = []
    for t in truth:
        for ri in rng.choice(len(crowd), size=min(raters_per_product, len(crowd)), replace=False):
            for tag_type in tag_types:
                true = int(t.get(tag_type, 0))
                tagged = int(rng.choice(4, p=matrices[ri][true]))
                rows.append({"product_id": t["product_id"], "user": crowd[ri].name, "tag_type": tag_type,
                             "intensity": tagged, "source": "simulated"})
    return rows


def label_noise(truth: dict[str, int], labels: dict[str, int]) -> dict[str, float]:
    """Agreement of consensus labels with the truth: overall and per true intensity (product id -> intensity)."""
    ids = [i for i in truth if i in labels]
    t = np.array([truth[i] for i in ids])
    lab = np.array([labels[i] for i in ids])
    out = {"n": float(len(ids)), "accuracy": float((t == lab).mean()) if ids else float("nan")}
    for k in range(4):
        sel = t == k
        out[f"accuracy_{k}"] = float((lab[sel] == k).mean()) if sel.any() else float("nan")
    return out

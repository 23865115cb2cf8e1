"""Consensus labels from the user tags: majority vote, and Dawid-Skene where raters disagree.

For each product and tag type, the raters' intensities are combined two ways:

* majority vote (ties go to the higher intensity: a rater who saw an error is believed over one who did not),
  with the number of raters and the agreement (share of raters who gave the majority intensity);
* Dawid & Skene (1979) EM over every product of that tag type (crowd-kit's ``DawidSkene``), which learns each
  rater's confusion matrix, so that a careless rater's vote counts less.

The consensus ``intensity`` is the Dawid-Skene label when the raters disagree and the majority otherwise.
Results go to the ``tag_consensus`` table (one row per product and tag type).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lake.settings import Settings

__all__ = ["consensus_rows", "majority", "refresh_consensus"]

logger = logging.getLogger(__name__)

#: EM iterations of Dawid-Skene.
DS_ITERATIONS = 100


def majority(intensities: list[int]) -> tuple[int, float]:
    """Majority intensity (ties to the higher) and the agreement (share of raters who gave it).

    Raises:
        ValueError: no intensities.
    """
    if not intensities:
        raise ValueError("majority of no votes")
    counts = Counter(intensities)
    best = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    return int(best[0]), best[1] / len(intensities)


def _dawid_skene(rows: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, float]]:
    """Dawid-Skene labels and posteriors per (product, tag type), fitted per tag type."""
    import pandas as pd
    from crowdkit.aggregation import DawidSkene

    out: dict[tuple[str, str], tuple[int, float]] = {}
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_type[r["tag_type"]].append(r)
    for tag_type, group in by_type.items():
        df = pd.DataFrame({"task": [r["product_id"] for r in group], "worker": [r["user"] for r in group],
                           "label": [int(r["intensity"]) for r in group]})
        if df["label"].nunique() < 2:  # nothing to learn: every rater said the same
            for task in df["task"].unique():
                out[(task, tag_type)] = (int(df["label"].iloc[0]), 1.0)
            continue
        proba = DawidSkene(n_iter=DS_ITERATIONS).fit_predict_proba(df)
        labels = proba.idxmax(axis=1)
        for task, label in labels.items():
            out[(str(task), tag_type)] = (int(label), float(proba.loc[task, label]))
    return out


def consensus_rows(tag_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consensus per product and tag type from ``user_tags`` rows.

    Args:
        tag_rows: dicts with ``product_id``, ``user``, ``tag_type``, ``intensity``.

    Returns:
        ``tag_consensus`` rows.
    """
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r in tag_rows:
        if r.get("intensity") is not None:
            groups[(r["product_id"], r["tag_type"])].append(int(r["intensity"]))
    ds = _dawid_skene([r for r in tag_rows if r.get("intensity") is not None]) if groups else {}
    out = []
    for (product_id, tag_type), votes in sorted(groups.items()):
        maj, agreement = majority(votes)
        ds_label, ds_conf = ds.get((product_id, tag_type), (maj, agreement))
        out.append({
            "product_id": product_id, "tag_type": tag_type, "majority_intensity": maj, "ds_intensity": ds_label,
            "ds_confidence": round(ds_conf, 6), "intensity": maj if agreement == 1.0 else ds_label,
            "raters": len(votes), "agreement": round(agreement, 6),
        })
    return out


def refresh_consensus(settings: Settings | None = None, tag_types: tuple[str, ...] | None = None) -> int:
    """Recompute ``tag_consensus`` from every row of ``user_tags`` (optionally only some tag types).

    Dawid-Skene is fitted over all products of a tag type, so the whole table is read: it holds small rows
    (a few per product and type).

    Returns:
        Consensus rows inserted or changed.
    """
    from pyiceberg.expressions import AlwaysTrue, In

    from lake.catalog import load_table
    from lake.write import upsert

    flt = In("tag_type", list(tag_types)) if tag_types else AlwaysTrue()  # type: ignore[call-arg,arg-type]
    rows = load_table("user_tags", settings).scan(
        row_filter=flt, selected_fields=("product_id", "user", "tag_type", "intensity")
    ).to_arrow().to_pylist()
    result = consensus_rows(rows)
    logger.info("consensus of %d tags: %d product/tag-type labels", len(rows), len(result))
    return upsert("tag_consensus", result, settings).written if result else 0

"""Consensus labels from the user tags: majority vote, and Dawid-Skene where raters disagree.

For each product and tag type, the raters' intensities are combined two ways:

* majority vote (ties go to the higher intensity: a rater who saw an error is believed over one who did not),
  with the number of raters and the agreement (share of raters who gave the majority intensity);
* Dawid & Skene (1979) EM over every product of that tag type (crowd-kit's ``DawidSkene``), which learns each
  rater's confusion matrix, so that a careless rater's vote counts less.

The consensus ``intensity`` is the Dawid-Skene label when the raters disagree and the majority otherwise; a tie
in the Dawid-Skene posterior goes to the majority (:func:`lake.rater_model.most_probable`).
Results go to the ``tag_consensus`` table (one row per product and tag type); the fitted raters' confusion
matrices go to ``rater_confusion``.

Two ways in: :func:`refresh_consensus` refits Dawid-Skene over every product of the tag types (bulk imports,
training sets, ``sarlake tag refit``, the weekly ``maintenance`` DAG); :func:`update_consensus` relabels only
the products just tagged, from the stored matrices (:mod:`lake.rater_model`), in well under a second, and falls
back to a refit of a tag type that has no fit yet or gets an intensity its fit never saw.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lake.settings import Settings

__all__ = ["consensus_rows", "majority", "product_consensus", "refresh_consensus", "update_consensus",
           "votes_by_product"]

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


def _dawid_skene(rows: list[dict[str, Any]], models: list[dict[str, Any]] | None = None
                 ) -> dict[tuple[str, str], tuple[int, float]]:
    """Dawid-Skene labels and posteriors per (product, tag type), fitted per tag type.

    Args:
        rows: ``user_tags`` rows.
        models: if given, the fitted ``rater_confusion`` rows are appended to it.
    """
    import pandas as pd
    from crowdkit.aggregation import DawidSkene

    from lake.rater_model import model_rows, most_probable

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
        ds = DawidSkene(n_iter=DS_ITERATIONS)
        proba = ds.fit_predict_proba(df)
        labels = tuple(int(c) for c in proba.columns)
        votes = df.groupby("task")["label"].agg(list)
        for task, post in zip(proba.index, proba.to_numpy(), strict=True):
            out[(str(task), tag_type)] = most_probable(labels, post, prefer=majority(votes[task])[0])
        if models is not None:
            tags = df["worker"].value_counts().to_dict()
            models.extend(model_rows(tag_type, ds.errors_, ds.priors_, tags, datetime.now(UTC)))
    return out


def consensus_rows(tag_rows: list[dict[str, Any]], models: list[dict[str, Any]] | None = None
                   ) -> list[dict[str, Any]]:
    """Consensus per product and tag type from ``user_tags`` rows (a full Dawid-Skene fit per tag type).

    Args:
        tag_rows: dicts with ``product_id``, ``user``, ``tag_type``, ``intensity``.
        models: if given, the fitted ``rater_confusion`` rows are appended to it.

    Returns:
        ``tag_consensus`` rows.
    """
    groups = votes_by_product(tag_rows)
    voted = [r for r in tag_rows if r.get("intensity") is not None]
    ds = _dawid_skene(voted, models=models) if groups else {}
    return [_row(product_id, tag_type, [v for _, v in votes], ds.get((product_id, tag_type)))
            for (product_id, tag_type), votes in sorted(groups.items())]


def votes_by_product(tag_rows: list[dict[str, Any]]) -> dict[tuple[str, str], list[tuple[str, int]]]:
    """``(product_id, tag_type) -> [(user, intensity), ...]`` of ``user_tags`` rows, those without an intensity out."""
    groups: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for r in tag_rows:
        if r.get("intensity") is not None:
            groups[(r["product_id"], r["tag_type"])].append((r["user"], int(r["intensity"])))
    return groups


def _row(product_id: str, tag_type: str, votes: list[int], ds: tuple[int, float] | None) -> dict[str, Any]:
    maj, agreement = majority(votes)
    ds_label, ds_conf = ds or (maj, agreement)
    return {
        "product_id": product_id, "tag_type": tag_type, "majority_intensity": maj, "ds_intensity": ds_label,
        "ds_confidence": round(ds_conf, 6), "intensity": maj if agreement == 1.0 else ds_label,
        "raters": len(votes), "agreement": round(agreement, 6),
    }


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

    flt = In("tag_type", list(tag_types)) if tag_types else AlwaysTrue()  # type: ignore[call-arg,arg-type,misc]
    rows = load_table("user_tags", settings).scan(
        row_filter=flt, selected_fields=("product_id", "user", "tag_type", "intensity")
    ).to_arrow().to_pylist()
    models: list[dict[str, Any]] = []
    result = consensus_rows(rows, models)
    logger.info("consensus of %d tags: %d product/tag-type labels, %d rater-confusion cells",
                len(rows), len(result), len(models))
    if models:
        upsert("rater_confusion", models, settings)
    return upsert("tag_consensus", result, settings).written if result else 0


def update_consensus(product_ids: set[str], tag_types: tuple[str, ...], settings: Settings | None = None) -> int:
    """Relabel only ``product_ids`` for ``tag_types``, from the raters' matrices of the last full fit.

    A tag type without a fit, or whose products got an intensity the fit never saw, is refitted in full
    (:func:`refresh_consensus`) instead.

    Returns:
        Consensus rows inserted or changed.
    """
    from pyiceberg.expressions import And, In

    from lake.catalog import load_table
    from lake.rater_model import load_models
    from lake.write import upsert

    if not product_ids or not tag_types:
        return 0
    rows = load_table("user_tags", settings).scan(
        row_filter=And(In("product_id", sorted(product_ids)), In("tag_type", list(tag_types))),  # type: ignore[call-arg,arg-type,misc]
        selected_fields=("product_id", "user", "tag_type", "intensity"),
    ).to_arrow().to_pylist()
    models = load_models(tag_types, settings)
    refit: set[str] = {t for t in tag_types if t not in models}
    out = []
    for (product_id, tag_type), votes in sorted(votes_by_product(rows).items()):
        if tag_type in refit:
            continue
        ds = models[tag_type].posterior(votes, prefer=majority([v for _, v in votes])[0])
        if ds is None:
            refit.add(tag_type)
            continue
        out.append(_row(product_id, tag_type, [v for _, v in votes], ds))
    out = [r for r in out if r["tag_type"] not in refit]
    written = upsert("tag_consensus", out, settings).written if out else 0
    if refit:
        logger.info("no usable Dawid-Skene fit for %s: refitting", ", ".join(sorted(refit)))
        written += refresh_consensus(settings, tuple(sorted(refit)))
    return written


def product_consensus(product_id: str, settings: Settings | None = None) -> list[dict[str, Any]]:
    """The consensus rows of one product, one per tag type it was tagged with, by tag type.

    Raises:
        lake.tags.TagError: ``product_id`` is not in the lake (an untagged product has none: an empty list).
    """
    from pyiceberg.expressions import EqualTo

    from lake.catalog import load_table
    from lake.tags import require_product

    by_product = EqualTo("product_id", product_id)  # type: ignore[call-arg,arg-type,misc]
    rows = load_table("tag_consensus", settings).scan(row_filter=by_product).to_arrow().to_pylist()
    if not rows:
        require_product(product_id, settings)
    return sorted(rows, key=lambda r: r["tag_type"])

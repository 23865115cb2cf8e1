"""The champion from before a training run, scored on that run's held-out split (and real check) for promotion."""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["current_champion", "margins"]

logger = logging.getLogger(__name__)


def current_champion(model_name: str, rows: Any, test: Any, y_truth: Any,
                     real: Any = None) -> tuple[str | None, Any, Any]:
    """The champion from before this run, scored on this run's held-out split.

    Args:
        model_name: the registered model.
        rows: ``rows(kind, mask)`` gives the model input of the rows in ``mask`` (``kind``: the version's
            ``sarlake.input_kind`` tag).
        test: boolean mask of the held-out rows.
        y_truth: the simulator's class of every row.
        real: the real check set (:class:`pges.train.realcheck.RealCheck`), scored as well when given.

    Returns:
        ``(version, metrics, classes)``: ``(None, None, None)`` without a champion; metrics and classes (its
        decided class of each held-out row) None when the champion's feature set is not the current one (it
        cannot be compared, and is replaced).
    """
    import mlflow

    from pges.train import evaluate, tracking

    client = mlflow.MlflowClient()
    try:
        mv = client.get_model_version_by_alias(model_name, "champion")
    except mlflow.exceptions.MlflowException:
        return None, None, None
    from pges.qa.score import stale_feature_set

    stale = stale_feature_set(mv.tags)  # the scorers refuse it too; an image model does not read the features
    if stale:
        logger.info("champion %s uses feature set %s: not comparable, it is replaced", mv.version, stale)
        return str(mv.version), None, None
    from pges.qa.model_io import p_error, thresholds_from_tags

    kind = mv.tags.get("sarlake.input_kind", "features")
    scored = tracking.score_version(model_name, str(mv.version), {kind: rows(kind, test)},
                                    *([real.inputs] if real is not None else []))
    thresholds = thresholds_from_tags(mv.tags)
    metrics = evaluate.metrics(y_truth[test], scored[0], "test_", thresholds)
    if real is not None:
        metrics.update(real.summary(p_error(scored[1])[0]))
    return str(mv.version), metrics, p_error(scored[0], thresholds)[1]


def margins(decision: dict[str, Any], classes: dict[str, Any], y_truth: Any, scenes: Any) -> list[dict[str, Any]]:
    """How far the champion is ahead of the challenger, and of the champion before when that is another version.

    ``classes``: each scored version's decided class of the held-out rows (``y_truth``, ``scenes``). The differences
    and their 95 % intervals are paired over the held-out scenes (:func:`pges.train.intervals.paired`): a lead
    whose interval holds 0 is not one the split can vouch for.
    """
    from pges.train.intervals import paired

    champ, seen = decision["champion"], {decision["champion"]}
    out: list[dict[str, Any]] = []
    for role in ("challenger", "previous_champion"):
        other = decision.get(role)
        if other in seen or champ not in classes or other not in classes:
            continue
        seen.add(other)
        out.append({"versus": other, "role": role.replace("_", " "),
                    **paired(y_truth, classes[champ], classes[other], scenes)})
    return out
